// Wall-clock times in the box timezone for reports: `YYYYMMDD_HHMMSS` stamps both ways.
// A CDR export formats a million dates, so the UTC offset is cached per hour instead of
// asking Intl for every row.
import { AppError } from '../errors.ts';

const HOUR = 3_600_000;
const DAY = 86_400_000;

interface ZoneCache {
  fmt: Intl.DateTimeFormat;
  hour: number; // start of the cached hour (UTC ms), NaN when empty
  offset: number;
}
const zones = new Map<string, ZoneCache>();

function zone(timezone: string): ZoneCache {
  let z = zones.get(timezone);
  if (!z) {
    let fmt: Intl.DateTimeFormat;
    try {
      fmt = new Intl.DateTimeFormat('en-US', {
        timeZone: timezone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new AppError('BAD_REQUEST', `unknown timezone: ${timezone}`, 'timezone');
    }
    z = { fmt, hour: NaN, offset: 0 };
    zones.set(timezone, z);
  }
  return z;
}

/** True when Intl knows the IANA zone name. */
export function validTimezone(timezone: string): boolean {
  try {
    zone(timezone);
    return true;
  } catch {
    return false;
  }
}

function intlOffset(z: ZoneCache, ms: number): number {
  const whole = Math.floor(ms / 1000) * 1000;
  let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  for (const p of z.fmt.formatToParts(whole)) {
    switch (p.type) {
      case 'year': y = Number(p.value); break;
      case 'month': mo = Number(p.value); break;
      case 'day': d = Number(p.value); break;
      case 'hour': h = Number(p.value); break;
      case 'minute': mi = Number(p.value); break;
      case 'second': s = Number(p.value); break;
    }
  }
  const local = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC maps years 0-99 to 1900+; irrelevant for telephony dates but keep it exact
  return local - whole;
}

/** Local time minus UTC, in ms, at the instant ms. */
export function offsetAt(ms: number, timezone: string): number {
  const z = zone(timezone);
  const hour = Math.floor(ms / HOUR) * HOUR;
  if (hour === z.hour) return z.offset;
  const a = intlOffset(z, hour);
  // cache only an hour without a change inside (offsets change on quarter hours at most once)
  if (intlOffset(z, hour + HOUR - 1000) === a) {
    z.hour = hour;
    z.offset = a;
    return a;
  }
  return intlOffset(z, ms);
}

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

/** The wall-clock parts of the instant ms in the zone. */
export function localParts(ms: number, timezone: string): LocalParts {
  const local = Math.floor(ms / 1000) * 1000 + offsetAt(ms, timezone);
  const days = Math.floor(local / DAY);
  const secs = (local - days * DAY) / 1000;
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
  const local = Math.floor(ms / 1000) * 1000 + offsetAt(ms, timezone);
  const days = Math.floor(local / DAY);
  if (days !== lastDay) {
    const { year, month, day } = civil(days);
    lastDay = days;
    lastDayText = `${year}${two(month)}${two(day)}_`;
  }
  const secs = (local - days * DAY) / 1000;
  return lastDayText + two(Math.floor(secs / 3600)) + two(Math.floor(secs / 60) % 60) + two(secs % 60);
}

/**
 * The UTC instant of a wall-clock time in the zone. A time repeated by a fall-back change
 * is taken at its first occurrence; a time skipped by a spring-forward change is moved
 * forward by the gap (02:30 → 03:30), as calendars do.
 */
export function instantOf(p: LocalParts, timezone: string): number {
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  const before = offsetAt(wall - DAY / 2, timezone);
  const after = offsetAt(wall + DAY / 2, timezone);
  const candidates = [wall - before, wall - after].filter((t) => t + offsetAt(t, timezone) === wall);
  if (candidates.length > 0) return Math.min(...candidates);
  return wall - before;
}

const STAMP_RE = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/;

/** Parses `YYYYMMDD_HHMMSS` as wall-clock time in the zone; null when malformed or impossible. */
export function parseStamp(s: string, timezone: string): number | null {
  const m = STAMP_RE.exec(s);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return null;
  return instantOf({ year, month, day, hour, minute, second }, timezone);
}

/**
 * A `from`/`to` query bound: `YYYYMMDD_HHMMSS` in the box timezone or Unix seconds.
 * Returns epoch ms (undefined when absent); AppError BAD_REQUEST naming the field otherwise.
 */
export function parseRangeBound(value: string | null, field: string, timezone: string): number | undefined {
  if (value === null || value === '') return undefined;
  if (/^\d{1,12}$/.test(value)) return Number(value) * 1000;
  const t = parseStamp(value, timezone);
  if (t === null) throw new AppError('BAD_REQUEST', `${field} must be YYYYMMDD_HHMMSS or Unix seconds`, field);
  return t;
}
