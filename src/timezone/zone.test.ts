import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../errors.ts';
import { isValidTimezone, zoneOffsets } from './zone.ts';

const H = 3_600_000;
const utc = (y: number, mo: number, d: number, h: number, mi = 0, s = 0, ms = 0) => Date.UTC(y, mo - 1, d, h, mi, s, ms);

test('offsets change at the exact instant of a DST transition', () => {
  const paris = zoneOffsets('Europe/Paris');
  assert.equal(paris.offsetAt(utc(2026, 3, 29, 0, 59, 59, 999)), H);
  assert.equal(paris.offsetAt(utc(2026, 3, 29, 1)), 2 * H);
  assert.equal(paris.offsetAt(utc(2026, 10, 25, 0, 59, 59, 999)), 2 * H);
  assert.equal(paris.offsetAt(utc(2026, 10, 25, 1)), H);
  assert.equal(paris.span(utc(2026, 3, 29, 0)).until, utc(2026, 3, 29, 1));
  assert.equal(zoneOffsets('America/St_Johns').offsetAt(utc(2026, 7, 1, 12)), -2.5 * H);
  assert.equal(zoneOffsets('Asia/Kolkata').timeOfDay(utc(2026, 7, 1, 0)), 5.5 * H);
  assert.equal(paris.timeOfDay(utc(1969, 12, 31, 23, 30)), 30 * 60_000); // before the epoch
  assert.equal(zoneOffsets('Europe/Paris'), paris); // one cache per zone
});

test('offsets stay right when instants come out of order across a change (last-span cache)', () => {
  const paris = zoneOffsets('Europe/Paris');
  const change = utc(2026, 3, 29, 1);
  assert.equal(paris.offsetAt(change), 2 * H);
  assert.equal(paris.offsetAt(change - 1), H);
  assert.equal(paris.span(change - 1).until, change);
  assert.equal(paris.offsetAt(change + 1), 2 * H);
  assert.equal(paris.offsetAt(utc(2026, 1, 1, 0)), H); // another week, then back
  assert.equal(paris.offsetAt(change), 2 * H);
});

test('offsets of the seed timezone and a quarter-hour one', () => {
  const t = Date.parse('2024-07-01T22:00:00Z');
  assert.equal(zoneOffsets('Europe/Paris').offsetAt(t), 7_200_000);
  assert.equal(zoneOffsets('Asia/Kathmandu').offsetAt(t), 20_700_000);
});

test('timezones: known IANA names accepted, others refused with BAD_REQUEST', () => {
  assert.equal(isValidTimezone('Europe/Paris'), true);
  assert.equal(isValidTimezone('UTC'), true);
  assert.equal(isValidTimezone('Europe/Pariss'), false);
  assert.equal(isValidTimezone(''), false);
  assert.throws(() => zoneOffsets('Nowhere/Land'), (e: unknown) => e instanceof AppError && e.field === 'timezone');
});
