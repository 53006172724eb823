// `YYYYMMDD_HHMMSS` in the box timezone: the date form of ledgers and CDRs.
import { bad } from './input.ts';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

function wallClock(ms: number, tz: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { y: p.year!, mo: p.month!, d: p.day!, h: p.hour! % 24, mi: p.minute!, s: p.second! };
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

export function formatStamp(ms: number, tz: string): string {
  const w = wallClock(ms, tz);
  return `${pad(w.y, 4)}${pad(w.mo)}${pad(w.d)}_${pad(w.h)}${pad(w.mi)}${pad(w.s)}`;
}

/** Offset of `tz` from UTC at instant `ms`, in ms (Paris in summer: +7200000). */
function offsetAt(ms: number, tz: string): number {
  const w = wallClock(ms, tz);
  const asUtc = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant of a local `YYYYMMDD_HHMMSS` in `tz`. A time skipped by a DST jump maps
 * forward by the jump; a repeated one takes its first occurrence.
 */
export function parseStamp(s: string, tz: string, field: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/.exec(s);
  if (!m) throw bad(field, `${field} must be YYYYMMDD_HHMMSS or Unix seconds`);
  const [y, mo, d, h, mi, sec] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const local = Date.UTC(y, mo - 1, d, h, mi, sec);
  const check = new Date(local);
  if (
    y < 1970 ||
    check.getUTCMonth() !== mo - 1 ||
    check.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    sec > 59
  ) {
    throw bad(field, `${field} is not a valid date`);
  }
  // two candidate offsets (before/after a possible transition), take the earliest match
  const o1 = offsetAt(local - 86_400_000, tz);
  const o2 = offsetAt(local + 86_400_000, tz);
  const candidates = [local - Math.max(o1, o2), local - Math.min(o1, o2)];
  for (const t of candidates) if (offsetAt(t, tz) === local - t) return t;
  // in a DST gap: neither offset yields this wall time
  return local - Math.min(o1, o2);
}

/** A query bound: `YYYYMMDD_HHMMSS` in the box timezone or Unix seconds → ms. */
export function parseInstant(s: string, tz: string, field: string): number {
  if (/^\d{1,11}$/.test(s)) return Number(s) * 1000;
  return parseStamp(s, tz, field);
}
