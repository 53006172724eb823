// Spoken numbers and amounts, composed from the Asterisk core sound set's digit prompts by the
// rules of each language. Names carry no language prefix: the call flow adds `${lang}/`.
// The French set (asterisk-core-sounds-fr) has digits/0..20, the tens, digits/et,
// digits/hundred ("cent"), digits/thousand ("mille"), digits/million and no digits/billion;
// the English set has the same plus digits/billion.
import { AppError } from '../errors.ts';
import { amountOf, type Lang } from '../money/index.ts';
import { describe } from '../money/decimal.ts';

const THOUSAND = 1000n;
const MILLION = 1_000_000n;
const BILLION = 1_000_000_000n;

function digit(n: bigint): string {
  return `digits/${n}`;
}

function toBigInt(n: number | bigint): bigint {
  if (typeof n === 'bigint') return n;
  if (typeof n === 'number' && Number.isSafeInteger(n)) return BigInt(n);
  throw new AppError('BAD_REQUEST', `cannot speak ${describe(n)}: not a safe integer`);
}

/** French, as Asterisk's say.c does it: 21 "vingt et un", 71 "soixante et onze", 91 "quatre-vingt onze". */
function french(n: bigint): string[] {
  if (n <= 20n) return [digit(n)];
  if (n < 70n) {
    const unit = n % 10n;
    const tens = [digit(n - unit)];
    if (unit === 0n) return tens;
    return unit === 1n ? [...tens, 'digits/et', 'digits/1'] : [...tens, digit(unit)];
  }
  if (n < 80n) return ['digits/60', ...(n === 71n ? ['digits/et'] : []), ...french(n - 60n)];
  if (n < 100n) return ['digits/80', ...(n > 80n ? french(n - 80n) : [])];
  if (n < THOUSAND) {
    // "cent", "deux cent": never "un cent"
    const h = n / 100n;
    const rest = n % 100n;
    return [...(h > 1n ? [digit(h)] : []), 'digits/hundred', ...(rest ? french(rest) : [])];
  }
  if (n < MILLION) {
    // "mille", "deux mille", "vingt et un mille": never "un mille"
    const t = n / THOUSAND;
    const rest = n % THOUSAND;
    return [...(t > 1n ? french(t) : []), 'digits/thousand', ...(rest ? french(rest) : [])];
  }
  // No billion prompt in the French set: 10^9 and up are said as thousands of millions.
  const m = n / MILLION;
  const rest = n % MILLION;
  return [...french(m), 'digits/million', ...(rest ? french(rest) : [])];
}

/** English: 21 "twenty one", 100 "one hundred", 1000 "one thousand" (no "and"). */
function english(n: bigint): string[] {
  if (n < 20n) return [digit(n)];
  if (n < 100n) {
    const unit = n % 10n;
    return [digit(n - unit), ...(unit ? [digit(unit)] : [])];
  }
  const scales: [bigint, string][] = [
    [BILLION, 'digits/billion'],
    [MILLION, 'digits/million'],
    [THOUSAND, 'digits/thousand'],
  ];
  for (const [size, name] of scales) {
    if (n >= size) {
      const rest = n % size;
      return [...english(n / size), name, ...(rest ? english(rest) : [])];
    }
  }
  const rest = n % 100n;
  return [digit(n / 100n), 'digits/hundred', ...(rest ? english(rest) : [])];
}

/** Prompt names that say the integer n: fr 21 → digits/20, digits/et, digits/1. */
export function numberPrompts(n: number | bigint, lang: Lang): string[] {
  const v = toBigInt(n);
  const say = lang === 'fr' ? french : english;
  return v < 0n ? ['digits/minus', ...say(-v)] : say(v);
}

/** The prompts that name a currency and its hundredth, singular and plural. */
export interface CurrencyPrompts {
  one: string;
  many: string;
  cent: string;
  cents: string;
}

/** The application's own prompts for the hundredth (the sound sets have no "cents"). */
export const CENT_PROMPTS = { cent: 'currency-cent', cents: 'currency-cents' } as const;

const EURO = ['euro', 'euros', 'eur', '€'];
const DOLLAR = ['dollar', 'dollars', 'usd', '$', 'us dollar', 'us dollars'];

/** Latin letters that have no decomposition to a base letter plus accent. */
const LETTERS: Record<string, string> = { ł: 'l', ø: 'o', æ: 'ae', œ: 'oe', ß: 'ss', đ: 'd', ð: 'd', þ: 'th', ı: 'i' };
const OTHER_LETTERS = new RegExp(`[${Object.keys(LETTERS).join('')}]`, 'g');

/** Lower-case ASCII, accents dropped, anything else folded to '-': "Francs CFA" → "francs-cfa". */
export function currencySlug(currency: string): string {
  return currency
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(OTHER_LETTERS, (c) => LETTERS[c] ?? '-')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32)
    .replace(/-+$/, '');
}

/**
 * Which prompts say the configured currency. Euros: own prompts currency-euro(s). Dollars: the
 * core set's digits/dollars and letters/dollar ("dollar"). Anything else: one own prompt
 * `currency-<slug>` for singular and plural alike (`currency-units` when nothing is left of it).
 */
export function currencyPrompts(currency: string): CurrencyPrompts {
  const key = typeof currency === 'string' ? currency.trim().toLowerCase() : '';
  if (EURO.includes(key)) return { one: 'currency-euro', many: 'currency-euros', ...CENT_PROMPTS };
  if (DOLLAR.includes(key)) return { one: 'letters/dollar', many: 'digits/dollars', ...CENT_PROMPTS };
  const slug = typeof currency === 'string' ? currencySlug(currency) : '';
  const name = `currency-${slug || 'units'}`;
  return { one: name, many: name, ...CENT_PROMPTS };
}

/** French puts 0 and 1 in the singular ("zéro euro", "un euro"); English only 1. */
function singular(n: bigint, lang: Lang): boolean {
  return lang === 'fr' ? n <= 1n : n === 1n;
}

/**
 * The credit as money: whole currency units, then the hundredths, truncated down so a caller is
 * never told more than the balance holds. 250000 units at 0.0001 Euros → 25 euros;
 * 235780 → 23 euros and 57 cents; 5700 → 57 cents; 0 → 0 euros.
 */
export function amountPrompts(units: number, unitPrice: string, currency: string, lang: Lang): string[] {
  const cur = currencyPrompts(currency);
  const allCents = amountOf(units, unitPrice).truncatedCoef(2);
  const negative = allCents < 0n;
  const abs = negative ? -allCents : allCents;
  const whole = abs / 100n;
  const cents = abs % 100n;
  const out: string[] = negative ? ['digits/minus'] : [];
  if (whole > 0n || cents === 0n) out.push(...numberPrompts(whole, lang), singular(whole, lang) ? cur.one : cur.many);
  if (cents > 0n) {
    if (whole > 0n) out.push('vm-and');
    out.push(...numberPrompts(cents, lang), singular(cents, lang) ? cur.cent : cur.cents);
  }
  return out;
}
