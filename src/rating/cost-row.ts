import { AppError } from '../errors.ts';

export interface CostRow {
  prefix: string; // digits, or 'DEFAULT'
  h1: number; // units per second (integer ≥ 0)
  h2Begin: string; // "HH:MM" local time (box timezone); equal to h2End → no H2 period
  h2End: string; // "HH:MM", window is [begin, end) and may wrap midnight
  h2: number; // units per second in H2
  increment: number; // billing step in seconds, integer ≥ 1 (default 1)
  setup: number; // units charged on answer (default 0)
}

export const DEFAULT_PREFIX = 'DEFAULT';
export const MAX_PREFIX_DIGITS = 20;
export const MAX_INCREMENT = 3600;

/** The seed's DEFAULT row (200 units/s); a fresh store starts with it. */
export const SEED_DEFAULT_ROW: Readonly<CostRow> = Object.freeze({
  prefix: DEFAULT_PREFIX,
  h1: 200,
  h2Begin: '00:00',
  h2End: '00:00',
  h2: 0,
  increment: 1,
  setup: 0,
});

const TIME_RE = /^(\d{1,2})(?::(\d{2}))?$/;

/**
 * Minutes after local midnight for a time of day given as "HH:MM", "H:MM", "H", "HH"
 * or a whole number of hours. 24 / "24:00" is accepted as midnight (0): an H2 window
 * ending at 24:00 is the same as one ending at 00:00. Throws AppError BAD_REQUEST.
 */
export function timeOfDayMinutes(value: unknown, field: string): number {
  let h: number;
  let m = 0;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw bad(field, `${field} must be a time of day "HH:MM" or whole hours 0-23`);
    h = value;
  } else if (typeof value === 'string') {
    const match = TIME_RE.exec(value.trim());
    if (!match) throw bad(field, `${field} must be a time of day "HH:MM" or whole hours 0-23`);
    h = Number(match[1]);
    m = match[2] === undefined ? 0 : Number(match[2]);
  } else {
    throw bad(field, `${field} must be a time of day "HH:MM" or whole hours 0-23`);
  }
  if (h === 24 && m === 0) return 0;
  if (h < 0 || h > 23 || m > 59) throw bad(field, `${field} is not a valid time of day (00:00-23:59)`);
  return h * 60 + m;
}

/** "HH:MM" for minutes after midnight. */
export function formatTimeOfDay(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${h < 10 ? '0' : ''}${h}:${m < 10 ? '0' : ''}${m}`;
}

/**
 * Validates a cost row from the API or a CSV import and returns it in canonical form.
 * Numbers may come as JSON numbers or digit strings (CSV cells); times as "20:00",
 * "20", "8:30" or 20. Missing optional fields take their defaults (no H2 period, increment
 * 1, setup 0); an H2 period needs both its times and its rate. Unknown fields are dropped.
 */
export function normalizeCostRow(input: unknown): CostRow {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new AppError('BAD_REQUEST', 'a cost row must be an object');
  }
  const o = input as Record<string, unknown>;
  const row: CostRow = {
    prefix: normalizePrefix(o.prefix),
    h1: wholeNumber(o.h1, 'h1', undefined),
    h2Begin: formatTimeOfDay(isMissing(o.h2Begin) ? 0 : timeOfDayMinutes(o.h2Begin, 'h2Begin')),
    h2End: formatTimeOfDay(isMissing(o.h2End) ? 0 : timeOfDayMinutes(o.h2End, 'h2End')),
    h2: wholeNumber(o.h2, 'h2', 0),
    increment: wholeNumber(o.increment, 'increment', 1),
    setup: wholeNumber(o.setup, 'setup', 0),
  };
  // half a period, or a period without its rate, would price its hours at 0: free calls
  if (isMissing(o.h2Begin) !== isMissing(o.h2End)) {
    throw bad(isMissing(o.h2Begin) ? 'h2Begin' : 'h2End', 'h2Begin and h2End go together: both for an H2 period, neither for none');
  }
  if (row.h2Begin !== row.h2End && isMissing(o.h2)) throw bad('h2', 'h2 (units per second in H2) is needed with an H2 period');
  if (row.increment < 1 || row.increment > MAX_INCREMENT) {
    throw bad('increment', `increment must be a whole number of seconds from 1 to ${MAX_INCREMENT}`);
  }
  return row;
}

/** 'DEFAULT' (any case) or 1–20 digits; a JSON number is taken as its digits. */
export function normalizePrefix(value: unknown): string {
  let s: string;
  if (typeof value === 'string') s = value.trim();
  else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) s = String(value);
  else if (isMissing(value)) throw bad('prefix', 'prefix is required');
  else throw bad('prefix', 'prefix must be DEFAULT or 1 to 20 digits');
  if (s.toUpperCase() === DEFAULT_PREFIX) return DEFAULT_PREFIX;
  if (s.length === 0) throw bad('prefix', 'prefix is required');
  if (s.length > MAX_PREFIX_DIGITS || !/^\d+$/.test(s)) {
    throw bad('prefix', 'prefix must be DEFAULT or 1 to 20 digits');
  }
  return s;
}

function wholeNumber(value: unknown, field: string, fallback: number | undefined): number {
  if (isMissing(value)) {
    if (fallback === undefined) throw bad(field, `${field} is required`);
    return fallback;
  }
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) n = Number(value.trim());
  else throw bad(field, `${field} must be a whole number ≥ 0`);
  if (!Number.isSafeInteger(n) || n < 0) throw bad(field, `${field} must be a whole number ≥ 0`);
  return n === 0 ? 0 : n; // no -0 in stored rows
}

// An empty CSV cell or a JSON null means "not given": the field takes its default.
function isMissing(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

function bad(field: string, message: string): AppError {
  return new AppError('BAD_REQUEST', message, field);
}
