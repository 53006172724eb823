// The JSON API through the real server and a real Store: happy paths, 4xx, and that a
// refused request changes nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Cdr } from '../store/index.ts';
import { parseStamp } from '../timezone/index.ts';
import { liveCall, openBed, rawRequest, rawStatus, BASIC, type Bed } from './testbed.ts';

let bed: Bed;
before(async () => {
  bed = await openBed();
});
after(async () => {
  await bed.close();
});

const TZ = 'Europe/Paris';
const at = (stamp: string): number => parseStamp(stamp, TZ)!;

async function ok(r: Promise<Response>, status = 200): Promise<any> {
  const res = await r;
  const text = await res.text();
  assert.equal(res.status, status, text);
  return text ? JSON.parse(text) : undefined;
}

async function refused(r: Promise<Response>, status: number, code?: string, field?: string, params?: Record<string, string>): Promise<void> {
  const res = await r;
  const body = await res.json();
  assert.equal(res.status, status, JSON.stringify(body));
  assert.equal(typeof body.error, 'string');
  if (code) assert.equal(body.code, code, JSON.stringify(body));
  if (field) assert.equal(body.field, field, JSON.stringify(body));
  if (params) assert.deepEqual(body.params, params, JSON.stringify(body));
}

const put = (path: string, json: unknown) => bed.api(path, { method: 'PUT', json });
const post = (path: string, json: unknown) => bed.api(path, { method: 'POST', json });
const del = (path: string) => bed.api(path, { method: 'DELETE' });
const putRaw = (path: string, body: string) => bed.api(path, { method: 'PUT', body, headers: { 'content-type': 'application/json' } });

test('config: GET shows the seed defaults and never the password; PUT is partial and goes through the appliance', async () => {
  const cfg = await ok(bed.api('/api/config'));
  assert.equal(cfg.webPort, 8078);
  assert.equal(cfg.ivrDid, '6000');
  assert.equal(cfg.unitPrice, '0.0001');
  assert.equal(cfg.timezone, TZ);
  for (const k of Object.keys(cfg)) assert.doesNotMatch(k, /password|hash/i);
  assert.doesNotMatch(JSON.stringify(cfg), /scrypt/);

  const updated = await ok(put('/api/config', { language: 'EN', warningSeconds: 30, billingSchedule: '0 0 1 * *', csvSeparator: ',' }));
  assert.equal(updated.language, 'en');
  assert.equal(updated.warningSeconds, 30);
  assert.equal(updated.billingSchedule, '0 0 1 * *');
  assert.equal(updated.ivrDid, '6000', 'other fields untouched');
  assert.deepEqual(bed.app.configPatches.at(-1), { language: 'en', warningSeconds: 30, billingSchedule: '0 0 1 * *', csvSeparator: ',' });
  assert.deepEqual(await ok(bed.api('/api/config')), updated);

  const price = await ok(put('/api/config', { unitPrice: '0,0002' }));
  assert.equal(price.unitPrice, '0.0002');
  await ok(put('/api/config', { unitPrice: '0.0001', language: 'fr' }));
});

