import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PrefixIndex } from './prefix-index.ts';

const index = new PrefixIndex<string>([
  ['3', 'p3'],
  ['38', 'p38'],
  ['3801', 'p3801'],
  ['42', 'p42'],
  ['12345678901234567890', 'p20'],
]);

test('longest prefix wins; no match gives undefined', () => {
  assert.equal(index.size, 5);
  assert.equal(index.longest('380141587070'), 'p3801');
  assert.equal(index.longest('380241587070'), 'p38');
  assert.equal(index.longest('38'), 'p38');
  assert.equal(index.longest('39'), 'p3');
  assert.equal(index.longest('380'), 'p38'); // node 380 exists but holds no row
  assert.equal(index.longest('4'), undefined);
  assert.equal(index.longest('5173'), undefined);
  assert.equal(index.longest(''), undefined);
  assert.equal(index.longest('123456789012345678901234'), 'p20');
  assert.equal(index.longest('1234567890123456789'), undefined);
});

test("a leading '+' is skipped; any other non-digit ends the match", () => {
  assert.equal(index.longest('+380141587070'), 'p3801');
  assert.equal(index.longest('+'), undefined);
  assert.equal(index.longest('++38'), undefined);
  assert.equal(index.longest('38*01'), 'p38');
  assert.equal(index.longest('3#801'), 'p3');
  assert.equal(index.longest('*38'), undefined);
  assert.equal(index.longest('#38'), undefined);
  assert.equal(index.longest('38 01'), 'p38');
  assert.equal(index.longest('4\u0662'), undefined); // Arabic-Indic digit is not a digit here
});

test('a prefix given twice keeps the later value; non-digit prefixes are refused', () => {
  assert.equal(new PrefixIndex([['38', 'a'], ['38', 'b']]).longest('381'), 'b');
  assert.throws(() => new PrefixIndex([['3a', 'x']]), RangeError);
  assert.throws(() => new PrefixIndex([['', 'x']]), RangeError);
});

test('agrees with a brute-force longest match on random tables, shallow and deep', () => {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return Math.floor((seed / 2147483648) * n);
  };
  const digits = (len: number) => Array.from({ length: len }, () => rnd(10)).join('');
  for (const maxLen of [6, 20]) {
    const table = new Map<string, number>();
    for (let i = 0; i < 3000; i++) table.set(digits(1 + rnd(maxLen)), i);
    const trie = new PrefixIndex([...table]);
    assert.equal(trie.size, table.size);
    const keys = [...table.keys()];
    for (let i = 0; i < 20000; i++) {
      // half the numbers extend a table prefix, so deep paths are walked too
      const number = (i % 2 === 0 ? keys[rnd(keys.length)]! : '') + digits(rnd(14));
      let expected: number | undefined;
      for (let len = number.length; len >= 1 && expected === undefined; len--) expected = table.get(number.slice(0, len));
      assert.equal(trie.longest(number), expected, number);
    }
  }
});
