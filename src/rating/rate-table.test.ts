import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../errors.ts';
import { normalizeCostRow, type CostRow } from './cost-row.ts';
import { MAX_SECONDS, RateTable, billableSeconds } from './rate-table.ts';

const utc = (y: number, mo: number, d: number, h: number, mi = 0, s = 0, ms = 0) => Date.UTC(y, mo - 1, d, h, mi, s, ms);
const row = (o: Record<string, unknown>): CostRow => normalizeCostRow(o);
const badRequest = (field?: string) => (e: unknown) =>
  e instanceof AppError && e.code === 'BAD_REQUEST' && (field === undefined || e.field === field);

const DEFAULT = row({ prefix: 'DEFAULT', h1: 200, h2Begin: 0, h2End: 0, h2: 0 });
const R38 = row({ prefix: '38', h1: 180, h2Begin: 0, h2End: 0, h2: 0 });
const R42 = row({ prefix: '42', h1: 250, h2Begin: 0, h2End: 0, h2: 0 });
const seed = new RateTable([DEFAULT, R38, R42], 'Europe/Paris');
const T0 = utc(2012, 4, 13, 7, 46, 15);

// Night rate 20:00 → 08:00 local, the interfaces.md example row.
const NIGHT = row({ prefix: '38', h1: 180, h2Begin: '20:00', h2End: '08:00', h2: 90 });
const paris = new RateTable([DEFAULT, NIGHT], 'Europe/Paris');

// Independent reference: the rate of each billable second read off the wall clock.
const refFormats = new Map<string, Intl.DateTimeFormat>();
function refRate(r: CostRow, tz: string, t: number): number {
  let f = refFormats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    refFormats.set(tz, f);
  }
  const [h, m, s] = f.format(t).split(':').map(Number) as [number, number, number];
  const tod = (h * 3600 + m * 60 + s) * 1000 + (((t % 1000) + 1000) % 1000);
  const [bh, bm] = r.h2Begin.split(':').map(Number) as [number, number];
  const [eh, em] = r.h2End.split(':').map(Number) as [number, number];
  const b = (bh * 60 + bm) * 60000;
  const e = (eh * 60 + em) * 60000;
  if (b === e) return r.h1;
  const inside = b < e ? tod >= b && tod < e : tod >= b || tod < e;
  return inside ? r.h2 : r.h1;
}
function refCost(r: CostRow, tz: string, start: number, seconds: number): number {
  const billable = Math.ceil(Math.ceil(Math.max(0, seconds)) / r.increment) * r.increment;
  let total = r.setup;
  for (let s = 0; s < billable; s++) total += refRate(r, tz, start + s * 1000);
  return total;
}

test('seed table: longest prefix, else DEFAULT', () => {
  assert.equal(seed.quote('380141587070'), R38);
  assert.equal(seed.quote('4212'), R42);
  assert.equal(seed.quote('5173'), DEFAULT);
  assert.equal(seed.quote('3000'), DEFAULT);
  assert.equal(seed.quote('+380141587070'), R38);
  assert.equal(seed.quote('*38'), DEFAULT);
  assert.equal(seed.quote(''), DEFAULT);
  assert.equal(seed.quote(undefined as unknown as string), DEFAULT);
});

test('seed figures: 40 s → 7200, 39 s → 7020 at 180 u/s; CDRs at 200 u/s', () => {
  assert.equal(seed.cost(R38, T0, 40), 7200);
  assert.equal(seed.cost(R38, T0, 39), 7020);
  for (const [secs, units] of [[3, 600], [13, 2600], [113, 22600], [65, 13000], [108, 21600], [45, 9000]]) {
    assert.equal(seed.cost(DEFAULT, T0, secs!), units);
  }
  assert.equal(seed.rateAt(R38, T0), 180);
  assert.equal(seed.rateAt(DEFAULT, T0), 200);
});