test('config: every invalid value is a 400 naming the field, and nothing changes', async () => {
  const before = await ok(bed.api('/api/config'));
  const hash = bed.store.adminPasswordHash();
  const patches = bed.app.configPatches.length;
  const cases: [unknown, string | undefined][] = [
    [{ webPort: 0 }, 'webPort'], [{ webPort: 70000 }, 'webPort'], [{ webPort: '8080' }, 'webPort'], [{ webPort: 80.5 }, 'webPort'],
    [{ language: 'de' }, 'language'], [{ ivrDid: '60a0' }, 'ivrDid'], [{ ivrDid: '' }, 'ivrDid'],
    [{ engineAddress: '' }, 'engineAddress'], [{ engineAddress: 'a b' }, 'engineAddress'], [{ engineAddress: 'http://x' }, 'engineAddress'],
    [{ enginePort: 0 }, 'enginePort'], [{ engineTimeout: 0 }, 'engineTimeout'], [{ engineTimeout: 61 }, 'engineTimeout'],
    [{ timezone: 'Mars/Olympus' }, 'timezone'], [{ timezone: 5 }, 'timezone'],
    [{ defaultCallingForced: 'yes' }, 'defaultCallingForced'], [{ serviceLog: 1 }, 'serviceLog'],
    [{ csvSeparator: ';;' }, 'csvSeparator'], [{ csvSeparator: '"' }, 'csvSeparator'], [{ csvSeparator: '\u0001' }, 'csvSeparator'],
    [{ currency: '' }, 'currency'], [{ currency: 'x'.repeat(17) }, 'currency'],
    [{ unitPrice: '0' }, 'unitPrice'], [{ unitPrice: '-1' }, 'unitPrice'], [{ unitPrice: 'abc' }, 'unitPrice'],
    [{ unitPrice: '0.0000000000001' }, 'unitPrice'], [{ unitPrice: '99999999999999999999999' }, 'unitPrice'], [{ warningSeconds: 3601 }, 'warningSeconds'], [{ warningSeconds: -1 }, 'warningSeconds'],
    [{ billingSchedule: 'every day' }, 'billingSchedule'], [{ billingSchedule: '99 * * * *' }, 'billingSchedule'],
    [{ adminPassword: '' }, 'adminPassword'], [{ adminPassword: '   ' }, 'adminPassword'], [{ adminPassword: 12345 }, 'adminPassword'],
    [{ foo: 1 }, 'foo'], [{ language: 'en', webPort: 0 }, 'webPort'], [{ adminPassword: 'new one', timezone: 'Nowhere' }, 'timezone'],
  ];
  for (const [body, field] of cases) await refused(put('/api/config', body), 400, 'BAD_REQUEST', field);
  for (const raw of ['', '{', '[1]', 'null', '"x"', '{"webPort":8079,}']) await refused(putRaw('/api/config', raw), 400, 'BAD_REQUEST');
  assert.deepEqual(await ok(bed.api('/api/config')), before);
  assert.equal(bed.store.adminPasswordHash(), hash);
  assert.equal(bed.app.configPatches.length, patches, 'the appliance saw no refused patch');
});

test('config: a tab is a column separator (tab-separated files)', async () => {
  const before = (await ok(bed.api('/api/config'))).csvSeparator;
  assert.equal((await ok(put('/api/config', { csvSeparator: '\t' }))).csvSeparator, '\t');
  await ok(put('/api/config', { csvSeparator: before }));
});

test('users: create, list, get (no PIN), update, and the 409s', async () => {
  const created = await ok(post('/api/users', { id: '1001', name: 'Alice', pin: '2345', callerId: '0561500000' }), 201);
  assert.deepEqual(created, { id: '1001', name: 'Alice', callerId: '0561500000', units: 0, amount: '0.000000' });
  await ok(post('/api/users', { id: '1002', name: '1002', pin: '9876' }), 201);
  const list = await ok(bed.api('/api/users'));
  assert.deepEqual(list.map((u: { id: string }) => u.id), ['1001', '1002']);
  assert.equal(list[1].callerId, '');
  const one = await ok(bed.api('/api/users/1001'));
  assert.deepEqual(one, created);
  assert.doesNotMatch(JSON.stringify(list), /2345|9876|pin/i);

  // params: the variables of the message, for the page to say it in its language
  await refused(post('/api/users', { id: '1001', name: 'X', pin: '1111' }), 409, 'USER_EXISTS', 'id', { id: '1001' });
  await refused(post('/api/users', { id: '1003', name: 'X', pin: '2345' }), 409, 'PIN_IN_USE');
  await refused(post('/api/users', { id: '1003', name: 'X', pin: '1111', callerId: '0561500000' }), 409, 'CALLER_ID_IN_USE', 'callerId', { callerId: '0561500000' });
  assert.equal(bed.store.user('1003'), undefined);

  const renamed = await ok(put('/api/users/1001', { id: '1001', name: 'Alice B.' }));
  assert.equal(renamed.name, 'Alice B.');
  // one refused field refuses the whole update
  await refused(put('/api/users/1001', { name: 'Mallory', pin: '9876' }), 409, 'PIN_IN_USE');
  await refused(put('/api/users/1002', { callerId: '0561500000' }), 409, 'CALLER_ID_IN_USE');
  assert.equal(bed.store.user('1001')?.name, 'Alice B.');
  await ok(put('/api/users/1001', { pin: '5555' }));
  assert.equal(bed.store.userByPin('5555')?.id, '1001');
  assert.equal(bed.store.userByPin('2345'), undefined);
  const cleared = await ok(put('/api/users/1001', { callerId: '' }));
  assert.equal(cleared.callerId, '');
  await ok(put('/api/users/1001', { callerId: '+33561500000' }));
  await refused(bed.api('/api/users/9999'), 404, 'NOT_FOUND');
  await refused(put('/api/users/9999', { name: 'x' }), 404, 'NOT_FOUND');
  await refused(bed.api('/api/users/abc'), 404, 'NOT_FOUND');
});

