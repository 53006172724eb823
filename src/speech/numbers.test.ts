import { test } from 'node:test';
import assert from 'node:assert/strict';
import { amountPrompts, currencyPrompts, currencySlug, numberPrompts, OWN_PROMPTS } from './index.ts';
import { CORE_SOUNDS } from './core-sounds.test-data.ts';
import { AppError } from '../errors.ts';
import type { Lang } from '../money/index.ts';

/** Short form for expectations: "20 et 1" → ['digits/20','digits/et','digits/1']. */
function d(spec: string): string[] {
  return spec.split(' ').map((w) => `digits/${w}`);
}

const FRENCH: [number, string][] = [
  [0, '0'],
  [1, '1'],
  [10, '10'],
  [16, '16'],
  [17, '17'],
  [20, '20'],
  [21, '20 et 1'],
  [22, '20 2'],
  [31, '30 et 1'],
  [61, '60 et 1'],
  [69, '60 9'],
  [70, '60 10'],
  [71, '60 et 11'],
  [72, '60 12'],
  [79, '60 19'],
  [80, '80'],
  [81, '80 1'],
  [90, '80 10'],
  [91, '80 11'],
  [99, '80 19'],
  [100, 'hundred'],
  [101, 'hundred 1'],
  [180, 'hundred 80'],
  [200, '2 hundred'],
  [271, '2 hundred 60 et 11'],
  [1000, 'thousand'],
  [1001, 'thousand 1'],
  [1100, 'thousand hundred'],
  [2000, '2 thousand'],
  [21000, '20 et 1 thousand'],
  [80000, '80 thousand'],
  [100000, 'hundred thousand'],
  [1000000, '1 million'],
  [2500000, '2 million 5 hundred thousand'],
  [999999999, '9 hundred 80 19 million 9 hundred 80 19 thousand 9 hundred 80 19'],
];

const ENGLISH: [number, string][] = [
  [0, '0'],
  [1, '1'],
  [10, '10'],
  [16, '16'],
  [17, '17'],
  [20, '20'],
  [21, '20 1'],
  [71, '70 1'],
  [80, '80'],
  [81, '80 1'],
  [90, '90'],
  [91, '90 1'],
  [99, '90 9'],
  [100, '1 hundred'],
  [101, '1 hundred 1'],
  [180, '1 hundred 80'],
  [200, '2 hundred'],
  [1000, '1 thousand'],
  [1001, '1 thousand 1'],
  [2000, '2 thousand'],
  [21000, '20 1 thousand'],
  [1000000, '1 million'],
  [2500000, '2 million 5 hundred thousand'],
  [999999999, '9 hundred 90 9 million 9 hundred 90 9 thousand 9 hundred 90 9'],
  [1000000000, '1 billion'],
];

test('numbers in French follow the French rules', () => {
  for (const [n, spec] of FRENCH) assert.deepEqual(numberPrompts(n, 'fr'), d(spec), String(n));
});

test('numbers in English follow the English rules', () => {
  for (const [n, spec] of ENGLISH) assert.deepEqual(numberPrompts(n, 'en'), d(spec), String(n));
});

test('bigint, negative and large numbers', () => {
  assert.deepEqual(numberPrompts(21n, 'fr'), d('20 et 1'));
  assert.deepEqual(numberPrompts(-5, 'en'), d('minus 5'));
  assert.deepEqual(numberPrompts(-71, 'fr'), d('minus 60 et 11'));
  assert.deepEqual(numberPrompts(2_000_000_000, 'fr'), d('2 thousand million'));
  assert.deepEqual(numberPrompts(2_000_000_001, 'en'), d('2 billion 1'));
});

test('non-integers are refused with BAD_REQUEST', () => {
  for (const v of [1.5, NaN, Infinity, Number.MAX_SAFE_INTEGER + 1, '12' as unknown as number]) {
    assert.throws(() => numberPrompts(v, 'fr'), (e: unknown) => e instanceof AppError && e.code === 'BAD_REQUEST');
  }
});

test('every number prompt exists in the core sound set of its language', () => {
  for (const lang of ['fr', 'en'] as Lang[]) {
    const samples = [...Array(1200).keys(), 21000, 71071, 1_000_000, 2_500_000, 999_999_999, 1_234_567_891, -42];
    for (const n of samples) {
      for (const p of numberPrompts(n, lang)) assert.ok(CORE_SOUNDS[lang].has(p), `${lang}/${p} (for ${n}) missing`);
    }
  }
});

test('amount: 250000 units at 0.0001 Euros is 25 euros', () => {
  assert.deepEqual(amountPrompts(250000, '0.0001', 'Euros', 'fr'), [...d('20 5'), 'currency-euros']);
  assert.deepEqual(amountPrompts(250000, '0.0001', 'Euros', 'en'), [...d('20 5'), 'currency-euros']);
});