test('maxSeconds: 1090 or 1000 units at 200 u/s → 5 s; less than one step → 0', () => {
  assert.equal(seed.maxSeconds(DEFAULT, 1090, T0), 5);
  assert.equal(seed.maxSeconds(DEFAULT, 1000, T0), 5);
  assert.equal(seed.maxSeconds(DEFAULT, 999, T0), 4);
  assert.equal(seed.maxSeconds(DEFAULT, 199, T0), 0);
  assert.equal(seed.maxSeconds(DEFAULT, 0, T0), 0);
  assert.equal(seed.maxSeconds(DEFAULT, -5, T0), 0);
  assert.equal(seed.maxSeconds(DEFAULT, NaN, T0), 0);
  assert.equal(seed.maxSeconds(DEFAULT, 250000, T0), 1250);
  assert.equal(seed.maxSeconds(DEFAULT, Infinity, T0), MAX_SECONDS);
});

test('fractional seconds round up: 4.2 s is billed 5 s; 0 s costs nothing without setup', () => {
  assert.equal(seed.cost(DEFAULT, T0, 4.2), 1000);
  assert.equal(seed.cost(DEFAULT, T0, 0.001), 200);
  assert.equal(seed.cost(DEFAULT, T0, 0), 0);
  assert.equal(seed.cost(DEFAULT, T0, -3), 0);
  assert.equal(billableSeconds(4.2, 1), 5);
  assert.equal(billableSeconds(61, 60), 120);
  assert.equal(billableSeconds(60, 60), 60);
  assert.equal(billableSeconds(0, 60), 0);
});

test('increment 60: 61 s is billed 120 s; maxSeconds is a multiple of the step', () => {
  const r = row({ prefix: '1', h1: 2, increment: 60 });
  assert.equal(seed.cost(r, T0, 61), 240);
  assert.equal(seed.cost(r, T0, 60), 120);
  assert.equal(seed.cost(r, T0, 0.5), 120);
  assert.equal(seed.maxSeconds(r, 239, T0), 60);
  assert.equal(seed.maxSeconds(r, 240, T0), 120);
  assert.equal(seed.maxSeconds(r, 119, T0), 0);
  assert.equal(seed.stepCost(r, T0, 0), 120);
  assert.equal(seed.stepCost(r, T0, 3), 120);
});

test('setup is charged on answer, even for 0 billable seconds', () => {
  const r = row({ prefix: '1', h1: 200, setup: 500 });
  assert.equal(seed.cost(r, T0, 0), 500);
  assert.equal(seed.cost(r, T0, 10), 2500);
  assert.equal(seed.stepCost(r, T0, 0), 700);
  assert.equal(seed.stepCost(r, T0, 1), 200);
  assert.equal(seed.maxSeconds(r, 699, T0), 0); // setup alone is affordable, not the first step
  assert.equal(seed.maxSeconds(r, 700, T0), 1);
  assert.equal(seed.maxSeconds(r, 1590, T0), 5);
});

test('rates 0: maxSeconds is Infinity, unless the setup cannot be paid', () => {
  const free = row({ prefix: '1', h1: 0 });
  assert.equal(seed.maxSeconds(free, 0, T0), Infinity);
  assert.equal(seed.maxSeconds(row({ prefix: '1', h1: 0, h2: 0, h2Begin: '20', h2End: '8' }), 1, T0), Infinity);
  assert.equal(seed.maxSeconds(row({ prefix: '1', h1: 0, setup: 500 }), 400, T0), 0);
  assert.equal(seed.maxSeconds(row({ prefix: '1', h1: 0, setup: 500 }), 500, T0), Infinity);
  assert.equal(seed.cost(free, T0, 3600), 0);
  // H1 free, H2 paid: the call runs free until 20:00, then 100 units last 20 s at 5 u/s.
  const nightPaid = row({ prefix: '1', h1: 0, h2: 5, h2Begin: '20:00', h2End: '08:00' });
  assert.equal(paris.maxSeconds(nightPaid, 100, utc(2026, 1, 15, 9)), 10 * 3600 + 20); // 10:00 CET
});