test('users: invalid input is a 400 naming the field and creates nothing', async () => {
  const count = bed.store.users().length;
  const cases: [unknown, string | undefined][] = [
    [{ id: 'abc', name: 'x', pin: '1234' }, 'id'], [{ id: '1'.repeat(17), name: 'x', pin: '1234' }, 'id'], [{ id: 1004, name: 'x', pin: '1234' }, 'id'],
    [{ id: '1004', name: '', pin: '1234' }, 'name'], [{ id: '1004', name: '   ', pin: '1234' }, 'name'], [{ id: '1004', name: 'x'.repeat(65), pin: '1234' }, 'name'],
    [{ id: '1004', name: 'x\u0000', pin: '1234' }, 'name'],
    [{ id: '1004', name: 'x', pin: '123' }, 'pin'], [{ id: '1004', name: 'x', pin: '1234567890123' }, 'pin'], [{ id: '1004', name: 'x', pin: 'abcd' }, 'pin'],
    [{ id: '1004', name: 'x', pin: 1234 }, 'pin'], [{ id: '1004', name: 'x' }, 'pin'], [{ name: 'x', pin: '1234' }, 'id'],
    [{ id: '1004', name: 'x', pin: '1234', callerId: '05-61' }, 'callerId'], [{ id: '1004', name: 'x', pin: '1234', callerId: '0+5' }, 'callerId'],
    [{ id: '1004', name: 'x', pin: '1234', units: 5 }, 'units'],
  ];
  for (const [body, field] of cases) await refused(post('/api/users', body), 400, 'BAD_REQUEST', field);
  await refused(bed.api('/api/users', { method: 'POST', body: '{"id":', headers: { 'content-type': 'application/json' } }), 400, 'BAD_REQUEST');
  assert.equal(bed.store.users().length, count);
  // name of 64 characters counted as characters, not bytes
  await ok(post('/api/users', { id: '1004', name: 'é'.repeat(64), pin: '4444' }), 201);
  await refused(put('/api/users/1004', { units: 5 }), 400, 'BAD_REQUEST', 'units');
  await refused(put('/api/users/1004', { id: '1005' }), 400, 'BAD_REQUEST', 'id');
  await refused(put('/api/users/1004', { pin: '12' }), 400, 'BAD_REQUEST', 'pin');
  await ok(del('/api/users/1004'), 204);
});

test('users: delete is refused with 409 while the user has a live call', async () => {
  await ok(post('/api/users', { id: '2001', name: 'Busy', pin: '2001' }), 201);
  bed.supervision.set([liveCall({ user: '2001' })]);
  await refused(del('/api/users/2001'), 409, 'USER_BUSY');
  assert.ok(bed.store.user('2001'));
  bed.supervision.set([]);
  await ok(del('/api/users/2001'), 204);
  await refused(bed.api('/api/users/2001'), 404, 'NOT_FOUND');
  await refused(del('/api/users/2001'), 404, 'NOT_FOUND');
});