test('amount: cents are truncated down, never rounded up', () => {
  // 23.578 € → 23 euros and 57 cents
  assert.deepEqual(amountPrompts(235780, '0.0001', 'Euros', 'fr'), [
    ...d('20 3'),
    'currency-euros',
    'vm-and',
    ...d('50 7'),
    'currency-cents',
  ]);
  assert.deepEqual(amountPrompts(235780, '0.0001', 'Euros', 'en'), [
    ...d('20 3'),
    'currency-euros',
    'vm-and',
    ...d('50 7'),
    'currency-cents',
  ]);
  // 0.0099 € → nothing to announce but zero
  assert.deepEqual(amountPrompts(99, '0.0001', 'Euros', 'en'), [...d('0'), 'currency-euros']);
});

test('amount: singular and plural per language', () => {
  assert.deepEqual(amountPrompts(10000, '0.0001', 'Euros', 'fr'), [...d('1'), 'currency-euro']);
  assert.deepEqual(amountPrompts(10000, '0.0001', 'Euros', 'en'), [...d('1'), 'currency-euro']);
  assert.deepEqual(amountPrompts(20000, '0.0001', 'Euros', 'en'), [...d('2'), 'currency-euros']);
  assert.deepEqual(amountPrompts(0, '0.0001', 'Euros', 'fr'), [...d('0'), 'currency-euro']);
  assert.deepEqual(amountPrompts(0, '0.0001', 'Euros', 'en'), [...d('0'), 'currency-euros']);
  assert.deepEqual(amountPrompts(10100, '0.0001', 'Euros', 'fr'), [...d('1'), 'currency-euro', 'vm-and', ...d('1'), 'currency-cent']);
  assert.deepEqual(amountPrompts(10100, '0.0001', 'Euros', 'en'), [...d('1'), 'currency-euro', 'vm-and', ...d('1'), 'currency-cent']);
});

test('amount: below one currency unit only the cents are said', () => {
  assert.deepEqual(amountPrompts(5700, '0.0001', 'Euros', 'fr'), [...d('50 7'), 'currency-cents']);
  assert.deepEqual(amountPrompts(9000, '0.0001', 'Euros', 'fr'), [...d('80 10'), 'currency-cents']);
});

test('amount: large and negative balances', () => {
  assert.deepEqual(amountPrompts(12_345_600, '0.0001', 'Euros', 'fr'), [
    ...d('thousand 2 hundred 30 4'),
    'currency-euros',
    'vm-and',
    ...d('50 6'),
    'currency-cents',
  ]);
  assert.deepEqual(amountPrompts(-7200, '0.0001', 'Euros', 'en'), ['digits/minus', ...d('70 2'), 'currency-cents']);
});

test('amount: currencies map to core prompts when the set has them', () => {
  assert.deepEqual(amountPrompts(20000, '0.0001', 'Dollars', 'en'), [...d('2'), 'digits/dollars']);
  assert.deepEqual(amountPrompts(10000, '0.0001', 'dollars', 'fr'), [...d('1'), 'letters/dollar']);
  assert.deepEqual(currencyPrompts(' EUR ').many, 'currency-euros');
  assert.deepEqual(currencyPrompts('€').one, 'currency-euro');
});

test('amount: other currencies get an own prompt named by their slug', () => {
  assert.deepEqual(amountPrompts(20000, '0.0001', 'Francs CFA', 'fr'), [...d('2'), 'currency-francs-cfa']);
  assert.deepEqual(currencyPrompts('Złoty').one, 'currency-zloty');
  assert.deepEqual(currencyPrompts('Livres sterling').many, 'currency-livres-sterling');
  assert.deepEqual(currencyPrompts('¥').many, 'currency-units');
  assert.deepEqual(currencyPrompts('').many, 'currency-units');
  assert.equal(currencySlug('  ../../etc/passwd '), 'etc-passwd');
  assert.ok(currencySlug('x'.repeat(100)).length <= 32);
  assert.equal(currencySlug('a'.repeat(31) + ' b'), 'a'.repeat(31));
});

test('amount: bad units or price are BAD_REQUEST', () => {
  const bad = (e: unknown) => e instanceof AppError && e.code === 'BAD_REQUEST';
  assert.throws(() => amountPrompts(1.5, '0.0001', 'Euros', 'fr'), bad);
  assert.throws(() => amountPrompts(1, 'abc', 'Euros', 'fr'), bad);
  assert.throws(() => amountPrompts(1, '0', 'Euros', 'fr'), bad);
});

test('every amount prompt is either a core sound or an own prompt', () => {
  for (const lang of ['fr', 'en'] as Lang[]) {
    for (const currency of ['Euros', 'Dollars']) {
      for (const units of [0, 99, 5700, 10000, 10100, 235780, 250000, 12_345_678]) {
        for (const p of amountPrompts(units, '0.0001', currency, lang)) {
          assert.ok(CORE_SOUNDS[lang].has(p) || Object.hasOwn(OWN_PROMPTS, p), `${lang}/${p}`);
        }
      }
    }
  }
});
