import { DAY_MS, type ZoneOffsets } from '../timezone/index.ts';

/**
 * The H1/H2 periods defined by local wall-clock time in the box timezone.
 *
 * The H2 window is [begin, end) in local time of day. Whether an instant is in H2 is
 * decided by the local wall clock at that instant, so DST days come out as the clock
 * on the wall says: on a spring-forward day a window starting inside the skipped hour
 * starts when the clock jumps past its start; on a fall-back day the repeated hour is
 * in (or out of) the window both times it is lived.
 */

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