test('credit: units or an amount in the currency, exactly one, whole units, never below zero', async () => {
  await ok(post('/api/users', { id: '3001', name: 'Credit', pin: '3001' }), 201);
  const a = await ok(post('/api/users/3001/credit', { units: 250000 }));
  assert.equal(a.units, 250000);
  assert.equal(a.amount, '25.000000');
  const b = await ok(post('/api/users/3001/credit', { amount: '25.00' }));
  assert.equal(b.units, 500000);
  const c = await ok(post('/api/users/3001/credit', { amount: '-0,72' }));
  assert.equal(c.units, 492800);
  const d = await ok(post('/api/users/3001/credit', { units: -2800 }));
  assert.equal(d.units, 490000);
  for (const [body, field] of [
    [{ units: 1, amount: '1' }, undefined], [{}, undefined], [{ units: 1.5 }, 'units'], [{ units: '5' }, 'units'],
    [{ amount: '0.00005' }, 'amount'], [{ amount: 'ten' }, 'amount'], [{ amount: '' }, 'amount'], [{ units: 0 }, 'units'],
    [{ units: 1, note: 'x' }, 'note'], [{ units: 1e300 }, 'units'],
  ] as [unknown, string | undefined][]) {
    await refused(post('/api/users/3001/credit', body), 400, 'BAD_REQUEST', field);
  }
  await refused(post('/api/users/3001/credit', { units: -490001 }), 409, 'INSUFFICIENT_CREDIT');
  await refused(post('/api/users/9999/credit', { units: 5 }), 404, 'NOT_FOUND');
  assert.equal(bed.store.user('3001')?.units, 490000);
  assert.equal(bed.store.ledger('3001').length, 4, 'one CREDIT line per accepted credit only');
  assert.deepEqual(bed.app.balanceChanges.filter((id) => id === '3001').length, 4, 'the meter hears of each accepted credit');
  assert.ok(bed.store.ledger('3001').every((l) => l.operation === 'CREDIT'));

  // units live calls have already used cannot be debited away under them
  bed.app.owed.set('3001', 400000);
  await refused(post('/api/users/3001/credit', { units: -90001 }), 409, 'INSUFFICIENT_CREDIT');
  assert.equal(bed.store.user('3001')?.units, 490000);
  assert.equal((await ok(post('/api/users/3001/credit', { units: -90000 }))).units, 400000);
  bed.app.owed.delete('3001');
});

function cdr(o: Partial<Cdr> & { callId: string; endAt: number; offerAt: number }): Cdr {
  return { connectDelay: 1, duration: 0, cost: 0, user: '4001', dialed: '5173', from: '0561500009', cause: 'normal', ...o };
}

test('ledger: the seed statement, dates in the box timezone, amounts at 6 decimals with a dot', async () => {
  await ok(post('/api/users', { id: '4001', name: '1001', pin: '4001' }), 201);
  bed.store.credit('4001', 250000, at('20120413_092322'));
  const calls: [string, number, number][] = [['20120413_094322', 20, 0], ['20120413_094615', 40, 7200], ['20120413_094730', 39, 7020]];
  calls.forEach(([stamp, duration, units], i) => {
    const end = at(stamp);
    bed.store.settle({
      callId: `L${i}`, userId: '4001', units, at: end, dialed: '5173', duration,
      cdr: cdr({ callId: `L${i}`, endAt: end, offerAt: end - (duration + 3) * 1000, duration, cost: units }),
    });
  });
  const ledger = await ok(bed.api('/api/users/4001/ledger'));
  assert.deepEqual(ledger, {
    lines: [
      { date: '20120413_092322', operation: 'CREDIT', dialed: '', duration: null, units: 250000, amount: '25.000000' },
      { date: '20120413_094322', operation: 'CALL', dialed: '5173', duration: 20, units: 0, amount: '0.000000' },
      { date: '20120413_094615', operation: 'CALL', dialed: '5173', duration: 40, units: -7200, amount: '-0.720000' },
      { date: '20120413_094730', operation: 'CALL', dialed: '5173', duration: 39, units: -7020, amount: '-0.702000' },
    ],
    total: { units: 235780, amount: '23.578000' },
  });
  assert.equal((await ok(bed.api('/api/users/4001'))).units, 235780);
  await refused(bed.api('/api/users/9999/ledger'), 404, 'NOT_FOUND');
});

