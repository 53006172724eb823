import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../clock.ts';
import { RateTable, type CostRow } from '../rating/index.ts';
import type { Cdr, OpenCall, User } from '../store/index.ts';
import { CUT_LEAD_MS, Meter, type MeterStore } from './meter.ts';
import { planCuts } from './plan.ts';

const row = (prefix: string, h1: number, extra: Partial<CostRow> = {}): CostRow => ({
  prefix,
  h1,
  h2Begin: '00:00',
  h2End: '00:00',
  h2: 0,
  increment: 1,
  setup: 0,
  ...extra,
});

/** A store double that keeps what metering writes, with the real store's clamping rule. */
class MemStore implements MeterStore {
  users = new Map<string, User>();
  journalMap = new Map<string, OpenCall>();
  cdrList: Cdr[] = [];
  user(id: string) {
    return this.users.get(id);
  }
  journal(c: OpenCall) {
    this.journalMap.set(c.callId, { ...c });
  }
  checkpoint(at: number, ids: string[]) {
    for (const id of ids) {
      const e = this.journalMap.get(id);
      if (e) e.checkpointAt = at;
    }
  }
  settle(s: { callId: string; userId: string; units: number; cdr: Cdr }) {
    const u = this.users.get(s.userId)!;
    if (this.cdrList.some((c) => c.callId === s.callId)) return u;
    const units = Math.min(s.units, u.units);
    u.units -= units;
    this.cdrList.push({ ...s.cdr, cost: units });
    this.journalMap.delete(s.callId);
    return u;
  }
  recordCdr(c: Cdr) {
    this.cdrList.push(c);
    this.journalMap.delete(c.callId);
  }
  openCalls() {
    return [...this.journalMap.values()];
  }
}

function setup(units: number, rows: CostRow[] = [row('DEFAULT', 200)], warningSeconds = 0) {
  const clock = new FakeClock(Date.UTC(2026, 0, 15, 10, 0, 0));
  const store = new MemStore();
  store.users.set('1001', { id: '1001', name: '1001', callerId: '', units });
  const rates = new RateTable(rows, 'Europe/Paris');
  const events: string[] = [];
  const cuts = new Map<string, number>();
  const limits = new Map<string, number>();
  const meter = new Meter({
    store,
    rates: () => rates,
    clock,
    warningSeconds: () => warningSeconds,
    listener: {
      warn: (id) => events.push(`warn ${id} @${clock.now()}`),
      cut: (id, at) => {
        cuts.set(id, at);
        events.push(`cut ${id}`);
      },
      limit: (id, s) => limits.set(id, s),
    },
  });
  const open = (callId: string, dialed = '0141587070') => {
    meter.authorise('1001', dialed);
    const auth = meter.authorise('1001', dialed);
    meter.open({ callId, userId: '1001', from: '5173', dialed, offerAt: clock.now() - 5000, dialAt: clock.now(), row: auth.row });
    return auth;
  };
  return { clock, store, meter, events, cuts, limits, open, rates };
}

