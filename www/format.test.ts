import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  amountOf, localize, parseDecimal, ratePerMinute, roundDecimal, showAmount, showDate, showTimeOfDay,
  releaseName, showUnitPrice, signedUnits, unitsForAmount,
} from './format.ts';

test('amounts round half away from zero, exactly, on the decimal string', () => {
  assert.equal(roundDecimal('23.578000', 2), '23.58');
  assert.equal(roundDecimal('23.575', 2), '23.58');
  assert.equal(roundDecimal('-23.575', 2), '-23.58');
  assert.equal(roundDecimal('0.004999', 2), '0.00');
  assert.equal(roundDecimal('-0.004', 2), '0.00'); // no "-0.00"
  assert.equal(roundDecimal('25', 2), '25.00');
  assert.equal(roundDecimal('0.1', 6), '0.100000');
  // beyond double precision: still exact
  assert.equal(roundDecimal('90071992547409.915', 2), '90071992547409.92');
});

test('the seed screens: 23,58 Euros, 25,000000, -0,720000, 1,2000 Euros/min, 0,000100', () => {
  assert.equal(showAmount('23.578000', 'fr', 2), '23,58');
  assert.equal(showAmount('25.000000', 'fr'), '25,000000');
  assert.equal(showAmount('-0.720000', 'fr'), '-0,720000');
  assert.equal(showAmount('-0.000000', 'fr'), '0,000000');
  assert.equal(showAmount('2.160000', 'en', 2), '2.16');
  assert.equal(ratePerMinute(200, '0.0001', 'fr'), '1,2000');
  assert.equal(ratePerMinute(180, '0.0001', 'fr'), '1,0800');
  assert.equal(ratePerMinute(250, '0.0001', 'fr'), '1,5000');
  assert.equal(ratePerMinute(0, '0.0001', 'fr'), '0,0000');
  assert.equal(showUnitPrice('0.0001', 'fr'), '0,000100');
  assert.equal(showUnitPrice('0.00000001', 'en'), '0.00000001');
});

test('units × price is exact; amounts convert back only to whole units', () => {
  assert.equal(amountOf(235780, '0.0001'), '23.5780');
  assert.equal(amountOf(-7200, '0.0001'), '-0.7200');
  assert.equal(amountOf(Number.MAX_SAFE_INTEGER, '0.000000000001'), '9007.199254740991');
  assert.equal(unitsForAmount('25', '0.0001'), 250000);
  assert.equal(unitsForAmount('25,00', '0.0001'), 250000);
  assert.equal(unitsForAmount('-0.72', '0.0001'), -7200);
  assert.equal(unitsForAmount('0.00001', '0.0001'), null);
  assert.equal(unitsForAmount('0.3', '0.1'), 3); // 0.1 + 0.2 trouble does not exist here
  assert.equal(unitsForAmount('abc', '0.0001'), null);
  assert.equal(unitsForAmount('1e3', '0.0001'), null);
  assert.equal(unitsForAmount('1', '0'), null);
});

test('decimal parsing takes the comma and refuses what is not a plain decimal', () => {
  assert.deepEqual(parseDecimal('0,0001'), { coef: 1n, scale: 4 });
  assert.deepEqual(parseDecimal('-12.50'), { coef: -1250n, scale: 2 });
  for (const bad of ['', '.5', '1.', '1 000', '1e5', 'NaN', '--1']) assert.equal(parseDecimal(bad), null, bad);
  assert.equal(localize('1.5', 'fr'), '1,5');
  assert.equal(localize('1.5', 'en'), '1.5');
});

test('statement units carry their sign; a free call still shows -0', () => {
  assert.equal(signedUnits(250000, false), '+250000');
  assert.equal(signedUnits(0, true), '-0');
  assert.equal(signedUnits(-7200, true), '-7200');
  assert.equal(signedUnits(-500, false), '-500');
});

test('H2 bounds show as the seed does: whole hours as a number', () => {
  assert.equal(showTimeOfDay('00:00'), '0');
  assert.equal(showTimeOfDay('20:00'), '20');
  assert.equal(showTimeOfDay('08:30'), '08:30');
  assert.equal(showTimeOfDay('8:30'), '08:30');
  assert.equal(showTimeOfDay('junk'), 'junk');
});

test('dates: the API string as is; a timestamp in the box timezone', () => {
  assert.equal(showDate('20120413_092322'), '20120413_092322');
  assert.equal(showDate(1334219473, 'Europe/Paris'), '20120412_103113');
  assert.equal(showDate(1334219473000, 'UTC'), '20120412_083113');
});

test('the version as the seed names it: 2.0.0 is "2.0-r1"', () => {
  assert.equal(releaseName('2.0.0'), '2.0-r1');
  assert.equal(releaseName('2.1.4'), '2.1-r5');
  assert.equal(releaseName('2.0.0-dev'), '2.0.0-dev');
});