test('DIDs: map replaced as a whole; a DID belongs to one user (409); bad maps are 400', async () => {
  await ok(post('/api/users', { id: '5001', name: 'Did', pin: '5001' }), 201);
  await ok(post('/api/users', { id: '5002', name: 'Other', pin: '5002' }), 201);
  assert.deepEqual(await ok(bed.api('/api/users/5001/dids')), []);
  const map = [{ did: '0561500001', to: '0141587070' }, { did: '0561500002', to: '+33141587075' }];
  const saved = await ok(put('/api/users/5001/dids', map));
  assert.deepEqual(new Set(saved.map((d: { did: string }) => d.did)), new Set(['0561500001', '0561500002']));
  assert.deepEqual(bed.store.didRoute('0561500002'), { userId: '5001', to: '+33141587075' });
  await refused(put('/api/users/5002/dids', [{ did: '0561500003', to: '1' }, { did: '0561500001', to: '2' }]), 409, 'DID_IN_USE', 'did', { did: '0561500001', user: '5001' });
  assert.deepEqual(await ok(bed.api('/api/users/5002/dids')), [], 'nothing of the refused map was kept');
  for (const body of [{ did: '1', to: '2' }, [{ did: '1' }], [{ did: 'x', to: '2' }], [{ did: '1', to: '2', via: 'x' }], [{ did: '1', to: '2' }, { did: '1', to: '3' }], [null], 'x']) {
    await refused(put('/api/users/5002/dids', body), 400, 'BAD_REQUEST');
  }
  await refused(put('/api/users/9999/dids', []), 404, 'NOT_FOUND');
  assert.deepEqual(await ok(put('/api/users/5001/dids', [])), []);
  assert.equal(bed.store.didRoute('0561500001'), undefined);
});

test('costs: list, put (rebuilds the rate table), delete; DEFAULT stays; bad rows are 400', async () => {
  const initial = await ok(bed.api('/api/costs'));
  assert.deepEqual(initial, [{ prefix: 'DEFAULT', h1: 200, h2Begin: '00:00', h2End: '00:00', h2: 0, increment: 1, setup: 0 }]);
  const n = bed.app.costsChangedCount;
  const row = await ok(put('/api/costs/38', { h1: 180, h2Begin: '20:00', h2End: '08:00', h2: 90 }));
  assert.deepEqual(row, { prefix: '38', h1: 180, h2Begin: '20:00', h2End: '08:00', h2: 90, increment: 1, setup: 0 });
  assert.equal(bed.app.costsChangedCount, n + 1);
  await ok(put('/api/costs/42', { prefix: '42', h1: 250, increment: 60, setup: 100 }));
  await ok(put('/api/costs/DEFAULT', { h1: 210 }));
  const list = await ok(bed.api('/api/costs'));
  assert.deepEqual(list.map((r: { prefix: string }) => r.prefix), ['DEFAULT', '38', '42']);
  assert.equal(list[0].h1, 210);
  const changes = bed.app.costsChangedCount;
  for (const [path, body, field] of [
    ['/api/costs/38', { h1: -1 }, 'h1'], ['/api/costs/38', { h1: 1.5 }, 'h1'], ['/api/costs/38', {}, 'h1'],
    ['/api/costs/38', { h1: 5, h2Begin: '25:00' }, 'h2Begin'], ['/api/costs/38', { h1: 5, increment: 0 }, 'increment'],
    ['/api/costs/38', { h1: 5, prefix: '39' }, 'prefix'], ['/api/costs/38', { h1: 5, rate: 1 }, 'rate'],
    ['/api/costs/3a', { h1: 5 }, 'prefix'],
  ] as [string, unknown, string][]) {
    await refused(put(path, body), 400, 'BAD_REQUEST', field);
  }
  assert.equal(bed.app.costsChangedCount, changes);
  assert.deepEqual(await ok(bed.api('/api/costs')), list);
  await refused(del('/api/costs/DEFAULT'), 400, 'NOT_ALLOWED');
  await refused(del('/api/costs/99'), 404, 'NOT_FOUND');
  await ok(del('/api/costs/42'), 204);
  assert.equal(bed.app.costsChangedCount, changes + 1);
  assert.deepEqual((await ok(bed.api('/api/costs'))).map((r: { prefix: string }) => r.prefix), ['DEFAULT', '38']);
});

