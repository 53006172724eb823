// Scheduled billing close (general parameter `billingSchedule`, cron syntax in the box
// timezone). The instant of the last scheduled close is kept in store meta, so a close that
// fell while the box was off runs once at the next start.
import { createTask, parse, schedule, type ScheduledTask } from 'node-cron';
import { systemClock, type Clock } from '../clock.ts';
import { isAppError } from '../errors.ts';
import { log } from '../log.ts';
import { instantOf, localParts, type LocalParts } from '../timezone/index.ts';
import { closeBilling, type BillingApp } from './billing.ts';

/** Store meta key: `{ schedule, at }`, the expression and the last scheduled instant (ms). */
export const SCHEDULE_META = 'billing.lastScheduledRun';

interface ScheduleMark {
  schedule: string;
  at: number;
}

function readMark(v: unknown): ScheduleMark | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  return typeof o.schedule === 'string' && typeof o.at === 'number' && Number.isFinite(o.at)
    ? { schedule: o.schedule, at: o.at }
    : null;
}

function sameWall(a: LocalParts, b: LocalParts): boolean {
  return a.year === b.year && a.month === b.month && a.day === b.day && a.hour === b.hour && a.minute === b.minute && a.second === b.second;
}

function nextDate(p: { year: number; month: number; day: number }): { year: number; month: number; day: number } {
  const d = new Date(Date.UTC(p.year, p.month - 1, p.day + 1));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

function dateKey(p: { year: number; month: number; day: number }): number {
  return p.year * 10_000 + p.month * 100 + p.day;
}

/**
 * The first instant in (afterMs, untilMs] at which the cron expression fires in the zone,
 * or null. node-cron has no "runs between" query, so this walks the local calendar day by
 * day over the expression's own hours/minutes/seconds and lets node-cron's matcher decide
 * (day-of-month, weekday, L/W/# forms). Throws on an invalid expression.
 */
export function firstRunBetween(expr: string, timezone: string, afterMs: number, untilMs: number): number | null {
  if (!(untilMs > afterMs)) return null;
  const f = parse(expr);
  const asc = (a: number, b: number): number => a - b;
  const seconds = [...f.second].sort(asc);
  const minutes = [...f.minute].sort(asc);
  const hours = [...f.hour].sort(asc);
  const months = new Set(f.month);
  const from = localParts(afterMs, timezone);
  const until = localParts(untilMs, timezone);
  const lastDay = dateKey(until);
  const matcher: ScheduledTask = createTask(expr, () => undefined, { timezone });
  try {
    for (let d = { year: from.year, month: from.month, day: from.day }; dateKey(d) <= lastDay; d = nextDate(d)) {
      if (!months.has(d.month)) continue;
      const firstDay = dateKey(d) === dateKey(from);
      const finalDay = dateKey(d) === lastDay;
      day: for (const hour of hours) {
        // an hour of slack either side: a DST change moves wall time against instants
        if (firstDay && hour < from.hour - 1) continue;
        if (finalDay && hour > until.hour + 1) break;
        for (const minute of minutes) {
          for (const second of seconds) {
            const wall = { ...d, hour, minute, second };
            const t = instantOf(wall, timezone);
            if (t <= afterMs || t > untilMs) continue;
            if (matcher.match(new Date(t))) return t;
            // the time exists and its fields match by construction: the day itself is out
            if (sameWall(localParts(t, timezone), wall)) break day;
          }
        }
      }
    }
    return null;
  } finally {
    void matcher.destroy();
  }
}

export interface BillingSchedule {
  /** Re-reads `billingSchedule` and `timezone` from the store config (call after a change). */
  reschedule(): void;
  stop(): void;
  /** Next scheduled close (ms), null when manual only. */
  nextRun(): number | null;
}

const cronLogger = {
  info: (m: string) => log('BILLING_SCHEDULE_INFO', { message: m }),
  warn: (m: string) => log('BILLING_SCHEDULE_WARN', { message: m }),
  error: (m: string | Error) => log('BILLING_SCHEDULE_ERROR', { message: m instanceof Error ? m.message : m }),
  debug: () => undefined,
};

/**
 * Starts the scheduled close: first a catch-up (one close when a scheduled instant passed
 * since the last recorded one, e.g. while the box was off), then a node-cron task.
 */
export function startBillingSchedule(app: BillingApp, o: { clock?: Clock } = {}): BillingSchedule {
  const clock = o.clock ?? systemClock;
  let task: ScheduledTask | null = null;
  let current = { expr: '', timezone: '' };

  const mark = (): ScheduleMark | null => readMark(app.store.meta(SCHEDULE_META));
  const setMark = (schedule: string, at: number): void => app.store.setMeta(SCHEDULE_META, { schedule, at });

  function close(trigger: 'schedule' | 'catch-up', slot: number, expr: string): void {
    const m = mark();
    if (m && m.schedule === expr && m.at >= slot) return; // that slot is already closed
    const now = clock.now();
    try {
      closeBilling(app, now, trigger);
    } catch (e) {
      // a manual close in the same second already froze this period
      if (!(isAppError(e) && e.code === 'ARCHIVE_EXISTS')) {
        log('BILLING_SCHEDULE_FAILED', { error: e instanceof Error ? e.message : String(e) });
        return;
      }
    }
    setMark(expr, Math.max(slot, now));
  }

  function catchUp(expr: string, timezone: string): void {
    const m = mark();
    const now = clock.now();
    // a new expression starts counting from now: no close for instants of an older schedule
    if (!m || m.schedule !== expr) {
      setMark(expr, now);
      return;
    }
    const missed = firstRunBetween(expr, timezone, m.at, now);
    if (missed !== null) {
      log('BILLING_SCHEDULE_MISSED', { at: new Date(missed).toISOString() });
      close('catch-up', missed, expr);
    }
  }

  function reschedule(): void {
    const cfg = app.store.config();
    const expr = cfg.billingSchedule.trim();
    if (task && expr === current.expr && cfg.timezone === current.timezone) return;
    if (!task && expr === '' && current.expr === '') return;
    stop();
    current = { expr, timezone: cfg.timezone };
    if (expr === '') return;
    try {
      catchUp(expr, cfg.timezone);
      const t = schedule(expr, (ctx) => close('schedule', ctx.date.getTime(), expr), {
        name: 'billing-close',
        timezone: cfg.timezone,
        noOverlap: true,
        logger: cronLogger,
      });
      // node-cron reports a slot it could not run on time (suspended box, blocked loop)
      t.on('execution:missed', (ctx) => close('catch-up', ctx.date.getTime(), expr));
      task = t;
      log('BILLING_SCHEDULE', { schedule: expr, timezone: cfg.timezone });
    } catch (e) {
      log('BILLING_SCHEDULE_INVALID', { schedule: expr, error: e instanceof Error ? e.message : String(e) });
    }
  }

  function stop(): void {
    if (task) void task.destroy();
    task = null;
  }

  reschedule();
  return {
    reschedule,
    stop() {
      stop();
      current = { expr: '', timezone: '' };
    },
    nextRun: () => task?.getNextRun()?.getTime() ?? null,
  };
}
