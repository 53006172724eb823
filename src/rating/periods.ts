import { AppError } from '../errors.ts';

/**
 * Local wall-clock time in an IANA timezone, and the H1/H2 periods it defines.
 *
 * The H2 window is [begin, end) in local time of day. Whether an instant is in H2 is
 * decided by the local wall clock at that instant, so DST days come out as the clock
 * on the wall says: on a spring-forward day a window starting inside the skipped hour
 * starts when the clock jumps past its start; on a fall-back day the repeated hour is
 * in (or out of) the window both times it is lived.
 */

export const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
const MAX_CACHED_WEEKS = 4096;

/** UTC offset in force over one week [start, start + WEEK_MS): `before` until `change`, then `after`. */
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
 */
export class ZoneOffsets {
  private readonly format: Intl.DateTimeFormat;
  private readonly weeks = new Map<number, Week>();

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
    const index = Math.floor(t / WEEK_MS);
    let week = this.weeks.get(index);
    if (week === undefined) {
      if (this.weeks.size >= MAX_CACHED_WEEKS) this.weeks.clear();
      week = this.measureWeek(index * WEEK_MS);
      this.weeks.set(index, week);
    }
    return t < week.change ? { offset: week.before, until: week.change } : { offset: week.after, until: week.end };
  }

  offsetAt(t: number): number {
    return this.span(t).offset;
  }

  /** Milliseconds after local midnight at instant t. */
  timeOfDay(t: number): number {
    return mod(t + this.span(t).offset, DAY_MS);
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

/** The shared (cached) offsets of a timezone; AppError BAD_REQUEST (field timezone) if unknown. */
export function zoneOffsets(timezone: string): ZoneOffsets {
  let zone = zones.get(timezone);
  if (zone === undefined) {
    try {
      zone = new ZoneOffsets(timezone);
    } catch {
      throw new AppError('BAD_REQUEST', `unknown timezone ${JSON.stringify(timezone)}`, 'timezone');
    }
    zones.set(timezone, zone);
  }
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

/** The H2 window [begin, end) in ms after local midnight; begin !== end. */
export interface H2Window {
  begin: number;
  end: number;
}

export function inWindow(timeOfDay: number, w: H2Window): boolean {
  return w.begin < w.end
    ? timeOfDay >= w.begin && timeOfDay < w.end
    : timeOfDay >= w.begin || timeOfDay < w.end;
}

/** A run of billable seconds [from, to) of a call that share one period. */
export interface Run {
  h2: boolean;
  to: number;
}

/**
 * The period of billable second `s` of a call started at `startMs` (second s is at
 * startMs + s*1000) and the first later second that may be in another period. The run
 * ends at the next window edge or the next offset change, whichever comes first; a run
 * may be followed by one in the same period (after an offset change), never by an
 * earlier flip, so callers can simply walk run after run.
 */
export function runAt(zone: ZoneOffsets, w: H2Window, startMs: number, s: number): Run {
  const t = startMs + s * 1000;
  const { offset, until } = zone.span(t);
  const tod = mod(t + offset, DAY_MS);
  const h2 = inWindow(tod, w);
  const edge = h2 ? w.end : w.begin;
  const toEdge = mod(edge - tod, DAY_MS) || DAY_MS;
  const next = Math.min(t + toEdge, until);
  return { h2, to: s + Math.max(1, Math.ceil((next - t) / 1000)) };
}

function mod(a: number, m: number): number {
  const r = a % m;
  return r < 0 ? r + m : r;
}