test('a call at 19:59:30 local crossing into H2 at 20:00 is priced split', () => {
  const winter = utc(2026, 1, 15, 18, 59, 30); // 19:59:30 CET
  const summer = utc(2026, 7, 15, 17, 59, 30); // 19:59:30 CEST
  for (const start of [winter, summer]) {
    assert.equal(paris.cost(NIGHT, start, 60), 30 * 180 + 30 * 90);
    assert.equal(paris.cost(NIGHT, start, 30), 30 * 180);
    assert.equal(paris.cost(NIGHT, start, 31), 30 * 180 + 90);
    assert.equal(paris.rateAt(NIGHT, start), 180);
    assert.equal(paris.rateAt(NIGHT, start + 29_999), 180);
    assert.equal(paris.rateAt(NIGHT, start + 30_000), 90);
    assert.equal(paris.stepCost(NIGHT, start, 29), 180);
    assert.equal(paris.stepCost(NIGHT, start, 30), 90);
    // 5400 for the H1 half-minute, then 10 s at 90 u/s
    assert.equal(paris.maxSeconds(NIGHT, 6300, start), 40);
    assert.equal(paris.maxSeconds(NIGHT, 6299, start), 39);
  }
  // sub-second start: second 0 begins at 19:59:59.5 (H1), second 1 at 20:00:00.5 (H2)
  assert.equal(paris.cost(NIGHT, utc(2026, 1, 15, 18, 59, 59, 500), 2), 180 + 90);
});

test('wrap-midnight window: H2 from 20:00 to 08:00, H1 from 08:00', () => {
  const morning = utc(2026, 1, 16, 6, 59, 0); // 07:59 CET
  assert.equal(paris.rateAt(NIGHT, morning), 90);
  assert.equal(paris.rateAt(NIGHT, morning + 59_999), 90);
  assert.equal(paris.rateAt(NIGHT, morning + 60_000), 180);
  assert.equal(paris.rateAt(NIGHT, utc(2026, 1, 15, 23)), 90); // midnight local
  assert.equal(paris.cost(NIGHT, morning, 120), 60 * 90 + 60 * 180);
  // a whole day from noon: 12 h of each rate
  assert.equal(paris.cost(NIGHT, utc(2026, 1, 15, 11), 86_400), 43_200 * 180 + 43_200 * 90);
  // three days
  assert.equal(paris.cost(NIGHT, utc(2026, 1, 15, 11), 3 * 86_400), 3 * (43_200 * 180 + 43_200 * 90));
});

test('non-wrapping window [12:00, 14:00), and begin == end means no H2', () => {
  const lunch = row({ prefix: '1', h1: 10, h2: 1, h2Begin: '12', h2End: '14' });
  const t = new RateTable([lunch], 'Europe/Paris');
  assert.equal(t.rateAt(lunch, utc(2026, 1, 15, 10, 59, 59)), 10);
  assert.equal(t.rateAt(lunch, utc(2026, 1, 15, 11)), 1);
  assert.equal(t.rateAt(lunch, utc(2026, 1, 15, 12, 59, 59)), 1);
  assert.equal(t.rateAt(lunch, utc(2026, 1, 15, 13)), 10);
  assert.equal(t.cost(lunch, utc(2026, 1, 15, 10), 4 * 3600), 2 * 3600 * 10 + 2 * 3600 * 1);
  const none = row({ prefix: '1', h1: 10, h2: 1, h2Begin: '12', h2End: '12:00' });
  assert.equal(t.rateAt(none, utc(2026, 1, 15, 11, 30)), 10);
  assert.equal(t.cost(none, utc(2026, 1, 15, 10), 4 * 3600), 4 * 3600 * 10);
});

test('DST spring forward (Europe/Paris 2026-03-29 02:00 → 03:00)', () => {
  // 20:00 CET (19:00Z) → 08:00 CEST (06:00Z): 11 h of H2 that night.
  const start = utc(2026, 3, 28, 18); // 19:00 CET
  assert.equal(paris.cost(NIGHT, start, 13 * 3600), 2 * 3600 * 180 + 11 * 3600 * 90);
  assert.equal(paris.rateAt(NIGHT, utc(2026, 3, 29, 5, 59, 59)), 90); // 07:59:59 CEST
  assert.equal(paris.rateAt(NIGHT, utc(2026, 3, 29, 6)), 180); // 08:00 CEST
  // A window starting in the skipped hour starts when the clock jumps to 03:00.
  const early = row({ prefix: '1', h1: 10, h2: 1, h2Begin: '02:30', h2End: '04:00' });
  assert.equal(paris.rateAt(early, utc(2026, 3, 29, 0, 59, 59)), 10); // 01:59:59 CET
  assert.equal(paris.rateAt(early, utc(2026, 3, 29, 1)), 1); // 03:00 CEST
  assert.equal(paris.rateAt(early, utc(2026, 3, 29, 2)), 10); // 04:00 CEST
  assert.equal(paris.cost(early, utc(2026, 3, 29, 0), 3 * 3600), 2 * 3600 * 10 + 3600 * 1);
  // 10 units a second until 03:00 CEST, then 1 u/s
  assert.equal(paris.maxSeconds(early, 3600 * 10 + 100, utc(2026, 3, 29, 0)), 3700);
});

