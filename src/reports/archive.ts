// Billing archives: the name of a close and the CSV of its frozen statements, laid out as
// the seed's spreadsheet shows it (one block per user, two empty lines after each, nothing
// else: scripts split it into blocks). The page tells how many calls were live at the close.
import { amountTrimmed } from '../money/index.ts';
import type { Archive, Config } from '../store/index.ts';
import { formatStamp } from '../timezone/index.ts';
import { BOM, csvRecords, csvStyle, type Cell, type CsvStyle } from './csv.ts';
import { ledgerRecord } from './ledger.ts';

/** The only names an archive can have; anything else is never looked up. */
export const ARCHIVE_NAME = /^BILLING_\d{8}_\d{6}\.csv$/;

export function archiveName(at: number, timezone: string): string {
  return `BILLING_${formatStamp(at, timezone)}.csv`;
}

/** The dialect an archive is written in: the one in force at its close (else today's). */
export function archiveStyle(a: Archive, current: Config): CsvStyle {
  return csvStyle(a.params ?? current);
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
  return BOM + csvRecords(records, style);
}
