import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkRuntime } from './app.ts';

test('a Node.js without ICU is refused at start, with what to do', () => {
  assert.throws(() => checkRuntime({ ...process.versions, icu: undefined as unknown as string }), /no Intl[^]*BR2_PACKAGE_ICU/);
  assert.doesNotThrow(() => checkRuntime());
});
