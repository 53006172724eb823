// The rate deck as CSV, out and in. An import is checked whole before anything is written:
// the first bad line is named with its reason and the deck stays as it was.
import { AppError, isAppError } from '../errors.ts';
import { normalizeCostRow, type CostRow } from '../rating/index.ts';
import { BOM, CsvSyntaxError, csvRecords, detectSeparator, parseCsv, type Cell, type CsvStyle } from './csv.ts';

export const COST_COLUMNS = ['prefix', 'h1', 'h2Begin', 'h2End', 'h2', 'increment', 'setup'] as const;
type CostColumn = (typeof COST_COLUMNS)[number];

export function costsCsv(rows: readonly CostRow[], style: CsvStyle): string {
  const records: Cell[][] = [[...COST_COLUMNS]];
  for (const r of rows) records.push([r.prefix, r.h1, r.h2Begin, r.h2End, r.h2, r.increment, r.setup]);
  return BOM + csvRecords(records, style);
}

/** A cell as quoted in an error: enough to find it, never the whole of a runaway line. */
function clip(cell: string): string {
  return cell.length > 40 ? `${cell.slice(0, 40)}…` : cell;
}

function lineError(line: number, message: string): AppError {
  return new AppError('BAD_REQUEST', `line ${line}: ${message}`);
}

/** "line 7: h1: must be a whole number ≥ 0" from rating's "h1 must be a whole number ≥ 0". */
function rowError(line: number, e: AppError): AppError {
  const field = e.field;
  if (!field) return lineError(line, e.message);
  const reason = e.message.startsWith(field + ' ') ? e.message.slice(field.length + 1) : e.message;
  return lineError(line, `${field}: ${reason}`);
}

/**
 * Reads a rate deck: a header naming the columns (any order, any case; `prefix` and `h1`
 * required), then one row per prefix; separator ';', ',' or tab, found from the header.
 * Blank lines are skipped. Returns the rows in file order (a deck without a DEFAULT row
 * leaves the store's DEFAULT in place). Throws AppError BAD_REQUEST "line N: reason".
 */
export function parseCostsCsv(text: string): CostRow[] {
  const sep = detectSeparator(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  let records;
  try {
    records = parseCsv(text, sep);
  } catch (e) {
    if (e instanceof CsvSyntaxError) throw lineError(e.line, e.message);
    throw e;
  }
  const nonBlank = records.filter((r) => r.cells.some((c) => c.trim() !== ''));
  const header = nonBlank[0];
  if (!header) throw lineError(1, `a header line is required: ${COST_COLUMNS.join(';')}`);

  const columns: (CostColumn | null)[] = [];
  for (const raw of header.cells) {
    const name = raw.trim();
    if (name === '') {
      columns.push(null); // a trailing separator
      continue;
    }
    const col = COST_COLUMNS.find((c) => c.toLowerCase() === name.toLowerCase());
    if (!col) throw lineError(header.line, `unknown column "${clip(name)}" (expected ${COST_COLUMNS.join(', ')})`);
    if (columns.includes(col)) throw lineError(header.line, `column ${col} appears twice`);
    columns.push(col);
  }
  for (const required of ['prefix', 'h1'] as const) {
    if (!columns.includes(required)) throw lineError(header.line, `missing column ${required}`);
  }

  const rows: CostRow[] = [];
  const seen = new Map<string, number>();
  for (const rec of nonBlank.slice(1)) {
    const input: Record<string, string> = {};
    for (let i = 0; i < rec.cells.length; i++) {
      const col = columns[i];
      const cell = rec.cells[i]!;
      if (col) input[col] = cell;
      else if (cell.trim() !== '') throw lineError(rec.line, `more cells than columns in the header`);
    }
    let row: CostRow;
    try {
      row = normalizeCostRow(input);
    } catch (e) {
      if (isAppError(e)) throw rowError(rec.line, e);
      throw e;
    }
    const first = seen.get(row.prefix);
    if (first !== undefined) throw lineError(rec.line, `prefix: ${row.prefix} already given on line ${first}`);
    seen.set(row.prefix, rec.line);
    rows.push(row);
  }
  // a header alone is most likely an export gone wrong: it would wipe the whole deck
  if (rows.length === 0) throw lineError(header.line + 1, 'no cost rows after the header: a rate deck needs at least one row');
  return rows;
}

/** The body of an upload as text; AppError BAD_REQUEST when it is not UTF-8. */
export function bodyText(body: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    throw new AppError('BAD_REQUEST', 'the file must be UTF-8 text');
  }
}