test('DST fall back (Europe/Paris 2026-10-25 03:00 → 02:00)', () => {
  // 20:00 CEST (18:00Z) → 08:00 CET (07:00Z): 13 h of H2 that night.
  const start = utc(2026, 10, 24, 17); // 19:00 CEST
  assert.equal(paris.cost(NIGHT, start, 15 * 3600), 2 * 3600 * 180 + 13 * 3600 * 90);
  // The repeated hour is lived twice: [02:30, 03:00) comes round twice.
  const half = row({ prefix: '1', h1: 10, h2: 1, h2Begin: '02:30', h2End: '03:00' });
  assert.equal(paris.rateAt(half, utc(2026, 10, 25, 0, 30)), 1); // 02:30 CEST
  assert.equal(paris.rateAt(half, utc(2026, 10, 25, 1)), 10); // 02:00 CET
  assert.equal(paris.rateAt(half, utc(2026, 10, 25, 1, 30)), 1); // 02:30 CET
  assert.equal(paris.rateAt(half, utc(2026, 10, 25, 2)), 10); // 03:00 CET
  assert.equal(paris.cost(half, utc(2026, 10, 25, 0), 3 * 3600), 2 * 1800 * 1 + (3 * 3600 - 3600) * 10);
});

test('agrees with a per-second wall-clock reference around DST changes in several zones', () => {
  let seed32 = 7;
  const rnd = (n: number) => {
    seed32 = (seed32 * 1103515245 + 12345) % 2147483648;
    return seed32 % n;
  };
  const zones: [string, number][] = [
    ['Europe/Paris', utc(2026, 3, 29, 1)],
    ['Europe/Paris', utc(2026, 10, 25, 1)],
    ['America/New_York', utc(2026, 3, 8, 7)],
    ['America/New_York', utc(2026, 11, 1, 6)],
    ['Australia/Lord_Howe', utc(2026, 4, 4, 15)], // half-hour DST shift
    ['Asia/Kolkata', utc(2026, 6, 1, 0)], // +05:30, no DST
    ['UTC', utc(2026, 6, 1, 0)],
  ];
  for (let i = 0; i < 70; i++) {
    const [tz, around] = zones[i % zones.length]!;
    const r = row({
      prefix: '1', h1: 1 + rnd(300), h2: rnd(300),
      h2Begin: `${rnd(24)}:${String(rnd(4) * 15).padStart(2, '0')}`,
      h2End: `${rnd(24)}:${String(rnd(2) * 30).padStart(2, '0')}`,
      increment: [1, 1, 6, 30, 60][rnd(5)], setup: rnd(2) * rnd(1000),
    });
    const table = new RateTable([r], tz);
    const start = around - 4 * 3600_000 + rnd(6 * 3600) * 1000 + rnd(1000);
    const seconds = rnd(4 * 3600) + rnd(1000) / 1000;
    const ctx = `${tz} ${JSON.stringify(r)} start=${new Date(start).toISOString()} seconds=${seconds}`;
    const expected = refCost(r, tz, start, seconds);
    assert.equal(table.cost(r, start, seconds), expected, ctx);
    // steps add up to the cost
    const steps = billableSeconds(seconds, r.increment) / r.increment;
    let sum = 0;
    for (let k = 0; k < steps; k++) sum += table.stepCost(r, start, k);
    assert.equal(sum + (steps === 0 ? r.setup : 0), expected, ctx);
    // maxSeconds: cost(max) fits, one more step does not
    const units = r.setup + rnd(2_000_000);
    const max = table.maxSeconds(r, units, start);
    assert.equal(max % r.increment, 0, ctx);
    if (max > 0) assert.ok(refCost(r, tz, start, max) <= units, ctx);
    if (max < 4 * 3600) assert.ok(refCost(r, tz, start, max + r.increment) > units, `${ctx} units=${units} max=${max}`);
  }
});

