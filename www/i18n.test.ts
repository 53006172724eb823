import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorKey, translator } from './i18n.ts';

test('API refusals are said in the page language from their code and params', () => {
  const fr = translator('fr');
  const en = translator('en');
  const key = errorKey('DID_IN_USE', { did: '0561500001', user: '1001' });
  assert.equal(key, 'err_DID_IN_USE');
  assert.equal(fr(key!, { did: '0561500001', user: '1001' }), "La SDA 0561500001 appartient à l'utilisateur 1001.");
  assert.equal(en(key!, { did: '0561500001', user: '1001' }), 'DID 0561500001 belongs to user 1001.');
  assert.equal(fr(errorKey('PIN_IN_USE', undefined)!), 'Ce code PIN est déjà utilisé.');
});

test('without the variables its message needs, or for an unknown code, the API message stays', () => {
  assert.equal(errorKey('DID_IN_USE', { did: '1' }), null);
  assert.equal(errorKey('NOT_FOUND', undefined), null); // a cost row, an endpoint: no template
  assert.equal(errorKey('SOMETHING_NEW', { id: '1' }), null);
  assert.equal(errorKey(undefined, undefined), null);
});

test('a format refusal on a field gets the form hint; other bad requests keep the API message', () => {
  assert.equal(errorKey('BAD_REQUEST', undefined, 'billingSchedule'), 'e_cron');
  assert.equal(translator('fr')(errorKey('BAD_REQUEST', undefined, 'timezone')!), 'Fuseau inconnu (ex. Europe/Paris).');
  assert.equal(errorKey('BAD_REQUEST', undefined, 'did'), null);
  assert.equal(errorKey('BAD_REQUEST', undefined, 'toString'), null);
});
