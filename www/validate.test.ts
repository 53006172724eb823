import assert from 'node:assert/strict';
import { test } from 'node:test';
import { amountCheck, isHost, isPassword, isUnitPrice } from './validate.ts';

test('an amount: whole units at the price, and too large said as such', () => {
  const check = amountCheck('0.0001');
  assert.equal(check('25'), null);
  assert.equal(check('-0,72'), null);
  assert.equal(check('0.00005'), 'e_amountUnits');
  assert.equal(check('99999999999999999'), 'e_tooLarge');
  assert.equal(check('-99999999999999999.00005'), 'e_tooLarge');
  assert.equal(check('0'), 'e_nonZero');
  assert.equal(check('abc'), 'e_amount');
});

test('the unit price and password bounds match the server', () => {
  assert.equal(isUnitPrice('0,0001'), null);
  assert.equal(isUnitPrice('1000000'), null);
  assert.equal(isUnitPrice('1000000.01'), 'e_unitPrice');
  assert.equal(isUnitPrice('99999999999999999999999'), 'e_unitPrice');
  assert.equal(isPassword('   '), 'required');
  assert.equal(isPassword(' a '), null);
});

test('the A6000 address takes what the server takes', () => {
  for (const ok of ['127.0.0.1', 'a6000.local', '::1', '[fe80::1]', 'box-1']) assert.equal(isHost(ok), null, ok);
  for (const bad of ['', ' 10.0.0.1', 'serial:/dev/ttyS0', 'a b', 'http://x', '-box']) assert.equal(isHost(bad), 'e_host', bad);
});
