// A user's statement since the last billing close, as the users page shows it: amounts at
// the ledger's full precision per line, the Total rounded to cents as on screen.
import { formatAmount, formatAmountFull } from '../money/index.ts';
import type { LedgerLine } from '../store/index.ts';
import { formatStamp } from '../timezone/index.ts';
import { BOM, csvRecords, type Cell, type CsvStyle } from './csv.ts';

/** One ledger line as statements and archives lay it out; `amount` is its money column. */
export function ledgerRecord(l: LedgerLine, timezone: string, amount: string): Cell[] {
  const call = l.operation === 'CALL';
  return [formatStamp(l.at, timezone), l.operation, call ? l.dialed : '', call ? l.duration : null, l.units, amount];
}

export function ledgerCsv(lines: readonly LedgerLine[], o: { unitPrice: string; currency: string }, style: CsvStyle): string {
  const records: Cell[][] = [['Date', 'Operation', 'Dialed', 'Durat.(sec)', 'Units', o.currency]];
  let total = 0;
  for (const l of lines) {
    total += l.units;
    records.push(ledgerRecord(l, style.timezone, formatAmountFull(l.units, o.unitPrice, style.lang)));
  }
  records.push(['Total', '', '', '', total, formatAmount(total, o.unitPrice, style.lang, 2)]);
  return BOM + csvRecords(records, style);
}
