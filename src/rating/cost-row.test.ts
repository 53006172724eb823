import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../errors.ts';
import { normalizeCostRow } from './cost-row.ts';

function rejects(input: unknown, field: string | undefined): void {
  assert.throws(
    () => normalizeCostRow(input),
    (e: unknown) => e instanceof AppError && e.code === 'BAD_REQUEST' && e.field === field && e.message.length > 0,
    JSON.stringify(input),
  );
}

test('seed rows normalise to the full canonical form', () => {
  assert.deepEqual(normalizeCostRow({ prefix: 'DEFAULT', h1: 200, h2Begin: 0, h2End: 0, h2: 0 }), {
    prefix: 'DEFAULT', h1: 200, h2Begin: '00:00', h2End: '00:00', h2: 0, increment: 1, setup: 0,
  });
  assert.deepEqual(normalizeCostRow({ prefix: '38', h1: 180, h2Begin: '20:00', h2End: '08:00', h2: 90 }), {
    prefix: '38', h1: 180, h2Begin: '20:00', h2End: '08:00', h2: 90, increment: 1, setup: 0,
  });
});

test('missing optional fields take their defaults; unknown fields are dropped', () => {
  assert.deepEqual(normalizeCostRow({ prefix: '42', h1: 250, extra: 'x' }), {
    prefix: '42', h1: 250, h2Begin: '00:00', h2End: '00:00', h2: 0, increment: 1, setup: 0,
  });
  // CSV: empty cells and null mean "not given"
  assert.deepEqual(normalizeCostRow({ prefix: '42', h1: '250', h2Begin: '', h2End: null, h2: '', increment: ' ', setup: null }), {
    prefix: '42', h1: 250, h2Begin: '00:00', h2End: '00:00', h2: 0, increment: 1, setup: 0,
  });
});

test('times accept HH:MM, H:MM, H, HH, whole hours and 24:00 as midnight', () => {
  const t = (v: unknown) => normalizeCostRow({ prefix: '1', h1: 1, h2Begin: v, h2End: '00:00', h2: 1 }).h2Begin;
  assert.equal(t('20:00'), '20:00');
  assert.equal(t('20'), '20:00');
  assert.equal(t('8'), '08:00');
  assert.equal(t('08'), '08:00');
  assert.equal(t('8:30'), '08:30');
  assert.equal(t(' 07:05 '), '07:05');
  assert.equal(t(0), '00:00');
  assert.equal(t(23), '23:00');
  assert.equal(t(24), '00:00');
  assert.equal(t('24:00'), '00:00');
  assert.equal(t('23:59'), '23:59');
});

test('numbers accept digit strings (CSV) and keep safe integers', () => {
  const r = normalizeCostRow({ prefix: ' 0033 ', h1: ' 180 ', h2: '90', increment: '60', setup: '500' });
  assert.deepEqual([r.prefix, r.h1, r.h2, r.increment, r.setup], ['0033', 180, 90, 60, 500]);
  assert.equal(normalizeCostRow({ prefix: '1', h1: Number.MAX_SAFE_INTEGER }).h1, Number.MAX_SAFE_INTEGER);
  assert.equal(Object.is(normalizeCostRow({ prefix: '1', h1: -0 }).h1, 0), true);
});

test('prefix: DEFAULT in any case, 1-20 digits, a JSON number as its digits', () => {
  assert.equal(normalizeCostRow({ prefix: 'default', h1: 1 }).prefix, 'DEFAULT');
  assert.equal(normalizeCostRow({ prefix: 38, h1: 1 }).prefix, '38');
  assert.equal(normalizeCostRow({ prefix: '12345678901234567890', h1: 1 }).prefix, '12345678901234567890');
  assert.equal(normalizeCostRow({ prefix: '1', h1: 1, increment: 3600 }).increment, 3600);
});

test('bad input is refused with BAD_REQUEST naming the field', () => {
  for (const v of [null, undefined, [], 'row', 5]) rejects(v, undefined);
  for (const p of [undefined, '', ' ', 'abc', '+33', '3 8', '123456789012345678901', 1.5, -1, true, {}]) {
    rejects({ prefix: p, h1: 1 }, 'prefix');
  }
  for (const v of [undefined, null, '', -1, 1.5, '1.5', '-1', 'abc', NaN, Infinity, true, 2 ** 53, '1e3']) {
    rejects({ prefix: '1', h1: v }, 'h1');
  }
  for (const v of [-1, 0.5, 'x', false]) rejects({ prefix: '1', h1: 1, h2: v }, 'h2');
  for (const v of [-1, 2.5, 'x']) rejects({ prefix: '1', h1: 1, setup: v }, 'setup');
  for (const v of [0, 3601, 1.5, '0', 'x']) rejects({ prefix: '1', h1: 1, increment: v }, 'increment');
  for (const v of ['25:00', '24:30', '20:60', '2000', '20:0', '20h', 20.5, -1, 25, 'ab', {}, true, '1:2:3']) {
    rejects({ prefix: '1', h1: 1, h2Begin: v, h2End: '00:00' }, 'h2Begin');
    rejects({ prefix: '1', h1: 1, h2Begin: '00:00', h2End: v }, 'h2End');
  }
  // a half-given period or one without its rate would make its hours free
  rejects({ prefix: '1', h1: 200, h2Begin: '20:00' }, 'h2End');
  rejects({ prefix: '1', h1: 200, h2End: '08:00', h2: 100 }, 'h2Begin');
  rejects({ prefix: '1', h1: 200, h2Begin: '20:00', h2End: '08:00' }, 'h2');
  assert.equal(normalizeCostRow({ prefix: '1', h1: 200, h2Begin: '20:00', h2End: '20:00' }).h2, 0, 'begin = end: no period, no rate needed');
});