describe('Meter', () => {
  it('cuts a call on 1090 units at 200 u/s exactly 5 s after CONNECTED and bills 1000', () => {
    const t = setup(1090);
    const auth = t.open('A1');
    assert.equal(auth.limit, 5);
    const c = t.clock.now() + 2000;
    t.clock.advanceTo(c);
    t.meter.start('A1', c);
    assert.equal(t.limits.get('A1'), 5);
    t.clock.advanceTo(c + 5000 - CUT_LEAD_MS - 1);
    assert.equal(t.cuts.has('A1'), false);
    t.clock.advanceTo(c + 5000 - CUT_LEAD_MS);
    assert.equal(t.cuts.get('A1'), c + 5000);
    // the engine reports the end a little later; billing stops at the cut
    const s = t.meter.settle({ callId: 'A1', endAt: c + 5040, cause: 'INSUFFICIENT_CREDIT' })!;
    assert.equal(s.units, 1000);
    assert.equal(t.store.users.get('1001')!.units, 90);
    assert.equal(t.store.cdrList[0].duration, 5);
    assert.equal(t.store.cdrList[0].connectDelay, 2);
  });

  it('refuses a call that cannot pay one step, before any journal entry', () => {
    const t = setup(199);
    assert.throws(() => t.meter.authorise('1001', '0141587070'), { code: 'INSUFFICIENT_CREDIT' });
    assert.equal(t.store.journalMap.size, 0);
  });

  it('bills the seed call: 40 s to 38… at 180 u/s costs 7200', () => {
    const t = setup(250000, [row('DEFAULT', 200), row('38', 180), row('42', 250)]);
    t.open('A2', '380141587070');
    const c = t.clock.now();
    t.meter.start('A2', c);
    t.clock.advance(40_000);
    const s = t.meter.settle({ callId: 'A2', endAt: c + 40_000, cause: 'NORMAL' })!;
    assert.equal(s.units, 7200);
    assert.equal(t.store.users.get('1001')!.units, 242800);
  });

  it('two concurrent calls on one balance never bill more than it; billed + left = start', () => {
    const t = setup(1000);
    t.open('B1');
    const c1 = t.clock.now();
    t.meter.start('B1', c1);
    assert.equal(t.limits.get('B1'), 5);
    t.clock.advance(1500);
    t.open('B2');
    const c2 = t.clock.now();
    t.meter.start('B2', c2);
    // both draw on 1000: the first cut must come earlier than 5 s for B1
    assert.ok(t.limits.get('B1')! < 5, `B1 limit ${t.limits.get('B1')}`);
    t.clock.advance(20_000);
    assert.ok(t.cuts.has('B1') && t.cuts.has('B2'));
    const s1 = t.meter.settle({ callId: 'B1', endAt: t.clock.now(), cause: 'INSUFFICIENT_CREDIT' })!;
    const s2 = t.meter.settle({ callId: 'B2', endAt: t.clock.now(), cause: 'INSUFFICIENT_CREDIT' })!;
    assert.equal(s1.units + s2.units + t.store.users.get('1001')!.units, 1000);
    assert.ok(s1.units + s2.units <= 1000);
    assert.equal(s1.units + s2.units, 1000); // 200-unit steps fit 1000 exactly
  });

  it('gives the freed credit back to a sibling when one call ends early', () => {
    const t = setup(2000);
    t.open('C1');
    t.meter.start('C1', t.clock.now());
    t.open('C2');
    t.meter.start('C2', t.clock.now());
    const before = t.limits.get('C2')!;
    t.clock.advance(2000);
    t.meter.settle({ callId: 'C1', endAt: t.clock.now(), cause: 'NORMAL' });
    assert.ok(t.limits.get('C2')! > before);
    t.clock.advance(60_000);
    const s = t.meter.settle({ callId: 'C2', endAt: t.clock.now(), cause: 'NORMAL' })!;
    assert.equal(t.store.users.get('1001')!.units, 0);
    assert.equal(s.units, 2000 - 400);
  });

  it('a call dialled while another of the user is still dialling gets a DIAL limit as if both answer now', () => {
    const t = setup(2000); // 10 s at 200 u/s
    assert.equal(t.open('D1').limit, 10);
    assert.equal(t.open('D2').limit, 5, 'engine limits alone never give away more than the balance');
    // once answered, the LIMIT is the exact figure of the live calls
    t.meter.start('D2', t.clock.now());
    assert.equal(t.limits.get('D2'), 10);
    // a call already answered is metered, not doubled: the next dial shares what is left
    t.clock.advance(2000);
    t.meter.settle({ callId: 'D1', endAt: t.clock.now(), cause: 'DIAL_FAILED' });
    assert.equal(t.open('D3').limit, 4);
  });

  it('a new timezone moves the cut of a live call whose H2 period it moves', () => {
    const rows = [row('DEFAULT', 100, { h2Begin: '20:00', h2End: '08:00', h2: 300 })];
    const t = setup(1500, rows); // 10:00 UTC = 11:00 in Paris: H1
    let tz = 'Europe/Paris';
    let built = tz;
    let table = new RateTable(rows, tz);
    const meter = new Meter({
      store: t.store,
      rates: () => {
        if (built !== tz) [table, built] = [new RateTable(rows, tz), tz];
        return table;
      },
      clock: t.clock,
      warningSeconds: () => 0,
      listener: { warn: () => {}, cut: (id, at) => t.cuts.set(id, at), limit: (id, s) => t.limits.set(id, s) },
    });
    const auth = meter.authorise('1001', '0141587070');
    meter.open({ callId: 'Z1', userId: '1001', from: '5173', dialed: '0141587070', offerAt: t.clock.now(), dialAt: t.clock.now(), row: auth.row });
    meter.start('Z1', t.clock.now());
    assert.equal(t.limits.get('Z1'), 15);
    tz = 'Asia/Tokyo'; // 19:00 there, H2 (300 u/s) from 20:00: one hour away, no change yet
    meter.ratesChanged();
    assert.equal(t.limits.get('Z1'), 15);
    tz = 'Asia/Karachi'; // 15:00: still H1
    meter.ratesChanged();
    tz = 'Pacific/Auckland'; // 23:00: H2
    meter.ratesChanged();
    assert.equal(t.limits.get('Z1'), 5, 'cut and LIMIT follow the rate the call is now billed at');
  });

  it('warns warningSeconds before the cut', () => {
    const t = setup(200 * 100, [row('DEFAULT', 200)], 60);
    t.open('W1');
    const c = t.clock.now();
    t.meter.start('W1', c);
    t.clock.advance(39_999);
    assert.deepEqual(t.events, []);
    t.clock.advance(1);
    assert.deepEqual(t.events, [`warn W1 @${c + 40_000}`]);
    t.clock.advance(60_000);
    assert.deepEqual(t.events.at(-1), 'cut W1');
  });

  it('warns again before a cut that a top-up moved later, once per cut', () => {
    const t = setup(200 * 100, [row('DEFAULT', 200)], 60);
    t.open('W2');
    const c = t.clock.now();
    t.meter.start('W2', c);
    t.clock.advance(50_000); // warned at 40 s for the cut at 100 s
    t.store.users.get('1001')!.units += 200 * 30;
    t.meter.balanceChanged('1001'); // the cut moves to 130 s
    t.clock.advance(19_999);
    assert.deepEqual(t.events, [`warn W2 @${c + 40_000}`]);
    t.clock.advance(1);
    assert.deepEqual(t.events, [`warn W2 @${c + 40_000}`, `warn W2 @${c + 70_000}`]);
    t.meter.balanceChanged('1001'); // the same cut: no third warning
    t.clock.advance(60_000);
    assert.deepEqual(t.events, [`warn W2 @${c + 40_000}`, `warn W2 @${c + 70_000}`, 'cut W2']);
  });

  it('re-plans when the balance is credited during a call', () => {
    const t = setup(1000);
    t.open('D1');
    t.meter.start('D1', t.clock.now());
    assert.equal(t.limits.get('D1'), 5);
    t.store.users.get('1001')!.units += 1000;
    t.meter.balanceChanged('1001');
    assert.equal(t.limits.get('D1'), 10);
  });

  it('settles idempotently and a never-connected call costs nothing but leaves a CDR', () => {
    const t = setup(1000);
    t.open('E1');
    t.meter.settle({ callId: 'E1', endAt: t.clock.now(), cause: 'DIAL_FAILED' });
    assert.equal(t.meter.settle({ callId: 'E1', endAt: t.clock.now(), cause: 'DIAL_FAILED' }), null);
    assert.equal(t.store.cdrList.length, 1);
    assert.equal(t.store.cdrList[0].cost, 0);
    assert.equal(t.store.cdrList[0].connectDelay, null);
    assert.equal(t.store.users.get('1001')!.units, 1000);
  });

  it('a journal left by a crash is picked up by a new Meter', () => {
    const t = setup(5000);
    t.open('F1');
    const c = t.clock.now();
    t.meter.start('F1', c);
    const again = new Meter({
      store: t.store,
      rates: () => t.rates,
      clock: t.clock,
      warningSeconds: () => 0,
      listener: { warn() {}, cut() {}, limit() {} },
    });
    assert.equal(again.openCalls()[0].connectedAt, c);
    again.start('F1', c);
    const s = again.settle({ callId: 'F1', endAt: c + 12_300, cause: 'NORMAL' })!;
    assert.equal(s.units, 13 * 200);
  });
});

