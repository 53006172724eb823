// Billing archives: the name of a close and the CSV of its frozen statements, laid out as
// the seed's spreadsheet shows it (one block per user, two empty lines after each).
import { amountTrimmed } from '../money/index.ts';
import type { Archive } from '../store/index.ts';
import { formatStamp } from '../timezone/index.ts';
import { BOM, csvRecords, type Cell, type CsvStyle } from './csv.ts';
import { ledgerRecord } from './ledger.ts';

/** The only names an archive can have; anything else is never looked up. */
export const ARCHIVE_NAME = /^BILLING_\d{8}_\d{6}\.csv$/;

export function archiveName(at: number, timezone: string): string {
  return `BILLING_${formatStamp(at, timezone)}.csv`;
}

/** `YYYYMMDD_HHMMSS` of an archive, read from its name (the box time of the close). */
export function archiveDate(name: string): string {
  return name.slice('BILLING_'.length, -'.csv'.length);
}

export function archiveCsv(a: Archive, style: CsvStyle): string {
  const records: Cell[][] = [];
  for (const u of a.users) {
    records.push([`User number : ${u.id}`]);
    records.push([`User ID : ${u.name}`]);
    records.push(['Date', 'Operation', 'Called', 'Duration', 'Units', a.currency]);
    for (const l of u.lines) records.push(ledgerRecord(l, style.timezone, amountTrimmed(l.units, a.unitPrice, style.lang)));
    records.push(['Total', '', '', '', u.totalUnits, amountTrimmed(u.totalUnits, a.unitPrice, style.lang)]);
    records.push(['']);
    records.push(['']);
  }
  if (a.liveCalls.length > 0) {
    const n = a.liveCalls.length;
    records.push([
      `Note : ${n} call${n > 1 ? 's' : ''} in progress at the close (CallId ${a.liveCalls.join(', ')}) ` +
        `${n > 1 ? 'are' : 'is'} billed in the period in which ${n > 1 ? 'they end' : 'it ends'}`,
    ]);
  }
  return BOM + csvRecords(records, style);
}
