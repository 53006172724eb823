import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { OWN_PROMPTS, PROMPTS, failedPrompts, inLanguage } from './index.ts';
import { CORE_SOUNDS } from './core-sounds.test-data.ts';

function allLists(): [string, readonly string[]][] {
  const out: [string, readonly string[]][] = [];
  for (const [key, v] of Object.entries(PROMPTS)) {
    if (Array.isArray(v)) out.push([key, v]);
    else for (const [cause, list] of Object.entries(v)) out.push([`${key}.${cause}`, list as readonly string[]]);
  }
  return out;
}

test('the spec names: PIN prompt, announcement, cut-off', () => {
  assert.deepEqual(PROMPTS.enterPin, ['agent-pass']);
  assert.deepEqual(PROMPTS.youHave, ['vm-youhave']);
  assert.deepEqual(PROMPTS.enterNumber, ['vm-enter-num-to-call']);
  assert.deepEqual(PROMPTS.creditExhausted, ['credit-exhausted']);
  assert.deepEqual(PROMPTS.goodbye, ['goodbye']);
});

test('every prompt is a core sound in BOTH languages, or an own prompt', () => {
  for (const [key, list] of allLists()) {
    assert.ok(list.length > 0, key);
    for (const name of list) {
      const own = Object.hasOwn(OWN_PROMPTS, name);
      const core = CORE_SOUNDS.fr.has(name) && CORE_SOUNDS.en.has(name);
      assert.ok(own !== core, `${key}: ${name} must be exactly one of core (both languages) or own`);
    }
  }
});

test('own prompts do not shadow core sounds and have words in both languages', () => {
  for (const [name, words] of Object.entries(OWN_PROMPTS)) {
    assert.ok(!CORE_SOUNDS.fr.has(name) && !CORE_SOUNDS.en.has(name), name);
    assert.match(name, /^[a-z0-9-]+$/);
    assert.ok(words.fr.length > 0 && words.en.length > 0, name);
  }
});

test('docs/prompts.md lists every own prompt with its words and every standard one used', () => {
  const doc = readFileSync(new URL('../../docs/prompts.md', import.meta.url), 'utf8');
  for (const [name, words] of Object.entries(OWN_PROMPTS)) {
    assert.ok(doc.includes(`\`${name}\``), `${name} not documented`);
    assert.ok(doc.includes(words.fr), `${name}: French words not documented`);
    assert.ok(doc.includes(words.en), `${name}: English words not documented`);
  }
  for (const [, list] of allLists()) {
    for (const name of list) assert.ok(doc.includes(`\`${name}\``), `${name} not documented`);
  }
});

test('failedPrompts covers every FAILED cause and falls back for others', () => {
  assert.deepEqual(failedPrompts('busy'), PROMPTS.callFailed.busy);
  assert.deepEqual(failedPrompts('invalid'), ['ss-noservice']);
  assert.deepEqual(failedPrompts('congestion'), ['all-circuits-busy-now', 'please-try-call-later']);
  assert.deepEqual(failedPrompts('something-new'), PROMPTS.callFailed.rejected);
  assert.deepEqual(failedPrompts('__proto__'), PROMPTS.callFailed.rejected);
  assert.deepEqual(failedPrompts('toString'), PROMPTS.callFailed.rejected);
});

test('inLanguage prefixes names for the engine', () => {
  assert.deepEqual(inLanguage('fr', ['vm-youhave', 'digits/20']), ['fr/vm-youhave', 'fr/digits/20']);
  assert.deepEqual(inLanguage('en', PROMPTS.goodbye), ['en/goodbye']);
});
