import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cdrKey,
  cdrTimeHi,
  cdrTimeLo,
  isCdrKey,
  KEY_END,
  keyPart,
  ledgerKey,
  ledgerUserRange,
  MAX_TIME,
  pinKey,
  SEQ_PER_EPOCH,
} from './keys.ts';

describe('keys', () => {
  it('keyPart keeps plain ids and turns anything else into distinct ASCII without "/" or NUL', () => {
    assert.equal(keyPart('A12040315245291803'), 'A12040315245291803');
    const odd = ['a/b', 'a b', 'é', 'x\u0000y', '~', "a'b", '%41', 'A', '😀', ''];
    const out = odd.map(keyPart);
    for (const k of out) assert.match(k, /^[A-Za-z0-9._%-]*$/);
    assert.equal(new Set(out).size, odd.length);
    assert.notEqual(keyPart('%41'), keyPart('A'));
  });

  it('ledger keys sort by time within a user, and a user range holds only that user', () => {
    const a = ledgerKey(1, '1001', 999, 5);
    const b = ledgerKey(1, '1001', 1000, 1);
    const c = ledgerKey(1, '1001', 1000, 2);
    assert.ok(a < b && b < c);
    const r = ledgerUserRange(1, '1');
    assert.ok(ledgerKey(1, '1', 5, 1) >= r.lo && ledgerKey(1, '1', 5, 1) < r.hi);
    assert.ok(!(ledgerKey(1, '10', 5, 1) >= r.lo && ledgerKey(1, '10', 5, 1) < r.hi));
    assert.ok(!(ledgerKey(2, '1', 5, 1) >= r.lo && ledgerKey(2, '1', 5, 1) < r.hi));
  });

  it('CDR keys sort by end time then sequence, and time bounds are inclusive', () => {
    const maxSeq = 9_000_000 * SEQ_PER_EPOCH;
    const keys = [cdrKey(5, 2), cdrKey(5, 10), cdrKey(40, 1), cdrKey(MAX_TIME, maxSeq)];
    assert.deepEqual([...keys].sort(), keys);
    for (const k of keys) assert.equal(isCdrKey(k), true);
    assert.equal(isCdrKey('1/2'), false);
    assert.equal(isCdrKey(cdrKey(5, 1) + 'x'), false);
    assert.ok(cdrKey(5, 1) >= cdrTimeLo(5) && cdrKey(5, maxSeq) < cdrTimeHi(5));
    assert.ok(cdrKey(4, maxSeq) < cdrTimeLo(5) && cdrKey(6, 0) > cdrTimeHi(5));
    assert.ok(cdrKey(MAX_TIME, maxSeq) < KEY_END);
  });

  it('pinKey is a keyed hash: stable, 64 hex digits, different per box secret', () => {
    const s1 = new Uint8Array(32).fill(1);
    const s2 = new Uint8Array(32).fill(2);
    assert.match(pinKey(s1, '2345'), /^[0-9a-f]{64}$/);
    assert.equal(pinKey(s1, '2345'), pinKey(s1, '2345'));
    assert.notEqual(pinKey(s1, '2345'), pinKey(s2, '2345'));
    assert.notEqual(pinKey(s1, '2345'), pinKey(s1, '2346'));
  });
});
