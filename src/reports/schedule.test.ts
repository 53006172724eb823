import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { getTasks } from 'node-cron';
import { FakeClock } from '../clock.ts';
import { setLogSink } from '../log.ts';
import type { Store } from '../store/index.ts';
import { freshStore } from '../store/test-support.ts';
import { formatStamp, zoneOffsets } from '../timezone/index.ts';
import { ScriptedSupervision } from '../web/testbed.ts';
import { firstRunBetween, SCHEDULE_META, startBillingSchedule, type BillingSchedule } from './schedule.ts';

const PARIS = 'Europe/Paris';
const utc = (iso: string): number => Date.parse(iso);
const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

describe('firstRunBetween', () => {
  it('finds the monthly close at local midnight of the 1st', () => {
    const t = firstRunBetween('0 0 1 * *', PARIS, utc('2025-01-15T12:00:00Z'), utc('2025-03-10T00:00:00Z'));
    assert.equal(iso(t), '2025-01-31T23:00:00.000Z');
  });

  it('uses summer time when the instant is in summer', () => {
    const t = firstRunBetween('0 0 1 * *', PARIS, utc('2025-06-15T00:00:00Z'), utc('2025-07-15T00:00:00Z'));
    assert.equal(iso(t), '2025-06-30T22:00:00.000Z');
  });

  it('excludes the after bound and includes the until bound', () => {
    const slot = utc('2025-01-31T23:00:00Z');
    assert.equal(firstRunBetween('0 0 1 * *', PARIS, slot, slot + 86_400_000), null);
    assert.equal(firstRunBetween('0 0 1 * *', PARIS, slot - 1, slot), slot);
    assert.equal(firstRunBetween('0 0 1 * *', PARIS, slot - 1000, slot - 1), null);
  });

  it('finds nothing when no instant fell in the window', () => {
    assert.equal(firstRunBetween('0 0 1 * *', PARIS, utc('2025-02-01T00:00:00Z'), utc('2025-02-28T22:00:00Z')), null);
    assert.equal(firstRunBetween('0 0 1 * *', PARIS, utc('2025-02-01T00:00:00Z'), utc('2025-02-01T00:00:00Z')), null);
  });

  it('honours weekdays, six-field seconds and L (last day of month)', () => {
    // 2025-03-07 is a Friday
    assert.equal(iso(firstRunBetween('30 18 * * 5', PARIS, utc('2025-03-03T00:00:00Z'), utc('2025-04-01T00:00:00Z'))), '2025-03-07T17:30:00.000Z');
    assert.equal(iso(firstRunBetween('15 0 0 * * *', 'UTC', utc('2025-03-03T00:00:15Z'), utc('2025-04-01T00:00:00Z'))), '2025-03-04T00:00:15.000Z');
    assert.equal(iso(firstRunBetween('0 23 L * *', 'UTC', utc('2025-02-01T00:00:00Z'), utc('2025-04-01T00:00:00Z'))), '2025-02-28T23:00:00.000Z');
  });

  it('finds a yearly instant after a long time off', () => {
    assert.equal(iso(firstRunBetween('0 0 1 1 *', PARIS, utc('2023-01-01T00:00:00Z'), utc('2025-06-01T00:00:00Z'))), '2023-12-31T23:00:00.000Z');
  });

  it('finds the first of several instants within the first day', () => {
    assert.equal(iso(firstRunBetween('*/10 * * * *', 'UTC', utc('2025-03-03T10:05:00Z'), utc('2025-03-04T00:00:00Z'))), '2025-03-03T10:10:00.000Z');
  });

  it('counts a daily 02:30 on DST change days: none in the spring gap, one in the repeated autumn hour', () => {
    assert.equal(iso(firstRunBetween('30 2 * * *', PARIS, utc('2025-03-29T12:00:00Z'), utc('2025-03-30T23:00:00Z'))), null);
    assert.equal(iso(firstRunBetween('30 2 * * *', PARIS, utc('2025-10-25T12:00:00Z'), utc('2025-10-26T23:00:00Z'))), '2025-10-26T00:30:00.000Z');
  });

  it('throws on an invalid expression', () => {
    assert.throws(() => firstRunBetween('not a cron', PARIS, 0, 1000));
  });
});

