// Display strings for money and times. Amounts arrive as exact decimal strings ("-0.720000")
// and stay exact: digits are handled as bigint, never as binary floating point.

export type Lang = 'fr' | 'en';

const DECIMAL = /^([+-]?)(\d+)(?:[.,](\d+))?$/;

interface Dec {
  coef: bigint;
  scale: number;
}

export function parseDecimal(s: string): Dec | null {
  const m = DECIMAL.exec(String(s).trim());
  if (!m) return null;
  const [, sign, int, frac = ''] = m;
  const coef = BigInt(int! + frac);
  return { coef: sign === '-' ? -coef : coef, scale: frac.length };
}

/** Dot notation with exactly `scale` fraction digits; a zero never carries a minus sign. */
function render(coef: bigint, scale: number): string {
  const sign = coef < 0n ? '-' : '';
  const digits = (coef < 0n ? -coef : coef).toString().padStart(scale + 1, '0');
  if (scale === 0) return sign + digits;
  return `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** Rounds half away from zero to `digits` fraction digits: "23.578" → "23.58". */
export function roundDecimal(s: string, digits: number): string {
  const d = parseDecimal(s);
  if (!d) return s;
  if (digits >= d.scale) return render(d.coef * 10n ** BigInt(digits - d.scale), digits);
  const div = 10n ** BigInt(d.scale - digits);
  const abs = d.coef < 0n ? -d.coef : d.coef;
  let q = abs / div;
  if ((abs % div) * 2n >= div) q += 1n;
  return render(d.coef < 0n ? -q : q, digits);
}

/** "23.58" → "23,58" in French. */
export function localize(dotDecimal: string, lang: Lang): string {
  return lang === 'fr' ? dotDecimal.replace('.', ',') : dotDecimal;
}

/**
 * An API amount as shown in a table: at its own precision ("-0,720000") or rounded
 * (`digits` = 2 → "23,58"); "-0.000000" shows as "0,000000". Non-numbers pass through.
 */
export function showAmount(s: string | null | undefined, lang: Lang, digits?: number): string {
  if (s === null || s === undefined || s === '') return '';
  const d = parseDecimal(s);
  if (!d) return String(s);
  const text = digits === undefined ? render(d.coef, d.scale) : roundDecimal(s, digits);
  return localize(text, lang);
}

/** Exact units × unit price, dot notation at the price's scale. */
export function amountOf(units: number | bigint, unitPrice: string): string {
  const p = parseDecimal(unitPrice);
  if (!p) return '';
  return render(BigInt(units) * p.coef, p.scale);
}

/** Currency per minute of a rate in units per second, 4 digits: (200, "0.0001", fr) → "1,2000". */
export function ratePerMinute(unitsPerSecond: number, unitPrice: string, lang: Lang): string {
  const a = amountOf(BigInt(unitsPerSecond) * 60n, unitPrice);
  return a === '' ? '' : localize(roundDecimal(a, 4), lang);
}

/**
 * How many units an amount buys, or why it buys none: past the safe range it is too large
 * (whole or not, as the server says), else it must be a whole number of units.
 */
export function amountInUnits(amount: string, unitPrice: string): number | 'tooLarge' | 'notWhole' | null {
  const a = parseDecimal(amount);
  const p = parseDecimal(unitPrice);
  if (!a || !p || p.coef <= 0n) return null;
  const num = a.coef * 10n ** BigInt(p.scale);
  const den = p.coef * 10n ** BigInt(a.scale);
  if ((num < 0n ? -num : num) > BigInt(Number.MAX_SAFE_INTEGER) * den) return 'tooLarge';
  if (num % den !== 0n) return 'notWhole';
  return Number(num / den);
}

/** How many units an amount buys, or null when it is not a whole, safe number of units. */
export function unitsForAmount(amount: string, unitPrice: string): number | null {
  const u = amountInUnits(amount, unitPrice);
  return typeof u === 'number' ? u : null;
}

/** The unit price as the seed's settings screen shows it: "0.0001" → "0,000100" (≥ 6 digits). */
export function showUnitPrice(unitPrice: string, lang: Lang): string {
  const p = parseDecimal(unitPrice);
  if (!p) return unitPrice;
  return localize(roundDecimal(unitPrice, Math.max(6, p.scale)), lang);
}

/** Statement units: credits "+250000", calls always "-7200" (even "-0", as in the seed). */
export function signedUnits(units: number, isCall: boolean): string {
  if (isCall) return `-${Math.abs(units)}`;
  return units < 0 ? String(units) : `+${units}`;
}

/** An H2 bound as the seed's cost screen shows it: "00:00" → "0", "20:00" → "20", "08:30" stays. */
export function showTimeOfDay(hhmm: string | number | null | undefined): string {
  if (hhmm === null || hhmm === undefined) return '';
  const m = /^(\d{1,2})(?::(\d{2}))?$/.exec(String(hhmm).trim());
  if (!m) return String(hhmm);
  if (m[2] === undefined || m[2] === '00') return String(Number(m[1]));
  return `${m[1]!.padStart(2, '0')}:${m[2]}`;
}

/**
 * A date for the tables. The API sends the seed's "YYYYMMDD_HHMMSS" strings, shown as they
 * are; a number (Unix seconds or milliseconds) is formatted the same way in `timeZone`.
 */
export function showDate(v: string | number | null | undefined, timeZone?: string): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  const ms = v < 1e11 ? v * 1000 : v;
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
    }).formatToParts(new Date(ms));
  } catch {
    return String(v);
  }
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '00';
  return `${get('year')}${get('month')}${get('day')}_${get('hour')}${get('minute')}${get('second')}`;
}

/** File sizes in the archive list. */
export function showSize(bytes: number | null | undefined, lang: Lang): string {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes)) return '';
  if (bytes < 1024) return `${bytes} B`;
  // one decimal of KiB: integer arithmetic keeps it exact and locale-independent
  const tenths = Math.round((bytes * 10) / 1024);
  return `${localize(`${Math.floor(tenths / 10)}.${tenths % 10}`, lang)} KB`;
}

/**
 * The version as the product's screens name it: "2.0.0" → "2.0-r1" (version 2.0, release 1,
 * as the seed's "Prepaid v2.0-r1"); anything else is shown as it is.
 */
export function releaseName(version: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  return m ? `${m[1]}.${m[2]}-r${Number(m[3]) + 1}` : version;
}
