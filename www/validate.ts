// Client-side checks, the same rules the API applies, so most mistakes are shown before
// the round trip. The API stays the judge: its {"error","field"} answer is shown too.
import type { Key } from './i18n.ts';
import { amountInUnits, parseDecimal } from './format.ts';

/** A message key, or a key with the values of its placeholders. */
export type Problem = Key | [Key, Record<string, string | number>];

/** null when valid, else the message key. */
export type Check = (v: string) => Key | null;

export const isUserId: Check = (v) => (/^\d{1,16}$/.test(v.trim()) ? null : 'e_userId');

export const isName: Check = (v) => {
  const n = [...v.trim()].length;
  return n >= 1 && n <= 64 ? null : 'e_name';
};

export const isPin: Check = (v) => (/^\d{4,12}$/.test(v.trim()) ? null : 'e_pin');

export const isCallerIdOrEmpty: Check = (v) => (v.trim() === '' || /^\+?\d{1,32}$/.test(v.trim()) ? null : 'e_callerId');

export const isDigits: Check = (v) => (/^\d{1,32}$/.test(v.trim()) ? null : 'e_digits');

export const isPhone: Check = (v) => (/^\+?\d{1,32}$/.test(v.trim()) ? null : 'e_phone');

export const isPort: Check = (v) => {
  const s = v.trim();
  return /^\d{1,5}$/.test(s) && Number(s) >= 1 && Number(s) <= 65535 ? null : 'e_port';
};

/** A whole number within [min, max]; the message names the bounds. */
export function intIn(min: number, max: number): (v: string) => Problem | null {
  return (v) => (/^\d{1,15}$/.test(v.trim()) && Number(v) >= min && Number(v) <= max ? null : ['e_range', { min, max }]);
}

export const isWholeNumber: Check = (v) => (/^\d{1,15}$/.test(v.trim()) ? null : 'e_wholeNumber');

export const isIncrement: Check = (v) => (/^\d{1,4}$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= 3600 ? null : 'e_increment');

export const isPrefix: Check = (v) => (v.trim().toUpperCase() === 'DEFAULT' || /^\d{1,20}$/.test(v.trim()) ? null : 'e_prefix');

export const isTimeOfDay: Check = (v) => {
  const m = /^(\d{1,2})(?::(\d{2}))?$/.exec(v.trim());
  if (!m) return 'e_time';
  const h = Number(m[1]);
  const min = m[2] === undefined ? 0 : Number(m[2]);
  return (h <= 23 && min <= 59) || (h === 24 && min === 0) ? null : 'e_time';
};

export const isTimezone: Check = (v) => {
  if (v.trim() === '') return 'e_timezone';
  try {
    new Intl.DateTimeFormat('en', { timeZone: v.trim() });
    return null;
  } catch {
    return 'e_timezone';
  }
};

export const isUnitPrice: Check = (v) => {
  const d = parseDecimal(v);
  // the server's bounds (src/money validUnitPrice): above 0, at most 1000000, 12 decimals
  return d && d.coef > 0n && d.scale <= 12 && d.coef <= 1_000_000n * 10n ** BigInt(d.scale) && !v.trim().startsWith('-') ? null : 'e_unitPrice';
};

export const isSeparator: Check = (v) => ([...v].length <= 1 && !/["\r\n]/.test(v) ? null : 'e_separator');

export const isCurrency: Check = (v) => {
  const n = [...v.trim()].length;
  return n >= 1 && n <= 16 ? null : 'e_currency';
};

// the server's rule (src/web/api/config.ts HOST): a DNS name or an IP literal
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[?[0-9A-Fa-f:.]+\]?)$/;
export const isHost: Check = (v) => (v.length <= 253 && HOST.test(v) ? null : 'e_host');

/** 5 or 6 fields of the usual cron characters (names such as MON, JAN included), or empty. */
export const isCronOrEmpty: Check = (v) => {
  const s = v.trim();
  if (s === '') return null;
  const fields = s.split(/\s+/);
  return (fields.length === 5 || fields.length === 6) && fields.every((f) => /^[\d*,/\-?A-Za-z#LW]+$/.test(f)) ? null : 'e_cron';
};

export const isPassword: Check = (v) => (v.trim() !== '' && v.length <= 1024 ? null : 'required');

/** A signed whole number of units, not zero. */
export const isUnitsDelta: Check = (v) => {
  const s = v.trim();
  if (!/^[+-]?\d{1,15}$/.test(s)) return 'e_units';
  return Number(s) === 0 ? 'e_nonZero' : null;
};

/** A signed amount, not zero, that buys a whole number of units at `unitPrice`. */
export function amountCheck(unitPrice: string): Check {
  return (v) => {
    const d = parseDecimal(v);
    if (!d) return 'e_amount';
    if (d.coef === 0n) return 'e_nonZero';
    const u = amountInUnits(v, unitPrice);
    return typeof u === 'number' ? null : u === 'tooLarge' ? 'e_tooLarge' : 'e_amountUnits';
  };
}

/** Runs the checks of a form; the result maps field → message key. */
export function checkAll(values: Record<string, unknown>, checks: Record<string, (v: string) => Problem | null>): Record<string, Problem> {
  const errors: Record<string, Problem> = {};
  for (const [field, check] of Object.entries(checks)) {
    const e = check(String(values[field] ?? ''));
    if (e) errors[field] = e;
  }
  return errors;
}