describe('startBillingSchedule', () => {
  let store: Store;
  let done: () => Promise<void>;
  const supervision = new ScriptedSupervision();
  const running: BillingSchedule[] = [];

  function start(now: number): BillingSchedule {
    const s = startBillingSchedule({ store, supervision }, { clock: new FakeClock(now) });
    running.push(s);
    return s;
  }

  before(() => setLogSink(() => {}));
  beforeEach(async () => {
    if (done) await done();
    ({ store, done } = freshStore());
    store.updateConfig({ timezone: PARIS, billingSchedule: '0 0 1 * *' });
    store.createUser({ id: '1001', name: 'Alice', pin: '2345' });
    store.credit('1001', 5000, utc('2025-01-02T10:00:00Z'));
  });
  afterEach(() => {
    for (const s of running.splice(0)) s.stop();
  });
  after(async () => {
    await done?.();
    setLogSink((l) => process.stdout.write(l + '\n'));
  });

  it('on a first start only records the instant: no close', () => {
    const now = utc('2025-01-15T12:00:00Z');
    start(now);
    assert.equal(store.archives().length, 0);
    assert.deepEqual(store.meta(SCHEDULE_META), { schedule: '0 0 1 * *', at: now });
  });

  it('closes once at start for a monthly close missed while the box was off', () => {
    store.setMeta(SCHEDULE_META, { schedule: '0 0 1 * *', at: utc('2025-01-15T12:00:00Z') });
    // off from mid-January to 10 March: two instants missed, one close
    const now = utc('2025-03-10T08:00:00Z');
    start(now);
    assert.deepEqual(
      store.archives().map((a) => a.name),
      ['BILLING_20250310_090000.csv'],
    );
    assert.equal(store.ledger('1001')[0]!.operation, 'REPORT');
    assert.deepEqual(store.meta(SCHEDULE_META), { schedule: '0 0 1 * *', at: now });
    // the next start finds nothing more to catch up
    start(now + 60_000);
    assert.equal(store.archives().length, 1);
  });

  it('does not close when no instant passed since the last one', () => {
    store.setMeta(SCHEDULE_META, { schedule: '0 0 1 * *', at: utc('2025-01-31T23:00:00Z') });
    start(utc('2025-02-27T08:00:00Z'));
    assert.equal(store.archives().length, 0);
  });

  it('does not catch up the instants of a schedule that was since replaced', () => {
    store.setMeta(SCHEDULE_META, { schedule: '0 0 * * *', at: utc('2025-01-15T12:00:00Z') });
    const now = utc('2025-03-10T08:00:00Z');
    start(now);
    assert.equal(store.archives().length, 0);
    assert.deepEqual(store.meta(SCHEDULE_META), { schedule: '0 0 1 * *', at: now });
  });

  it('schedules the next close in the box timezone, follows config changes, and stops', () => {
    const s = start(utc('2025-01-15T12:00:00Z'));
    const next = s.nextRun();
    assert.ok(next !== null);
    assert.match(formatStamp(next, PARIS), /^\d{6}01_000000$/);

    store.updateConfig({ billingSchedule: '' });
    s.reschedule();
    assert.equal(s.nextRun(), null);

    store.updateConfig({ billingSchedule: '0 3 * * 1' });
    s.reschedule();
    const weekly = s.nextRun();
    assert.ok(weekly !== null);
    assert.match(formatStamp(weekly, PARIS), /_030000$/);
    assert.equal(new Date(weekly + zoneOffsets(PARIS).offsetAt(weekly)).getUTCDay(), 1);

    s.stop();
    assert.equal(s.nextRun(), null);
  });

  it('a scheduled run closes the period; one in the second of a manual close is skipped quietly', async () => {
    // execute() stamps its run with the real time: start a second earlier, or a fast machine
    // runs it in the very millisecond the start recorded and rightly skips it as closed
    const now = Date.now() - 1000;
    start(now);
    const task = [...getTasks().values()].find((t) => t.name === 'billing-close');
    assert.ok(task, 'a node-cron task is scheduled');
    await task.execute();
    assert.equal(store.archives().length, 1);
    assert.equal(store.ledger('1001')[0]!.operation, 'REPORT');
    const mark = store.meta(SCHEDULE_META) as { at: number };
    assert.ok(mark.at >= now);
    // same (fake) second again: ARCHIVE_EXISTS is absorbed, nothing else changes
    await task.execute();
    assert.equal(store.archives().length, 1);
  });

  it('stays manual-only with an empty schedule', () => {
    store.updateConfig({ billingSchedule: '' });
    store.setMeta(SCHEDULE_META, { schedule: '0 0 1 * *', at: utc('2024-01-15T12:00:00Z') });
    const s = start(utc('2025-03-10T08:00:00Z'));
    assert.equal(s.nextRun(), null);
    assert.equal(store.archives().length, 0);
  });
});