describe('Meter: a sibling that cannot pay its first step', () => {
  // DEFAULT 200 u/s; 53… at 100 u/s with a setup of 300: its step 0 costs 400
  const rows = [row('DEFAULT', 200), row('53', 100, { setup: 300 })];

  for (const lateMs of [0, 2]) {
    it(`is refused at its answer and owes nothing; the first call keeps the steps it can pay (plan ${lateMs} ms after CONNECTED)`, () => {
      const t = setup(400, rows);
      t.open('A', '99');
      t.open('B', '5399');
      const a = t.clock.now();
      t.meter.start('A', a);
      assert.equal(t.limits.get('A'), 2);
      const b = a + 100;
      t.clock.advanceTo(b + lateMs);
      t.meter.start('B', b);
      assert.equal(t.limits.get('B'), 0);
      assert.equal(t.limits.get('A'), 2, 'A keeps its 2 s: B, refused, owes nothing');
      t.clock.advanceTo(b + 10);
      assert.equal(t.cuts.get('B'), b, 'B is cut at once');
      assert.equal(t.cuts.has('A'), false, 'A is not cut inside a step it paid');
      t.meter.settle({ callId: 'B', endAt: b + 40, cause: 'INSUFFICIENT_CREDIT' });
      t.clock.advanceTo(a + 2000);
      assert.equal(t.cuts.get('A'), a + 2000);
      t.meter.settle({ callId: 'A', endAt: a + 2030, cause: 'INSUFFICIENT_CREDIT' });
      const cost = Object.fromEntries(t.store.cdrList.map((c) => [c.callId, [c.cost, c.duration]]));
      assert.deepEqual(cost, { B: [0, 0], A: [400, 2] });
      assert.equal(t.store.users.get('1001')!.units, 0);
    });
  }

  it('with an increment and a setup: refused sibling, the first call runs on the whole balance', () => {
    const t = setup(400, [row('DEFAULT', 200), row('51', 100, { increment: 3, setup: 50 })]);
    t.open('A', '99');
    t.open('B', '5199');
    const a = t.clock.now();
    t.meter.start('A', a);
    t.clock.advanceTo(a + 100);
    t.meter.start('B', a + 100);
    t.clock.advanceTo(a + 2000);
    t.meter.settle({ callId: 'B', endAt: a + 200, cause: 'INSUFFICIENT_CREDIT' });
    t.meter.settle({ callId: 'A', endAt: a + 2000, cause: 'INSUFFICIENT_CREDIT' });
    const cost = Object.fromEntries(t.store.cdrList.map((c) => [c.callId, c.cost]));
    assert.deepEqual(cost, { B: 0, A: 400 });
  });
});

describe('planCuts', () => {
  it('cuts at the end of the last step the balance pays in full across calls', () => {
    const rates = new RateTable([row('DEFAULT', 100)], 'UTC');
    const t0 = 1_000_000;
    const plan = planCuts(
      rates,
      [
        { callId: 'a', row: row('DEFAULT', 100), connectedAt: t0 },
        { callId: 'b', row: row('DEFAULT', 100), connectedAt: t0 + 500 },
      ],
      450,
      t0,
    );
    // steps at t0 (a), t0+500 (b), t0+1000 (a), t0+1500 (b): 400 paid; a's third step at t0+2000 is not
    assert.equal(plan.calls.get('a')!.cutAt, t0 + 2000);
    assert.equal(plan.calls.get('b')!.cutAt, t0 + 2500);
  });
});
