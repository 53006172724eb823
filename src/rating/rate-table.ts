import { AppError } from '../errors.ts';
import { zoneOffsets, type ZoneOffsets } from '../timezone/index.ts';
import { DEFAULT_PREFIX, SEED_DEFAULT_ROW, timeOfDayMinutes, type CostRow } from './cost-row.ts';
import { PrefixIndex } from './prefix-index.ts';
import { inWindow, runAt, type H2Window } from './periods.ts';

/**
 * Rating horizon: cost() and stepCost() refuse durations beyond it and maxSeconds()
 * never answers more (10 years; no real call gets near, and it bounds the walk over
 * H1/H2 periods).
 */
export const MAX_SECONDS = 10 * 366 * 86_400;

/** Seconds billed for a call of `seconds`: rounded up to a whole second, then up to a multiple of `increment`. */
export function billableSeconds(seconds: number, increment: number): number {
  if (!(seconds > 0)) return 0;
  return Math.ceil(Math.ceil(seconds) / increment) * increment;
}

/** A cost row reduced to what pricing needs; `window` null when one rate applies all day. */
interface Tariff {
  h1: number;
  h2: number;
  setup: number;
  increment: number;
  window: H2Window | null;
}

/**
 * The cost table of the box: built once per cost-table change, queried per call.
 * Pure: no I/O, no clock (instants are passed in).
 */
export class RateTable {
  private readonly index: PrefixIndex<CostRow>;
  private readonly defaultRow: CostRow;
  private readonly zone: ZoneOffsets;

  /**
   * rows: the cost rows, DEFAULT among them (without one, the seed's DEFAULT of
   * 200 units/s applies, as on a fresh store). A prefix given twice keeps the later row.
   * AppError BAD_REQUEST for an unknown timezone or an invalid row.
   */
  constructor(rows: readonly CostRow[], timezone = 'Europe/Paris') {
    this.zone = zoneOffsets(timezone);
    let defaultRow: CostRow = SEED_DEFAULT_ROW;
    const entries: [string, CostRow][] = [];
    for (const row of rows) {
      tariffOf(row); // reject a bad row now rather than at the first call that uses it
      if (row.prefix === DEFAULT_PREFIX) defaultRow = row;
      else if (typeof row.prefix === 'string' && /^\d{1,20}$/.test(row.prefix)) entries.push([row.prefix, row]);
      else throw new AppError('BAD_REQUEST', 'prefix must be DEFAULT or 1 to 20 digits', 'prefix');
    }
    this.index = new PrefixIndex(entries);
    this.defaultRow = defaultRow;
  }

  /**
   * The row of the longest prefix of `number`, else DEFAULT. A leading '+' is skipped;
   * matching stops at the first non-digit ('*', '#', ...).
   */
  quote(number: string): CostRow {
    if (typeof number !== 'string') return this.defaultRow;
    return this.index.longest(number) ?? this.defaultRow;
  }

  /** Units per second in force at instant atMs. */
  rateAt(row: CostRow, atMs: number): number {
    const t = tariffOf(row);
    if (t.window === null) return t.h1;
    finite(atMs, 'atMs');
    return inWindow(this.zone.timeOfDay(atMs), t.window) ? t.h2 : t.h1;
  }

  /**
   * Units for a connected call of `seconds` (fractions round up) that started at startMs:
   * setup + each billable second priced at the rate in force when it starts.
   */
  cost(row: CostRow, startMs: number, seconds: number): number {
    const t = tariffOf(row);
    finite(startMs, 'startMs');
    finite(seconds, 'seconds');
    const billable = billableSeconds(seconds, t.increment);
    if (billable > MAX_SECONDS) throw new AppError('BAD_REQUEST', 'call duration beyond the rating horizon', 'seconds');
    return exact(t.setup + this.sum(t, startMs, 0, billable), 'seconds');
  }

