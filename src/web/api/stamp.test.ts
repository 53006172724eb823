import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatStamp, parseInstant, parseStamp } from './stamp.ts';

const TZ = 'Europe/Paris';

test('formatStamp: YYYYMMDD_HHMMSS in the box timezone', () => {
  assert.equal(formatStamp(1334219473 * 1000, TZ), '20120412_103113');
  assert.equal(formatStamp(Date.UTC(2024, 0, 1, 23, 0, 5), TZ), '20240102_000005');
  assert.equal(formatStamp(Date.UTC(2024, 0, 1, 23, 0, 5), 'UTC'), '20240101_230005');
});

test('parseStamp inverts formatStamp, including both sides of DST changes', () => {
  for (const ms of [Date.UTC(2024, 2, 31, 0, 59, 59), Date.UTC(2024, 2, 31, 1, 0, 0), Date.UTC(2024, 9, 27, 0, 30), Date.UTC(2024, 9, 27, 2, 0), 0]) {
    assert.equal(parseStamp(formatStamp(ms, TZ), TZ, 'from'), ms);
  }
  // 02:30 does not exist on 2024-03-31 in Paris: it maps one hour forward
  assert.equal(parseStamp('20240331_023000', TZ, 'from'), Date.UTC(2024, 2, 31, 1, 30));
  // 02:30 happens twice on 2024-10-27: the first (summer time) one is taken
  assert.equal(formatStamp(Date.UTC(2024, 9, 27, 1, 30), TZ), '20241027_023000');
  assert.equal(parseStamp('20241027_023000', TZ, 'from'), Date.UTC(2024, 9, 27, 0, 30));
});

test('parseInstant: Unix seconds or a stamp; anything else is a 400 naming the field', () => {
  assert.equal(parseInstant('1334219473', TZ, 'from'), 1334219473000);
  assert.equal(parseInstant('20120412_103113', TZ, 'from'), 1334219473000);
  for (const bad of ['20121312_000000', '20120230_000000', '20120412_246000', '2012-04-12', 'x', '20120412103113', '-5']) {
    assert.throws(() => parseInstant(bad, TZ, 'to'), (e: { code?: string; field?: string }) => e.code === 'BAD_REQUEST' && e.field === 'to', bad);
  }
});
