// Units ↔ currency amounts. Balances are integer units; an amount is units × unit price, exact.
import { AppError } from '../errors.ts';
import { Decimal, describe } from './decimal.ts';

export type Lang = 'fr' | 'en';

/** Ledger/API amounts carry at least this many fraction digits: "-0.720000". */
export const AMOUNT_SCALE = 6;
/** A unit price has at most this many fraction digits (validUnitPrice). */
export const MAX_PRICE_SCALE = 12;
/** Shown on rate columns: "1,2000 Euros/min". */
const RATE_DIGITS = 4;

const MAX_UNITS = BigInt(Number.MAX_SAFE_INTEGER);

function price(unitPrice: string): Decimal {
  const p = Decimal.parse(unitPrice, 'unitPrice');
  if (p.coef <= 0n) throw new AppError('BAD_REQUEST', `unit price must be positive: ${describe(unitPrice)}`, 'unitPrice');
  return p;
}

/** Exact units × unit price. */
export function amountOf(units: number, unitPrice: string): Decimal {
  return Decimal.ofUnits(units).mul(price(unitPrice));
}

/** The API/ledger form: dot, max(6, price scale) digits, so it is always exact. */
export function amountString(units: number, unitPrice: string): string {
  const a = amountOf(units, unitPrice);
  return a.toFixed(Math.max(AMOUNT_SCALE, a.scale));
}

/**
 * How many units an amount buys: "25.00" at "0.0001" → 250000; negative amounts give
 * negative units (debits). BAD_REQUEST when the amount is not a number, not a whole number of
 * units, or beyond a safe integer.
 */
export function unitsOf(amount: string, unitPrice: string): number {
  const a = Decimal.parse(amount, 'amount');
  const p = price(unitPrice);
  // a / p = (a.coef · 10^p.scale) / (p.coef · 10^a.scale)
  const num = a.coef * 10n ** BigInt(p.scale);
  const den = p.coef * 10n ** BigInt(a.scale);
  // size first: a huge amount is "too large" whether or not it divides evenly
  if ((num < 0n ? -num : num) > MAX_UNITS * den) throw new AppError('BAD_REQUEST', `amount ${a.toString()} is too large`, 'amount');
  if (num % den !== 0n) {
    throw new AppError('BAD_REQUEST', `amount ${a.toString()} is not a whole number of units at unit price ${p.toString()}`, 'amount');
  }
  return Number(num / den);
}

/** "23.58" → "23,58" in French; English keeps the dot. */
export function localize(dotDecimal: string, lang: Lang): string {
  return lang === 'fr' ? dotDecimal.replace('.', ',') : dotDecimal;
}

/** For tables: (235780, "0.0001", "fr", 2) → "23,58" (rounded half away from zero). */
export function formatAmount(units: number, unitPrice: string, lang: Lang, digits: number): string {
  return localize(amountOf(units, unitPrice).toFixed(digits), lang);
}

/** The full ledger form, localized: (-7200, "0.0001", "fr") → "-0,720000". */
export function formatAmountFull(units: number, unitPrice: string, lang: Lang): string {
  return localize(amountString(units, unitPrice), lang);
}

/** Billing archives show amounts without trailing zeros: "25", "-2,26", "-1,3". */
export function amountTrimmed(units: number, unitPrice: string, lang: Lang): string {
  return localize(amountOf(units, unitPrice).trimmed(), lang);
}

/** The unit price as the settings page shows it: "0.0001" → "0,000100" in French. */
export function formatUnitPrice(unitPrice: string, lang: Lang): string {
  const p = price(unitPrice);
  return localize(p.toFixed(Math.max(AMOUNT_SCALE, p.scale)), lang);
}

/** Currency per minute of a rate in units per second: (200, "0.0001", "fr") → "1,2000". */
export function ratePerMinute(unitsPerSecond: number, unitPrice: string, lang: Lang): string {
  if (!Number.isSafeInteger(unitsPerSecond)) {
    throw new AppError('BAD_REQUEST', `units per second must be an integer: ${describe(unitsPerSecond)}`, 'unitsPerSecond');
  }
  const perMinute = Decimal.ofUnits(unitsPerSecond).mul(Decimal.ofUnits(60)).mul(price(unitPrice));
  return localize(perMinute.toFixed(RATE_DIGITS), lang);
}

/** The dearest unit price taken: past it no balance or rate would mean anything. */
export const MAX_UNIT_PRICE = '1000000';
export const UNIT_PRICE_RULE = `unitPrice must be a positive decimal up to ${MAX_UNIT_PRICE} with at most ${MAX_PRICE_SCALE} decimals`;

/** A usable unit price: a positive decimal up to MAX_UNIT_PRICE with at most 12 fraction digits. */
export function validUnitPrice(s: string): boolean {
  try {
    const p = Decimal.parse(s);
    return p.coef > 0n && p.scale <= MAX_PRICE_SCALE && p.cmp(Decimal.parse(MAX_UNIT_PRICE)) <= 0;
  } catch {
    return false;
  }
}