test('cdrs: a call settled at its last checkpoint is marked recovered; others carry no such key', async () => {
  bed.store.recordCdr(cdr({ callId: 'REC1', endAt: at('20100105_100000'), offerAt: at('20100105_095900'), recovered: true }));
  bed.store.recordCdr(cdr({ callId: 'REC2', endAt: at('20100105_100001'), offerAt: at('20100105_095900') }));
  const got = await ok(bed.api('/api/cdrs?from=20100105_000000&to=20100105_235959'));
  assert.deepEqual(got.cdrs.map((c: { callId: string; recovered?: boolean }) => [c.callId, c.recovered]), [['REC2', undefined], ['REC1', true]]);
  assert.equal('recovered' in got.cdrs[0], false);
});

test('calls: the supervision list as is', async () => {
  bed.supervision.set([liveCall(), liveCall({ callId: 'A2', caller: '5172', user: '1002' })]);
  const calls = await ok(bed.api('/api/calls'));
  assert.deepEqual(calls, bed.supervision.list());
  bed.supervision.set([]);
  assert.deepEqual(await ok(bed.api('/api/calls')), []);
});

test('cdrs: newest first, seed columns, paging with limit/before, from/to as stamps or Unix seconds', async () => {
  const rows: [string, number, number, number, string, string, string][] = [
    ['20120403_152503', 1333459492, 3, 600, '6001', '5173', 'A12040315245291803'],
    ['20120412_102901', 1334219320, 13, 2600, '6001', '5173', 'A12041210284043801'],
    ['20120412_103209', 1334219410, 113, 22600, '6002', '3000', 'A12041210301046701'],
    ['20120412_103222', 1334219473, 65, 13000, '6001', '3000', 'A12041210311334803'],
  ];
  await ok(post('/api/users', { id: '6001', name: 'c1', pin: '6001' }), 201);
  await ok(post('/api/users', { id: '6002', name: 'c2', pin: '6002' }), 201);
  bed.store.credit('6001', 1_000_000, at('20120401_000000'));
  bed.store.credit('6002', 1_000_000, at('20120401_000000'));
  for (const [stamp, ts, duration, cost, user, dialed, callId] of rows) {
    const endAt = at(stamp) + 500; // mid-second: `to` must cover its whole second
    bed.store.settle({ callId, userId: user, units: cost, at: endAt, dialed, duration, cdr: cdr({ callId, endAt, offerAt: ts * 1000, duration, cost, user, dialed }) });
  }
  const range = 'from=20120401_000000&to=20120413_000000'; // the ledger test's calls are on the 13th
  const all = await ok(bed.api(`/api/cdrs?${range}`));
  assert.equal(all.next, null);
  assert.deepEqual(all.cdrs[0], { date: '20120412_103222', timestamp: 1334219473, connectDelay: 1, duration: 65, cost: 13000, user: '6001', dialed: '3000', callId: 'A12041210311334803' });
  assert.deepEqual(all.cdrs.map((c: { callId: string }) => c.callId), rows.map((r) => r[6]).reverse());

  const p1 = await ok(bed.api(`/api/cdrs?${range}&limit=3`));
  assert.equal(p1.cdrs.length, 3);
  assert.equal(typeof p1.next, 'string');
  const p2 = await ok(bed.api(`/api/cdrs?${range}&limit=3&before=${encodeURIComponent(p1.next)}`));
  assert.deepEqual(p2.cdrs.map((c: { callId: string }) => c.callId), ['A12040315245291803']);
  assert.equal(p2.next, null);

  const unix = await ok(bed.api(`/api/cdrs?from=${1334219320 + 100}&to=${Math.floor(at('20120412_103209') / 1000)}`));
  assert.deepEqual(unix.cdrs.map((c: { callId: string }) => c.callId), ['A12041210301046701']);
  const april12 = await ok(bed.api('/api/cdrs?from=20120412_000000&to=20120412_235959'));
  assert.equal(april12.cdrs.length, 3);
  const exact = await ok(bed.api('/api/cdrs?from=20120412_103222&to=20120412_103222'));
  assert.deepEqual(exact.cdrs.map((c: { callId: string }) => c.callId), ['A12041210311334803'], 'to names a whole second');

  for (const [q, field] of [['limit=0', 'limit'], ['limit=1001', 'limit'], ['limit=abc', 'limit'], ['from=yesterday', 'from'], ['to=20121340_000000', 'to'],
    ['from=20120501_000000&to=20120401_000000', 'from'], ['before=garbage', 'before']]) {
    await refused(bed.api(`/api/cdrs?${q}`), 400, 'BAD_REQUEST', field);
  }
});

