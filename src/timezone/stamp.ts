// `YYYYMMDD_HHMMSS` wall-clock stamps in the box timezone, both ways, and the `from`/`to`
// query bounds of the CDR list and export. A CDR export formats a million dates, so
// formatStamp rides the cached offset span and reuses the text of the last local day.
import { AppError } from '../errors.ts';
import { DAY_MS, zoneOffsets } from './zone.ts';

export interface LocalParts {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Civil date of a day count since 1970-01-01 (proleptic Gregorian). */
function civil(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Local wall-clock time of the instant ms, whole seconds, as ms since the local epoch. */
function wallMs(ms: number, timezone: string): number {
  return Math.floor(ms / 1000) * 1000 + zoneOffsets(timezone).offsetAt(ms);
}

/** The wall-clock parts of the instant ms in the zone. */
export function localParts(ms: number, timezone: string): LocalParts {
  const local = wallMs(ms, timezone);
  const days = Math.floor(local / DAY_MS);
  const secs = (local - days * DAY_MS) / 1000;
  const { year, month, day } = civil(days);
  return { year, month, day, hour: Math.floor(secs / 3600), minute: Math.floor(secs / 60) % 60, second: secs % 60 };
}

const TWO = Array.from({ length: 100 }, (_, n) => (n < 10 ? `0${n}` : String(n)));
function two(n: number): string {
  return TWO[n] ?? String(n);
}

// Exports format dates in time order: the `YYYYMMDD_` of the last local day is reused.
let lastDay = NaN;
let lastDayText = '';

/** `YYYYMMDD_HHMMSS` of the instant in the zone (seconds truncated). */
export function formatStamp(ms: number, timezone: string): string {
  const local = wallMs(ms, timezone);
  const days = Math.floor(local / DAY_MS);
  if (days !== lastDay) {
    const { year, month, day } = civil(days);
    lastDay = days;
    lastDayText = `${String(year).padStart(4, '0')}${two(month)}${two(day)}_`;
  }
  const secs = (local - days * DAY_MS) / 1000;
  return lastDayText + two(Math.floor(secs / 3600)) + two(Math.floor(secs / 60) % 60) + two(secs % 60);
}

/**
 * The UTC instant of a wall-clock time in the zone. A time repeated by a fall-back change
 * is taken at its first occurrence; a time skipped by a spring-forward change is moved
 * forward by the gap (02:30 → 03:30), as calendars do.
 */
export function instantOf(p: LocalParts, timezone: string): number {
  const zone = zoneOffsets(timezone);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  const before = zone.offsetAt(wall - DAY_MS / 2);
  const after = zone.offsetAt(wall + DAY_MS / 2);
  const candidates = [wall - before, wall - after].filter((t) => t + zone.offsetAt(t) === wall);
  if (candidates.length > 0) return Math.min(...candidates);
  return wall - before;
}

const STAMP_RE = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/;

/**
 * Parses `YYYYMMDD_HHMMSS` as wall-clock time in the zone; null when malformed, impossible
 * (30 February, 24:00) or before the Unix epoch (nothing is recorded there).
 */
export function parseStamp(s: string, timezone: string): number | null {
  const m = STAMP_RE.exec(s);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (year < 1970 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return null;
  const t = instantOf({ year, month, day, hour, minute, second }, timezone);
  return t < 0 ? null : t;
}

const UNIX_SECONDS_RE = /^\d{1,12}$/;

/**
 * A `from`/`to` query bound: `YYYYMMDD_HHMMSS` in the box timezone or Unix seconds (up to
 * 12 digits). Returns epoch ms (undefined when absent); AppError BAD_REQUEST naming the field
 * otherwise.
 */
export function parseRangeBound(value: string | null, field: string, timezone: string): number | undefined {
  if (value === null || value === '') return undefined;
  if (UNIX_SECONDS_RE.test(value)) return Number(value) * 1000;
  const t = parseStamp(value, timezone);
  if (t === null) throw new AppError('BAD_REQUEST', `${field} must be YYYYMMDD_HHMMSS or Unix seconds`, field);
  return t;
}

/**
 * The `from`/`to` query of CDRs as an epoch-ms range, both ends included. `to` names a
 * second: every call ending within it is in. AppError BAD_REQUEST naming the field for a bad
 * bound, or `from` when it is after `to`.
 */
export function parseRange(from: string | null, to: string | null, timezone: string): { from?: number; to?: number } {
  const lo = parseRangeBound(from, 'from', timezone);
  const toSecond = parseRangeBound(to, 'to', timezone);
  const hi = toSecond === undefined ? undefined : toSecond + 999;
  if (lo !== undefined && hi !== undefined && lo > hi) throw new AppError('BAD_REQUEST', 'from must not be after to', 'from');
  const range: { from?: number; to?: number } = {};
  if (lo !== undefined) range.from = lo;
  if (hi !== undefined) range.to = hi;
  return range;
}
