import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AMOUNT_SCALE,
  amountOf,
  amountString,
  amountTrimmed,
  formatAmount,
  formatAmountFull,
  formatUnitPrice,
  localize,
  ratePerMinute,
  unitsOf,
  validUnitPrice,
} from './index.ts';
import { AppError } from '../errors.ts';

const PRICE = '0.0001'; // the seed's unit price

function badRequest(fn: () => unknown, field?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AppError, `expected AppError, got ${String(e)}`);
    assert.equal(e.code, 'BAD_REQUEST');
    if (field !== undefined) assert.equal(e.field, field);
    return true;
  });
}

test('seed: unit price shown with 6 digits, "0,000100" in French', () => {
  assert.equal(formatUnitPrice(PRICE, 'fr'), '0,000100');
  assert.equal(formatUnitPrice('0,0001', 'en'), '0.000100');
  assert.equal(formatUnitPrice('0.00000125', 'fr'), '0,00000125');
});

test('seed: ledger amounts at 6 digits', () => {
  assert.equal(AMOUNT_SCALE, 6);
  assert.equal(amountString(250000, PRICE), '25.000000');
  assert.equal(amountString(-7200, PRICE), '-0.720000');
  assert.equal(amountString(-7020, PRICE), '-0.702000');
  assert.equal(amountString(0, PRICE), '0.000000');
  assert.equal(formatAmountFull(250000, PRICE, 'fr'), '25,000000');
  assert.equal(formatAmountFull(-7200, PRICE, 'fr'), '-0,720000');
});

test('amountString keeps every digit of a finer unit price', () => {
  assert.equal(amountString(3, '0.00000001'), '0.00000003');
  assert.equal(amountString(7, '1.5'), '10.500000');
});

test('seed: two-digit amounts (balances, supervision)', () => {
  assert.equal(formatAmount(235780, PRICE, 'fr', 2), '23,58');
  assert.equal(formatAmount(235780, PRICE, 'en', 2), '23.58');
  assert.equal(formatAmount(228400, PRICE, 'fr', 2), '22,84');
  assert.equal(formatAmount(191600, PRICE, 'fr', 2), '19,16');
  assert.equal(formatAmount(21600, PRICE, 'fr', 2), '2,16');
  assert.equal(formatAmount(9000, PRICE, 'fr', 2), '0,90');
  assert.equal(formatAmount(-235750, PRICE, 'fr', 2), '-23,58');
});

test('seed: trimmed archive amounts', () => {
  assert.equal(amountTrimmed(250000, PRICE, 'fr'), '25');
  assert.equal(amountTrimmed(-22600, PRICE, 'fr'), '-2,26');
  assert.equal(amountTrimmed(-13000, PRICE, 'fr'), '-1,3');
  assert.equal(amountTrimmed(227400, PRICE, 'fr'), '22,74');
  assert.equal(amountTrimmed(203800, PRICE, 'fr'), '20,38');
  assert.equal(amountTrimmed(-600, PRICE, 'fr'), '-0,06');
  assert.equal(amountTrimmed(0, PRICE, 'fr'), '0');
  assert.equal(amountTrimmed(-7200, PRICE, 'en'), '-0.72');
  assert.equal(amountOf(-7200, PRICE).trimmed(), '-0.72');
});

test('seed: cost rows per minute with 4 digits', () => {
  assert.equal(ratePerMinute(200, PRICE, 'fr'), '1,2000');
  assert.equal(ratePerMinute(180, PRICE, 'fr'), '1,0800');
  assert.equal(ratePerMinute(250, PRICE, 'fr'), '1,5000');
  assert.equal(ratePerMinute(0, PRICE, 'fr'), '0,0000');
  assert.equal(ratePerMinute(200, PRICE, 'en'), '1.2000');
  badRequest(() => ratePerMinute(1.5, PRICE, 'fr'));
});

test('seed: unitsOf converts amounts to whole units', () => {
  assert.equal(unitsOf('25.00', PRICE), 250000);
  assert.equal(unitsOf('25,5', PRICE), 255000);
  assert.equal(unitsOf('25', PRICE), 250000);
  assert.equal(unitsOf('0.0001', PRICE), 1);
  assert.equal(unitsOf('0', PRICE), 0);
  assert.equal(unitsOf('-0.72', PRICE), -7200);
  assert.equal(unitsOf('-25.00', '0,0001'), -250000);
  assert.equal(unitsOf('3', '1.5'), 2);
});

test('unitsOf refuses fractions of a unit, non-numbers and unsafe results', () => {
  badRequest(() => unitsOf('0.00005', PRICE), 'amount');
  badRequest(() => unitsOf('1', '0.3'), 'amount');
  badRequest(() => unitsOf('abc', PRICE), 'amount');
  badRequest(() => unitsOf('', PRICE), 'amount');
  badRequest(() => unitsOf('1e3', PRICE), 'amount');
  badRequest(() => unitsOf('1000000000000', PRICE), 'amount'); // 1e16 units > MAX_SAFE_INTEGER
  badRequest(() => unitsOf('-1000000000000', PRICE), 'amount');
  badRequest(() => unitsOf('25', '0'), 'unitPrice');
  badRequest(() => unitsOf('25', '-0.0001'), 'unitPrice');
  badRequest(() => unitsOf('25', 'x'), 'unitPrice');
  assert.equal(unitsOf('900719925474.0991', PRICE), Number.MAX_SAFE_INTEGER);
  // too large says so, even when it would divide evenly or not
  assert.throws(() => unitsOf('99999999999999999', PRICE), /too large/);
  assert.throws(() => unitsOf('99999999999999999.00005', PRICE), /too large/);
});

test('amounts refuse unsafe or fractional units', () => {
  badRequest(() => amountString(0.5, PRICE));
  badRequest(() => formatAmount(Number.MAX_SAFE_INTEGER + 2, PRICE, 'fr', 2));
  badRequest(() => amountOf(1, ''));
});

test('amounts stay exact at the largest balance', () => {
  assert.equal(amountString(Number.MAX_SAFE_INTEGER, PRICE), '900719925474.099100');
  assert.equal(formatAmount(Number.MAX_SAFE_INTEGER, PRICE, 'en', 2), '900719925474.10');
});

test('localize swaps the decimal point in French only', () => {
  assert.equal(localize('23.58', 'fr'), '23,58');
  assert.equal(localize('-0.720000', 'fr'), '-0,720000');
  assert.equal(localize('25', 'fr'), '25');
  assert.equal(localize('23.58', 'en'), '23.58');
});

test('validUnitPrice: positive decimal up to 1000000 with at most 12 fraction digits', () => {
  for (const ok of ['0.0001', '0,0001', '1', '0.000000000001', '12.5', '1000000', '1000000.000']) assert.equal(validUnitPrice(ok), true, ok);
  for (const bad of ['0', '0.0000', '-0.0001', '0.0000000000001', '', 'abc', '1e-4', ' 0.1', '1000000.000000000001', '99999999999999999999999']) assert.equal(validUnitPrice(bad), false, bad);
  assert.equal(validUnitPrice(null as unknown as string), false);
});
