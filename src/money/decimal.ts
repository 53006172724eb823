// Exact decimal numbers (value = coef / 10^scale) on bigint: money never touches binary floats.
import { AppError } from '../errors.ts';

const DECIMAL = /^([+-]?)(\d+)(?:[.,](\d+))?$/;
/** Longer input is no amount anyone means; refusing it keeps bigint work bounded. */
const MAX_INPUT = 40;
/** Enough for any unit price (≤ 12 fraction digits) times anything we display. */
const MAX_DIGITS = 40;

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

function abs(v: bigint): bigint {
  return v < 0n ? -v : v;
}

/** coef/10^scale written with a dot and exactly `scale` fraction digits. */
function render(coef: bigint, scale: number): string {
  const sign = coef < 0n ? '-' : '';
  const digits = abs(coef).toString().padStart(scale + 1, '0');
  if (scale === 0) return sign + digits;
  return `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

export class Decimal {
  private constructor(
    readonly coef: bigint,
    readonly scale: number,
  ) {}

  /**
   * "25", "-25.00", "+0.0001", "0,0001" (decimal comma accepted for French input).
   * A JSON number is taken by its written form, as long as that form is a plain decimal.
   * Anything else (empty, exponent, inner spaces, NaN, "1.", ".5") is BAD_REQUEST.
   */
  static parse(s: string | number, field?: string): Decimal {
    let text: string;
    if (typeof s === 'string') text = s;
    else if (typeof s === 'number' && Number.isFinite(s)) text = String(s);
    else throw new AppError('BAD_REQUEST', `not a decimal number: ${describe(s)}`, field);
    if (text.length > MAX_INPUT) throw new AppError('BAD_REQUEST', `decimal number too long (max ${MAX_INPUT} characters)`, field);
    const m = DECIMAL.exec(text);
    if (!m) throw new AppError('BAD_REQUEST', `not a decimal number: ${JSON.stringify(text)}`, field);
    const [, sign, int, frac = ''] = m;
    const coef = BigInt(int + frac);
    return new Decimal(sign === '-' ? -coef : coef, frac.length);
  }

  static ofUnits(units: number): Decimal {
    if (!Number.isSafeInteger(units)) throw new AppError('BAD_REQUEST', `units must be a safe integer: ${describe(units)}`, 'units');
    return new Decimal(BigInt(units), 0);
  }

  /** For code that already holds exact parts (e.g. cents); scale must be a small integer ≥ 0. */
  static of(coef: bigint, scale = 0): Decimal {
    if (!Number.isSafeInteger(scale) || scale < 0 || scale > MAX_DIGITS) throw new AppError('BAD_REQUEST', `bad decimal scale ${scale}`);
    return new Decimal(coef, scale);
  }

  /** Both coefficients at the larger of the two scales. */
  private align(o: Decimal): [bigint, bigint, number] {
    const scale = Math.max(this.scale, o.scale);
    return [this.coef * pow10(scale - this.scale), o.coef * pow10(scale - o.scale), scale];
  }

  add(o: Decimal): Decimal {
    const [a, b, scale] = this.align(o);
    return new Decimal(a + b, scale);
  }

  sub(o: Decimal): Decimal {
    const [a, b, scale] = this.align(o);
    return new Decimal(a - b, scale);
  }

  mul(o: Decimal): Decimal {
    return new Decimal(this.coef * o.coef, this.scale + o.scale);
  }

  neg(): Decimal {
    return new Decimal(-this.coef, this.scale);
  }

  cmp(o: Decimal): -1 | 0 | 1 {
    const [a, b] = this.align(o);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  isZero(): boolean {
    return this.coef === 0n;
  }

  isNegative(): boolean {
    return this.coef < 0n;
  }

  /** Value × 10^digits, truncated toward zero (e.g. whole cents with digits = 2). */
  truncatedCoef(digits: number): bigint {
    checkDigits(digits);
    return digits >= this.scale ? this.coef * pow10(digits - this.scale) : this.coef / pow10(this.scale - digits);
  }

  /** Dot, exactly `digits` fraction digits, rounded half away from zero: 23.578 → "23.58". */
  toFixed(digits: number): string {
    checkDigits(digits);
    if (digits >= this.scale) return render(this.coef * pow10(digits - this.scale), digits);
    const divisor = pow10(this.scale - digits);
    let q = this.coef / divisor; // truncates toward zero
    const r = abs(this.coef % divisor);
    if (r * 2n >= divisor) q += this.coef < 0n ? -1n : 1n;
    return render(q, digits);
  }

  /** Dot, at the number's own scale: parse("25.00").toString() = "25.00". */
  toString(): string {
    return render(this.coef, this.scale);
  }

  /** Dot, no trailing zeros: "25", "-1.3", "0". */
  trimmed(): string {
    let coef = this.coef;
    let scale = this.scale;
    while (scale > 0 && coef % 10n === 0n) {
      coef /= 10n;
      scale--;
    }
    return render(coef, scale);
  }
}

function checkDigits(digits: number): void {
  if (!Number.isSafeInteger(digits) || digits < 0 || digits > MAX_DIGITS) {
    throw new AppError('BAD_REQUEST', `fraction digits must be an integer in 0..${MAX_DIGITS}: ${describe(digits)}`);
  }
}

/** A short, safe rendering of bad input for an error message. */
export function describe(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : typeof v === 'bigint' ? `${v}n` : String(v);
  } catch {
    s = typeof v;
  }
  return s.length > 50 ? s.slice(0, 47) + '...' : s;
}
