import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal } from './index.ts';
import { AppError } from '../errors.ts';

function badRequest(fn: () => unknown, field?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AppError, `expected AppError, got ${String(e)}`);
    assert.equal(e.code, 'BAD_REQUEST');
    assert.ok(e.message.length > 0);
    if (field !== undefined) assert.equal(e.field, field);
    return true;
  });
}

test('parse accepts sign, digits, dot or comma fraction', () => {
  const cases: [string, bigint, number][] = [
    ['25', 25n, 0],
    ['-25.00', -2500n, 2],
    ['+7', 7n, 0],
    ['0.0001', 1n, 4],
    ['0,0001', 1n, 4],
    ['-0,720000', -720000n, 6],
    ['007.50', 750n, 2],
  ];
  for (const [s, coef, scale] of cases) {
    const d = Decimal.parse(s);
    assert.equal(d.coef, coef, s);
    assert.equal(d.scale, scale, s);
  }
});

test('parse rejects anything that is not a plain decimal', () => {
  for (const s of ['', ' ', '1e5', '1E-3', '1 000', ' 25', '25 ', '12.5.3', '1,5,0', 'NaN', 'Infinity', '-', '+', '.5', '5.', '0x10', '--1', '1_000', '٣', '25€']) {
    badRequest(() => Decimal.parse(s));
  }
  badRequest(() => Decimal.parse('1'.repeat(41)));
});

test('parse rejects non-strings except plain JSON numbers', () => {
  for (const v of [null, undefined, {}, [], true, NaN, Infinity, 1e21, 1e-7, 10n]) {
    badRequest(() => Decimal.parse(v as unknown as string));
  }
  assert.equal(Decimal.parse(25).toString(), '25');
  assert.equal(Decimal.parse(25.5).toString(), '25.5');
  assert.equal(Decimal.parse(-0.72).toString(), '-0.72');
});

test('parse reports the field it was given', () => {
  badRequest(() => Decimal.parse('abc', 'amount'), 'amount');
});

test('toString keeps the own scale, trimmed drops trailing zeros', () => {
  assert.equal(Decimal.parse('25.00').toString(), '25.00');
  assert.equal(Decimal.parse('-0,5').toString(), '-0.5');
  assert.equal(Decimal.parse('0.0001').toString(), '0.0001');
  assert.equal(Decimal.parse('25.000000').trimmed(), '25');
  assert.equal(Decimal.parse('-1.300000').trimmed(), '-1.3');
  assert.equal(Decimal.parse('-0.000').trimmed(), '0');
  assert.equal(Decimal.parse('-0.000').toString(), '0.000');
  assert.equal(Decimal.parse('100').trimmed(), '100');
});

test('toFixed pads and rounds half away from zero', () => {
  assert.equal(Decimal.parse('23.578').toFixed(2), '23.58');
  assert.equal(Decimal.parse('23.575').toFixed(2), '23.58');
  assert.equal(Decimal.parse('23.574').toFixed(2), '23.57');
  assert.equal(Decimal.parse('-23.575').toFixed(2), '-23.58');
  assert.equal(Decimal.parse('-23.574').toFixed(2), '-23.57');
  assert.equal(Decimal.parse('-0.004').toFixed(2), '0.00');
  assert.equal(Decimal.parse('-0.005').toFixed(2), '-0.01');
  assert.equal(Decimal.parse('0.5').toFixed(0), '1');
  assert.equal(Decimal.parse('2.49').toFixed(0), '2');
  assert.equal(Decimal.parse('25').toFixed(6), '25.000000');
  assert.equal(Decimal.parse('0.0001').toFixed(6), '0.000100');
  assert.equal(Decimal.parse('9.999').toFixed(2), '10.00');
  badRequest(() => Decimal.parse('1').toFixed(-1));
  badRequest(() => Decimal.parse('1').toFixed(1.5));
});

test('arithmetic is exact where binary floats are not', () => {
  const a = Decimal.parse('0.1');
  const b = Decimal.parse('0.2');
  assert.equal(a.add(b).toString(), '0.3');
  assert.equal(a.add(b).cmp(Decimal.parse('0.3')), 0);
  assert.equal(Decimal.parse('1.00').sub(Decimal.parse('0.01')).toString(), '0.99');
  assert.equal(Decimal.parse('0.0001').mul(Decimal.ofUnits(235780)).toString(), '23.5780');
  assert.equal(Decimal.parse('2.5').neg().toString(), '-2.5');
  assert.equal(Decimal.parse('0').neg().isZero(), true);
});

test('cmp, isZero, isNegative compare across scales', () => {
  assert.equal(Decimal.parse('1.50').cmp(Decimal.parse('1.5')), 0);
  assert.equal(Decimal.parse('1.49').cmp(Decimal.parse('1.5')), -1);
  assert.equal(Decimal.parse('-1').cmp(Decimal.parse('-1.0001')), 1);
  assert.equal(Decimal.parse('0.000').isZero(), true);
  assert.equal(Decimal.parse('0.001').isZero(), false);
  assert.equal(Decimal.parse('-0.001').isNegative(), true);
  assert.equal(Decimal.parse('-0').isNegative(), false);
});

test('ofUnits takes safe integers only', () => {
  assert.equal(Decimal.ofUnits(-7200).toString(), '-7200');
  assert.equal(Decimal.ofUnits(Number.MAX_SAFE_INTEGER).toString(), String(Number.MAX_SAFE_INTEGER));
  for (const v of [1.5, NaN, Infinity, Number.MAX_SAFE_INTEGER + 1, '5' as unknown as number]) {
    badRequest(() => Decimal.ofUnits(v), 'units');
  }
});

test('truncatedCoef truncates toward zero', () => {
  assert.equal(Decimal.parse('23.578').truncatedCoef(2), 2357n);
  assert.equal(Decimal.parse('-23.578').truncatedCoef(2), -2357n);
  assert.equal(Decimal.parse('25').truncatedCoef(2), 2500n);
});