test('a year-long call is priced exactly across both DST changes', () => {
  const start = utc(2026, 1, 1, 11);
  const days = 365;
  const c = paris.cost(NIGHT, start, days * 86_400);
  // 2026-01-01 12:00 CET + 365 days: 12 h of each rate per day, DST nights aside (one
  // night of 11 h H2 in March, one of 13 h in October: they cancel out).
  assert.equal(c, days * (43_200 * 180 + 43_200 * 90));
  // from 12:00 CET on 2026-03-28 to 12:00 CEST on the 29th: 23 h, of which 11 h in H2
  assert.equal(paris.cost(NIGHT, utc(2026, 3, 28, 11), 23 * 3600), 12 * 3600 * 180 + 11 * 3600 * 90);
});

test('rating horizon: maxSeconds is capped, longer durations are refused', () => {
  const r = row({ prefix: '1', h1: 1, h2: 2, h2Begin: '20', h2End: '8' });
  assert.equal(paris.maxSeconds(r, Number.MAX_SAFE_INTEGER, T0), MAX_SECONDS);
  assert.equal(paris.maxSeconds(row({ prefix: '1', h1: 1, increment: 7 }), Number.MAX_SAFE_INTEGER, T0), Math.floor(MAX_SECONDS / 7) * 7);
  assert.throws(() => paris.cost(r, T0, MAX_SECONDS + 1), badRequest('seconds'));
  assert.throws(() => paris.stepCost(r, T0, MAX_SECONDS), badRequest('step'));
  const dear = row({ prefix: '1', h1: Number.MAX_SAFE_INTEGER });
  assert.equal(paris.cost(dear, T0, 1), Number.MAX_SAFE_INTEGER);
  assert.throws(() => paris.cost(dear, T0, 2), badRequest('seconds'));
});

test('bad arguments are refused with BAD_REQUEST, nothing crashes', () => {
  assert.throws(() => seed.cost(DEFAULT, T0, NaN), badRequest('seconds'));
  assert.throws(() => seed.cost(DEFAULT, T0, Infinity), badRequest('seconds'));
  assert.throws(() => seed.cost(DEFAULT, NaN, 3), badRequest('startMs'));
  assert.throws(() => paris.rateAt(NIGHT, NaN), badRequest('atMs'));
  assert.throws(() => seed.stepCost(DEFAULT, T0, -1), badRequest('step'));
  assert.throws(() => seed.stepCost(DEFAULT, T0, 1.5), badRequest('step'));
  assert.throws(() => seed.cost({ ...DEFAULT, h1: -1 }, T0, 3), badRequest('h1'));
  assert.throws(() => seed.cost({ ...DEFAULT, h2Begin: '25:00', h2End: '01:00' }, T0, 3), badRequest('h2Begin'));
  assert.throws(() => new RateTable([DEFAULT], 'Mars/Olympus'), badRequest('timezone'));
  assert.throws(() => new RateTable([{ ...R38, prefix: '3a' }], 'UTC'), badRequest('prefix'));
  assert.throws(() => new RateTable([{ ...R38, increment: 0 }], 'UTC'), badRequest('increment'));
});

test('without a DEFAULT row the seed DEFAULT (200 u/s) applies; a journal row lacking newer fields takes defaults', () => {
  const t = new RateTable([R38], 'UTC');
  assert.equal(t.quote('5173').h1, 200);
  assert.equal(t.quote('5173').prefix, 'DEFAULT');
  const old = { prefix: '38', h1: 180, h2Begin: '00:00', h2End: '00:00', h2: 0 } as CostRow;
  assert.equal(t.cost(old, T0, 40), 7200);
  assert.equal(t.maxSeconds(old, 1000, T0), 5);
  // the later of two rows for one prefix wins
  assert.equal(new RateTable([R38, { ...R38, h1: 1 }], 'UTC').quote('38').h1, 1);
});
