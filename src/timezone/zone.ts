// UTC offsets of the box's IANA timezone: the one source of local wall-clock time for
// rating (H1/H2 periods), reports (CSV dates, scheduled closes) and the JSON API.
import { AppError } from '../errors.ts';

export const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
const MAX_CACHED_WEEKS = 4096;

/** UTC offset in force over one week [start, end): `before` until `change`, then `after`. */
interface Week {
  before: number;
  change: number;
  after: number;
  end: number;
}

/** A span of instants over which the UTC offset is constant. */
export interface OffsetSpan {
  offset: number; // ms to add to UTC to get local wall-clock time
  until: number; // the offset holds at least until this instant (exclusive)
}

/**
 * UTC offsets of one timezone. Intl.DateTimeFormat is slow (~µs) and only gives wall
 * time, so offsets are computed per week and cached: two formatter calls per week, plus
 * a bisection to the millisecond in the rare week that holds a transition. Assumes at
 * most one offset change per week, which holds for every zone's rules in use today.
 * The last span found is kept apart: exports and pricing walk time forward, so nearly
 * every lookup is two comparisons.
 */
export class ZoneOffsets {
  private readonly format: Intl.DateTimeFormat;
  private readonly weeks = new Map<number, Week>();
  private lastFrom = NaN; // [lastFrom, lastUntil) has offset lastOffset; NaN: nothing yet
  private lastUntil = NaN;
  private lastOffset = 0;

  /** Throws RangeError for a timezone unknown to this Node's ICU data. */
  constructor(readonly timezone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** The offset in force at `t` and how long it lasts at least. */
  span(t: number): OffsetSpan {
    const offset = this.offsetAt(t);
    return { offset, until: this.lastUntil };
  }

  /** Local time minus UTC, in ms, at the instant t (Paris in summer: 7_200_000). */
  offsetAt(t: number): number {
    if (t >= this.lastFrom && t < this.lastUntil) return this.lastOffset;
    const index = Math.floor(t / WEEK_MS);
    let week = this.weeks.get(index);
    if (week === undefined) {
      if (this.weeks.size >= MAX_CACHED_WEEKS) this.weeks.clear();
      week = this.measureWeek(index * WEEK_MS);
      this.weeks.set(index, week);
    }
    if (t < week.change) {
      this.lastFrom = index * WEEK_MS;
      this.lastUntil = week.change;
      this.lastOffset = week.before;
    } else {
      this.lastFrom = week.change;
      this.lastUntil = week.end;
      this.lastOffset = week.after;
    }
    return this.lastOffset;
  }

  /** Milliseconds after local midnight at instant t. */
  timeOfDay(t: number): number {
    const r = (t + this.offsetAt(t)) % DAY_MS;
    return r < 0 ? r + DAY_MS : r;
  }

  private measureWeek(start: number): Week {
    const end = start + WEEK_MS;
    const before = this.rawOffset(start);
    const after = this.rawOffset(end);
    if (before === after) return { before, change: end, after, end };
    let lo = start; // offset === before
    let hi = end; // offset !== before
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.rawOffset(mid) === before) lo = mid;
      else hi = mid;
    }
    return { before, change: hi, after, end };
  }

  private rawOffset(t: number): number {
    let y = 0;
    let mo = 0;
    let d = 0;
    let h = 0;
    let mi = 0;
    let s = 0;
    for (const p of this.format.formatToParts(t)) {
      switch (p.type) {
        case 'year': y = Number(p.value); break;
        case 'month': mo = Number(p.value); break;
        case 'day': d = Number(p.value); break;
        case 'hour': h = Number(p.value); break;
        case 'minute': mi = Number(p.value); break;
        case 'second': s = Number(p.value); break;
      }
    }
    const wall = new Date(0);
    wall.setUTCFullYear(y, mo - 1, d); // setUTCFullYear: no 19xx mapping of years < 100
    wall.setUTCHours(h, mi, s, 0);
    return wall.getTime() - Math.floor(t / 1000) * 1000;
  }
}

const zones = new Map<string, ZoneOffsets>();
let lastZone: ZoneOffsets | undefined; // the box has one timezone: skip the map on repeats

/** The shared (cached) offsets of a timezone; AppError BAD_REQUEST (field timezone) if unknown. */
export function zoneOffsets(timezone: string): ZoneOffsets {
  if (lastZone !== undefined && lastZone.timezone === timezone) return lastZone;
  let zone = zones.get(timezone);
  if (zone === undefined) {
    try {
      zone = new ZoneOffsets(timezone);
    } catch {
      throw new AppError('BAD_REQUEST', `unknown timezone ${JSON.stringify(timezone)}`, 'timezone');
    }
    zones.set(timezone, zone);
  }
  lastZone = zone;
  return zone;
}

/** True when `timezone` is an IANA name this Node knows. */
export function isValidTimezone(timezone: string): boolean {
  try {
    zoneOffsets(timezone);
    return true;
  } catch {
    return false;
  }
}
