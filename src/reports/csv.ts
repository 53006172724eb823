// CSV dialect shared by every export: configured separator, LF line ends, RFC 4180 quoting
// (csv-stringify), UTF-8 with a BOM so a spreadsheet keeps accents, formula cells defused.
import { stringify } from 'csv-stringify/sync';
import type { Lang } from '../money/index.ts';

/** Prepended once per file: spreadsheets then read the bytes as UTF-8. */
export const BOM = '\ufeff';

export interface CsvStyle {
  separator: string;
  lang: Lang;
  timezone: string;
}

/**
 * The dialect from the general parameters. An unset separator is ';'; one that would make
 * the file unreadable (a quote or a line break) falls back to ';' as well.
 */
export function csvStyle(c: { csvSeparator: string; language: Lang; timezone: string }): CsvStyle {
  const sep = c.csvSeparator;
  const usable = sep !== '' && !/["\r\n]/.test(sep);
  return { separator: usable ? sep : ';', lang: c.language === 'fr' ? 'fr' : 'en', timezone: c.timezone };
}

// A plain number, optionally signed, with an optional decimal part (dot or comma):
// -7200, -0,72, +33612345678. Such cells are data, never a formula, and stay as they are.
const PLAIN_NUMBER = /^[+-]?\d+(?:[.,]\d+)?$/;

/**
 * A text cell a spreadsheet would evaluate (starting with = + - @, tab or CR, or their
 * full-width forms) gets a leading apostrophe; plain numbers are left alone.
 */
export function safeCell(s: string): string {
  if (s.length === 0) return s;
  switch (s.charCodeAt(0)) {
    case 0x3d: // =
    case 0x40: // @
    case 0x09: // tab
    case 0x0d: // CR
    case 0xff1d: // full-width =
    case 0xff0b: // full-width +
    case 0xff0d: // full-width -
    case 0xff20: // full-width @
      return `'${s}`;
    case 0x2b: // +
    case 0x2d: // -
      return PLAIN_NUMBER.test(s) ? s : `'${s}`;
    default:
      return s;
  }
}

export type Cell = string | number | null;

/** Cells as text: numbers in plain decimal, null as an empty cell, text defused. */
function cellText(c: Cell): string {
  if (c === null) return '';
  if (typeof c === 'number') return String(c);
  return safeCell(c);
}

/** CSV text of the records (each line ends with LF), without BOM. */
export function csvRecords(records: readonly (readonly Cell[])[], style: CsvStyle): string {
  const rows: string[][] = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const out: string[] = new Array(r.length);
    for (let j = 0; j < r.length; j++) out[j] = cellText(r[j]!);
    rows[i] = out;
  }
  return csvText(rows, style);
}

/**
 * The CSV line (with LF) of text cells none of which needs quoting, exactly as csv-stringify
 * writes it; null when a cell holds the separator, a quote or a line break, or the separator
 * is longer than one character: such a row goes through csv-stringify. The CDR export's hot
 * path: digits-only cells are the rule there, and csv-stringify's per-cell checks cost more
 * than the rest of a row's formatting.
 */
export function plainLine(cells: readonly string[], separator: string): string | null {
  if (separator.length !== 1 || cells.length === 0) return null;
  let line = cells[0]!;
  for (let i = 1; i < cells.length; i++) line += separator + cells[i]!;
  const sep = separator.charCodeAt(0);
  let seps = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === sep) seps++;
    else if (c === 0x22 || c === 0x0a || c === 0x0d) return null;
  }
  return seps === cells.length - 1 ? line + '\n' : null;
}

/** Like csvRecords for cells already converted and defused. */
export function csvText(rows: readonly (readonly string[])[], style: CsvStyle): string {
  if (rows.length === 0) return '';
  // csv-stringify quotes LF (the record delimiter) but not a lone CR, which spreadsheets and
  // RFC 4180 readers also take for a line break
  return stringify(rows as string[][], { delimiter: style.separator, record_delimiter: 'unix', quote: '"', escape: '"', eof: true, quoted_match: /\r/ });
}

// --- reading (rate deck import) ---------------------------------------------------------

export interface CsvRecord {
  /** 1-based physical line where the record starts. */
  line: number;
  cells: string[];
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = 'CsvSyntaxError';
  }
}

/**
 * Picks the separator of a file from its first line: the most frequent of ';', ',' and tab
 * outside quotes (';' when none appears, a one-column file).
 */
export function detectSeparator(text: string): string {
  const counts = new Map<string, number>([[';', 0], [',', 0], ['\t', 0]]);
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best = ';';
  let bestCount = 0;
  for (const [sep, n] of counts) {
    if (n > bestCount) {
      best = sep;
      bestCount = n;
    }
  }
  return best;
}

/**
 * RFC 4180 reader: quoted cells with "" escapes and embedded line breaks; CRLF, LF or CR
 * line ends; a leading BOM is ignored. Throws CsvSyntaxError with the line number on a
 * stray or unterminated quote.
 */
export function parseCsv(text: string, separator: string): CsvRecord[] {
  const out: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;
  if (i >= n) return out;
  let cells: string[] = [];
  let start = line;
  const sep0 = separator.charCodeAt(0);
  const single = separator.length === 1;
  for (;;) {
    // one cell
    let cell = '';
    if (text[i] === '"') {
      const openLine = line;
      i++;
      for (;;) {
        if (i >= n) throw new CsvSyntaxError(openLine, 'unterminated quoted cell');
        const ch = text[i]!;
        if (ch === '"') {
          if (text[i + 1] === '"') {
            cell += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (ch === '\n' || (ch === '\r' && text[i + 1] !== '\n')) line++;
        cell += ch;
        i++;
      }
      if (i < n && !text.startsWith(separator, i) && text[i] !== '\n' && text[i] !== '\r') {
        throw new CsvSyntaxError(line, 'unexpected character after a closing quote');
      }
    } else {
      let j = i;
      for (; j < n; j++) {
        const c = text.charCodeAt(j);
        if (c === 0x0a || c === 0x0d) break;
        if (c === sep0 && (single || text.startsWith(separator, j))) break;
        if (c === 0x22) throw new CsvSyntaxError(line, 'quote inside an unquoted cell');
      }
      cell = text.slice(i, j);
      i = j;
    }
    cells.push(cell);
    if (i < n && text.startsWith(separator, i)) {
      i += separator.length;
      continue;
    }
    // end of record
    out.push({ line: start, cells });
    if (i >= n) break;
    if (text[i] === '\r' && text[i + 1] === '\n') i += 2;
    else i++;
    line++;
    if (i >= n) break;
    cells = [];
    start = line;
  }
  return out;
}