  /** Units of billing step `step` (seconds [step*increment, (step+1)*increment)), setup included for step 0. */
  stepCost(row: CostRow, startMs: number, step: number): number {
    const t = tariffOf(row);
    finite(startMs, 'startMs');
    if (!Number.isSafeInteger(step) || step < 0) {
      throw new AppError('BAD_REQUEST', 'step must be a whole number ≥ 0', 'step');
    }
    const from = step * t.increment;
    const to = from + t.increment;
    if (to > MAX_SECONDS) throw new AppError('BAD_REQUEST', 'step beyond the rating horizon', 'step');
    return exact((step === 0 ? t.setup : 0) + this.sum(t, startMs, from, to), 'step');
  }

  /**
   * The longest billable time (a multiple of increment) whose cost is ≤ units, for a
   * call connected at startMs: 0 when setup + the first step cannot be paid, Infinity
   * when the row never charges (rates 0), at most MAX_SECONDS otherwise.
   */
  maxSeconds(row: CostRow, units: number, startMs: number): number {
    const t = tariffOf(row);
    finite(startMs, 'startMs');
    if (typeof units !== 'number' || !(units >= t.setup)) return 0; // NaN too
    if (t.h1 === 0 && (t.window === null || t.h2 === 0)) return Infinity;
    let budget = units - t.setup;
    let seconds: number; // largest per-second count affordable, before rounding to steps
    if (t.window === null) {
      seconds = Math.floor(budget / t.h1);
    } else {
      seconds = MAX_SECONDS;
      let s = 0;
      while (s < MAX_SECONDS) {
        const run = runAt(this.zone, t.window, startMs, s);
        const rate = run.h2 ? t.h2 : t.h1;
        const price = rate * (run.to - s);
        if (price <= budget) {
          budget -= price;
          s = run.to;
        } else {
          seconds = s + Math.floor(budget / rate);
          break;
        }
      }
    }
    const capped = Math.min(seconds, MAX_SECONDS);
    return Math.floor(capped / t.increment) * t.increment;
  }

  /** Σ rate in force at startMs + s*1000 for s in [from, to), run by run. */
  private sum(t: Tariff, startMs: number, from: number, to: number): number {
    if (t.window === null) return t.h1 * (to - from);
    let total = 0;
    let s = from;
    while (s < to) {
      const run = runAt(this.zone, t.window, startMs, s);
      const end = Math.min(run.to, to);
      total += (run.h2 ? t.h2 : t.h1) * (end - s);
      s = end;
    }
    return total;
  }
}

/**
 * Rows reach the table from the store and the open-call journal; fields a journal
 * written before they existed may lack take their defaults, anything else wrong is refused.
 */
function tariffOf(row: CostRow): Tariff {
  if (typeof row !== 'object' || row === null) throw new AppError('BAD_REQUEST', 'a cost row must be an object');
  const h1 = units(row.h1, 'h1');
  const h2 = units(row.h2 ?? 0, 'h2');
  const setup = units(row.setup ?? 0, 'setup');
  const increment = units(row.increment ?? 1, 'increment');
  if (increment < 1) throw new AppError('BAD_REQUEST', 'increment must be ≥ 1', 'increment');
  const begin = timeOfDayMinutes(row.h2Begin ?? '00:00', 'h2Begin') * 60_000;
  const end = timeOfDayMinutes(row.h2End ?? '00:00', 'h2End') * 60_000;
  const window = begin === end || h1 === h2 ? null : { begin, end };
  return { h1, h2, setup, increment, window };
}

function units(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new AppError('BAD_REQUEST', `${field} must be a whole number ≥ 0`, field);
  }
  return v;
}

// Units are integers; a sum past 2^53 would silently lose units, so it is refused.
function exact(total: number, field: string): number {
  if (!Number.isSafeInteger(total)) throw new AppError('BAD_REQUEST', 'cost beyond the exact integer range', field);
  return total;
}

function finite(v: number, field: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new AppError('BAD_REQUEST', `${field} must be a finite number`, field);
  }
}