test('routing: unknown endpoints 404, wrong methods 405 with Allow, HEAD has no body', async () => {
  await refused(bed.api('/api/nothing'), 404, 'NOT_FOUND');
  const r = await bed.api('/api/users/1001/credit');
  assert.equal(r.status, 405);
  assert.equal(r.headers.get('allow'), 'POST');
  assert.equal((await r.json()).code, 'NOT_ALLOWED');
  const head = await bed.api('/api/users', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
  assert.equal((await bed.api('/api/users', { method: 'PATCH', json: {} })).status, 405);
});

test('bodies over 64 KB are refused with 413, declared or chunked, and change nothing', async () => {
  const big = JSON.stringify({ id: '8001', name: 'x', pin: '8001', pad: 'x'.repeat(70 * 1024) });
  await refused(post('/api/users', JSON.parse(big)), 413, 'PAYLOAD_TOO_LARGE');
  const chunk = 'x'.repeat(16 * 1024);
  let chunked = `POST /api/users HTTP/1.1\r\nHost: x\r\nAuthorization: ${BASIC}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
  for (let i = 0; i < 6; i++) chunked += `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
  chunked += '0\r\n\r\n';
  const answer = await rawRequest(bed.server.port, chunked);
  assert.equal(rawStatus(answer), 413, answer.slice(0, 200));
  assert.equal(bed.store.user('8001'), undefined);
  // exactly 64 KB is still read (and refused for what it is, not for its size)
  const edge = JSON.stringify({ id: '8001', name: 'x', pin: '8001', pad: '' });
  const padded = edge.replace('"pad":""', `"pad":"${'x'.repeat(64 * 1024 - edge.length)}"`);
  assert.equal(Buffer.byteLength(padded), 64 * 1024);
  await refused(bed.api('/api/users', { method: 'POST', body: padded, headers: { 'content-type': 'application/json' } }), 400, 'BAD_REQUEST', 'pad');
  // the server still answers afterwards
  await ok(bed.api('/api/users'));
});

test('a rate deck upload may exceed 64 KB (up to 16 MB); other routes may not', async () => {
  const body = 'x'.repeat(200 * 1024);
  const deck = await bed.api('/api/costs.csv', { method: 'PUT', body, headers: { 'content-type': 'text/csv' } });
  assert.notEqual(deck.status, 413);
  const other = await bed.api('/api/costs/38', { method: 'PUT', body, headers: { 'content-type': 'application/json' } });
  assert.equal(other.status, 413);
});
