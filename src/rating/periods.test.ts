import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zoneOffsets } from '../timezone/index.ts';
import { inWindow, runAt } from './periods.ts';

const H = 3_600_000;
const utc = (y: number, mo: number, d: number, h: number, mi = 0, s = 0, ms = 0) => Date.UTC(y, mo - 1, d, h, mi, s, ms);

test('window membership, plain and wrapping midnight, end excluded', () => {
  const day = { begin: 12 * H, end: 14 * H };
  assert.deepEqual([11.99, 12, 13.99, 14].map((h) => inWindow(h * H, day)), [false, true, true, false]);
  const night = { begin: 20 * H, end: 8 * H };
  assert.deepEqual([19.99, 20, 0, 7.99, 8].map((h) => inWindow(h * H, night)), [false, true, true, true, false]);
});

test('runs end at the next window edge or offset change', () => {
  const paris = zoneOffsets('Europe/Paris');
  const night = { begin: 20 * H, end: 8 * H };
  const start = utc(2026, 1, 15, 18, 59, 30); // 19:59:30 CET
  assert.deepEqual(runAt(paris, night, start, 0), { h2: false, to: 30 });
  assert.deepEqual(runAt(paris, night, start, 30), { h2: true, to: 30 + 12 * 3600 });
  // a run in H2 during the spring-forward night stops at the change, the next goes on in H2
  const eve = utc(2026, 3, 28, 22); // 23:00 CET
  const first = runAt(paris, night, eve, 0);
  assert.deepEqual(first, { h2: true, to: 3 * 3600 });
  assert.deepEqual(runAt(paris, night, eve, first.to), { h2: true, to: 3 * 3600 + 5 * 3600 });
});
