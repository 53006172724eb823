import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { AppError } from '../errors.ts';
import { setLogSink } from '../log.ts';
import { SEED_DEFAULT_ROW } from '../rating/index.ts';
import { DEFAULT_CONFIG, Store } from './store.ts';
import { cdrOf, freshStore, openCallOf, settlementOf } from './test-support.ts';

const T0 = 1_700_000_000_000;

function rejects(fn: () => unknown, code: string, field?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AppError, `expected AppError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (field !== undefined) assert.equal(e.field, field);
    return true;
  });
}

/** Everything observable, to prove a rejected change changed nothing. */
function snapshot(s: Store) {
  return {
    config: s.config(),
    users: s.users(),
    ledgers: s.users().map((u) => s.ledger(u.id)),
    dids: s.users().map((u) => s.dids(u.id)),
    costs: s.costs(),
    cdrs: s.cdrs({ limit: 1000 }),
    open: s.openCalls(),
    archives: s.archives(),
    admin: s.adminPasswordHash(),
  };
}

describe('fresh store', () => {
  it('holds the seed defaults, one DEFAULT row, no users and no admin password', async () => {
    const { store, dir, done } = freshStore();
    try {
      // the seed's General parameters screen, as interfaces.md names its defaults
      const c = store.config();
      assert.equal(c.webPort, 8078);
      assert.equal(c.language, 'fr');
      assert.equal(c.ivrDid, '6000');
      assert.equal(`${c.engineAddress}:${c.enginePort}`, '127.0.0.1:15749');
      assert.equal(c.engineTimeout, 2);
      assert.equal(c.timezone, 'Europe/Paris');
      assert.equal(c.currency, 'Euros');
      assert.equal(c.unitPrice, '0.0001'); // shown as 0,000100
      // empty or unticked on that screen: no default calling address, not forced, service log on, no separator (`;`)
      assert.deepEqual([c.defaultCallingAddress, c.defaultCallingForced, c.serviceLog, c.csvSeparator], ['', false, true, '']);
      // not on the seed screen: the credit warning 60 s before the cut, billing closed by hand only
      assert.deepEqual([c.warningSeconds, c.billingSchedule], [60, '']);
      assert.deepEqual(store.costs(), [
        { prefix: 'DEFAULT', h1: 200, h2Begin: '00:00', h2End: '00:00', h2: 0, increment: 1, setup: 0 },
      ]);
      assert.deepEqual(store.users(), []);
      assert.equal(store.adminPasswordHash(), null);
      assert.deepEqual(store.archives(), []);
      assert.deepEqual(store.openCalls(), []);
      assert.deepEqual(store.cdrs({}), { cdrs: [], next: null });
      assert.equal(statSync(dir).mode & 0o777, 0o700);
    } finally {
      await done();
    }
  });

  it('creates a missing data directory (and its parents) with mode 0700', async () => {
    const { dir, done } = freshStore();
    const nested = `${dir}/a.b/data`;
    const s = Store.open(nested);
    try {
      assert.equal(statSync(nested).mode & 0o777, 0o700);
      assert.equal(statSync(nested).isDirectory(), true);
      assert.equal(s.config().webPort, 8078);
    } finally {
      await s.close();
      await done();
    }
  });
});

describe('general parameters', () => {
  it('updateConfig merges a partial patch, canonicalises it and returns the whole config', async () => {
    const { store, done } = freshStore();
    try {
      const c = store.updateConfig({ language: 'EN' as 'en', unitPrice: '0,0002', csvSeparator: ',', warningSeconds: 0 });
      assert.equal(c.language, 'en');
      assert.equal(c.unitPrice, '0.0002');
      assert.equal(c.csvSeparator, ',');
      assert.equal(c.warningSeconds, 0);
      assert.equal(c.webPort, 8078);
      assert.deepEqual(store.config(), c);
      store.updateConfig({ billingSchedule: '0 0 1 * *', timezone: 'America/New_York' });
      assert.equal(store.config().billingSchedule, '0 0 1 * *');
      assert.equal(store.config().language, 'en');
    } finally {
      await done();
    }
  });

  it('refuses a bad value with its field and changes nothing', async () => {
    const { store, done } = freshStore();
    try {
      const before = store.config();
      const cases: [Record<string, unknown>, string][] = [
        [{ webPort: 0 }, 'webPort'],
        [{ enginePort: 70000 }, 'enginePort'],
        [{ language: 'de' }, 'language'],
        [{ timezone: 'Mars/Olympus' }, 'timezone'],
        [{ unitPrice: '0' }, 'unitPrice'],
        [{ unitPrice: 'abc' }, 'unitPrice'],
        [{ billingSchedule: 'every day' }, 'billingSchedule'],
        [{ ivrDid: '60a0' }, 'ivrDid'],
        [{ serviceLog: 'yes' }, 'serviceLog'],
        [{ csvSeparator: '"' }, 'csvSeparator'],
        [{ currency: '' }, 'currency'],
        [{ engineTimeout: 0 }, 'engineTimeout'],
        [{ adminPassword: 'x' }, 'adminPassword'],
        // a good value alongside a bad one is not applied either
        [{ webPort: 9000, language: 'xx' }, 'language'],
      ];
      for (const [patch, field] of cases) rejects(() => store.updateConfig(patch as never), 'BAD_REQUEST', field);
      assert.deepEqual(store.config(), before);
    } finally {
      await done();
    }
  });

  it('refuses an IVR number that is already a user DID', async () => {
    const { store, done } = freshStore();
    try {
      store.createUser({ id: '1001', name: 'A', pin: '1234' });
      store.setDids('1001', [{ did: '0561500001', to: '0141587070' }]);
      rejects(() => store.updateConfig({ ivrDid: '0561500001' }), 'DID_IN_USE', 'ivrDid');
      assert.equal(store.config().ivrDid, '6000');
    } finally {
      await done();
    }
  });

  it('keeps the admin password hash and meta values', async () => {
    const { store, done } = freshStore();
    try {
      store.setAdminPasswordHash('scrypt$abc$def');
      assert.equal(store.adminPasswordHash(), 'scrypt$abc$def');
      store.setAdminPasswordHash(null);
      assert.equal(store.adminPasswordHash(), null);
      rejects(() => store.setAdminPasswordHash(''), 'BAD_REQUEST');

      assert.equal(store.meta('lastClose'), undefined);
      const v = { at: T0, name: 'BILLING_x' };
      store.setMeta('lastClose', v);
      v.at = 0; // the store kept its own copy
      assert.deepEqual(store.meta('lastClose'), { at: T0, name: 'BILLING_x' });
      const got = store.meta('lastClose') as { at: number };
      got.at = 1;
      assert.deepEqual(store.meta('lastClose'), { at: T0, name: 'BILLING_x' });
      store.setMeta('lastClose', undefined);
      assert.equal(store.meta('lastClose'), undefined);
      // caller keys cannot reach the store's own meta (the billing period here)
      store.createUser({ id: '1', name: 'A', pin: '1234' });
      store.credit('1', 5, T0);
      store.setMeta('period', 99);
      store.setMeta('secret', 'x');
      assert.deepEqual(store.ledger('1').map((l) => l.units), [5]);
      assert.equal(store.userByPin('1234')?.id, '1');
      rejects(() => store.setMeta('x', () => 1), 'BAD_REQUEST');
    } finally {
      await done();
    }
  });
});

describe('users', () => {
  it('creates users found by id, PIN and Caller ID, listed in id order', async () => {
    const { store, done } = freshStore();
    try {
      const u = store.createUser({ id: '1002', name: 'Bob', pin: '2345', callerId: '+33561500000' });
      assert.deepEqual(u, { id: '1002', name: 'Bob', callerId: '+33561500000', units: 0 });
      store.createUser({ id: '1001', name: 'Alice', pin: '5432' });
      store.createUser({ id: '999', name: 'Zoé', pin: '99999' });
      assert.deepEqual(store.users().map((x) => x.id), ['999', '1001', '1002']);
      assert.deepEqual(store.user('1002'), u);
      assert.equal(store.user('1003'), undefined);
      assert.equal(store.userByPin('2345')?.id, '1002');
      assert.equal(store.userByPin('5432')?.id, '1001');
      assert.equal(store.userByPin('0000'), undefined);
      assert.equal(store.userByPin('12'), undefined);
      assert.equal(store.userByCallerId('+33561500000')?.id, '1002');
      assert.equal(store.userByCallerId(''), undefined);
      assert.equal(store.user('1001')?.callerId, '');
    } finally {
      await done();
    }
  });

  it('refuses invalid fields (with the field) and duplicates, changing nothing', async () => {
    const { store, done } = freshStore();
    try {
      store.createUser({ id: '1001', name: 'Alice', pin: '1234', callerId: '0561500000' });
      const before = snapshot(store);
      const bad: [Record<string, unknown>, string][] = [
        [{ id: '', name: 'x', pin: '1234' }, 'id'],
        [{ id: '12345678901234567', name: 'x', pin: '1234' }, 'id'],
        [{ id: '10a1', name: 'x', pin: '1234' }, 'id'],
        [{ id: '2', name: '', pin: '1234' }, 'name'],
        [{ id: '2', name: 'x'.repeat(65), pin: '1234' }, 'name'],
        [{ id: '2', name: 'a\nb', pin: '1234' }, 'name'],
        [{ id: '2', name: 'x', pin: '123' }, 'pin'],
        [{ id: '2', name: 'x', pin: '1234567890123' }, 'pin'],
        [{ id: '2', name: 'x', pin: '12a4' }, 'pin'],
        [{ id: '2', name: 'x', pin: '4321', callerId: '05-61' }, 'callerId'],
        [{ id: '2', name: 'x', pin: '4321', callerId: '+' }, 'callerId'],
        [{ id: '2', name: 'x', pin: '4321', callerId: '1'.repeat(21) }, 'callerId'],
      ];
      for (const [u, field] of bad) rejects(() => store.createUser(u as never), 'BAD_REQUEST', field);
      rejects(() => store.createUser({ id: '1001', name: 'x', pin: '9999' }), 'USER_EXISTS', 'id');
      rejects(() => store.createUser({ id: '1002', name: 'x', pin: '1234' }), 'PIN_IN_USE', 'pin');
      rejects(() => store.createUser({ id: '1002', name: 'x', pin: '9999', callerId: '0561500000' }), 'CALLER_ID_IN_USE', 'callerId');
      assert.deepEqual(snapshot(store), before);
      assert.equal(store.userByPin('9999'), undefined);
      // the limits themselves are fine
      store.createUser({ id: '1234567890123456', name: 'é'.repeat(64), pin: '123456789012', callerId: '+' + '1'.repeat(19) });
      assert.equal(store.users().length, 2);
    } finally {
      await done();
    }
  });

  it('updates name, PIN and Caller ID, moving the lookups', async () => {
    const { store, done } = freshStore();
    try {
      store.createUser({ id: '1001', name: 'Alice', pin: '1234', callerId: '111' });
      store.createUser({ id: '1002', name: 'Bob', pin: '5678', callerId: '222' });
      const u = store.updateUser('1001', { name: 'Alicia', pin: '4321', callerId: '333' });
      assert.deepEqual(u, { id: '1001', name: 'Alicia', callerId: '333', units: 0 });
      assert.equal(store.userByPin('1234'), undefined);
      assert.equal(store.userByPin('4321')?.id, '1001');
      assert.equal(store.userByCallerId('111'), undefined);
      assert.equal(store.userByCallerId('333')?.id, '1001');
      store.updateUser('1001', { pin: '4321' }); // its own PIN again is no conflict
      store.updateUser('1001', { callerId: '' });
      assert.equal(store.userByCallerId('333'), undefined);
      assert.equal(store.user('1001')?.callerId, '');

      const before = snapshot(store);
      rejects(() => store.updateUser('1001', { pin: '5678' }), 'PIN_IN_USE', 'pin');
      rejects(() => store.updateUser('1001', { name: 'x', callerId: '222' }), 'CALLER_ID_IN_USE', 'callerId');
      rejects(() => store.updateUser('1001', { name: '' }), 'BAD_REQUEST', 'name');
      rejects(() => store.updateUser('1001', { units: 5 } as never), 'BAD_REQUEST', 'units');
      rejects(() => store.updateUser('9', { name: 'x' }), 'NOT_FOUND');
      assert.deepEqual(snapshot(store), before);
      assert.equal(store.userByPin('4321')?.id, '1001');
    } finally {
      await done();
    }
  });

  it('deletes a user with its lookups, DIDs and statement, not while a call is open', async () => {
    const { store, done } = freshStore();
    try {
      store.createUser({ id: '1001', name: 'Alice', pin: '1234', callerId: '111' });
      store.credit('1001', 500, T0);
      store.setDids('1001', [{ did: '0561500001', to: '0141587070' }]);
      store.journal(openCallOf('A1', '1001'));
      rejects(() => store.deleteUser('1001'), 'USER_BUSY');
      assert.equal(store.user('1001')?.units, 500);
      store.recordCdr(cdrOf('A1', '1001', T0 + 1000));
      store.deleteUser('1001');
      assert.equal(store.user('1001'), undefined);
      assert.equal(store.userByPin('1234'), undefined);
      assert.equal(store.userByCallerId('111'), undefined);
      assert.equal(store.didRoute('0561500001'), undefined);
      rejects(() => store.ledger('1001'), 'NOT_FOUND');
      rejects(() => store.deleteUser('1001'), 'NOT_FOUND');
      // the same id, PIN and DID can be used again, with an empty statement
      store.createUser({ id: '1001', name: 'New', pin: '1234', callerId: '111' });
      assert.deepEqual(store.ledger('1001'), []);
      store.setDids('1001', [{ did: '0561500001', to: '1' }]);
    } finally {
      await done();
    }
  });

  it('never keeps the PIN in clear on disk', async () => {
    const { store, dir, done } = freshStore();
    try {
      store.createUser({ id: '1001', name: 'Alice', pin: '918273645546' });
      store.updateUser('1001', { pin: '564738291029' });
      await store.flushed();
      const { readFileSync } = await import('node:fs');
      const file = readFileSync(`${dir}/data.mdb`);
      assert.equal(file.includes('918273645546'), false);
      assert.equal(file.includes('564738291029'), false);
      assert.ok(file.includes('Alice'), 'the file is the one holding the users');
      assert.equal(store.userByPin('564738291029')?.id, '1001');
    } finally {
      await done();
    }
  });
});

describe('credit and statement', () => {
  it('adds and removes units with CREDIT lines, never below zero', async () => {
    const { store, done } = freshStore();
    try {
      store.createUser({ id: '1001', name: 'A', pin: '1234' });
      assert.equal(store.credit('1001', 250000, T0).units, 250000);
      assert.equal(store.credit('1001', -50000, T0 + 1000).units, 200000);
      const before = snapshot(store);
      rejects(() => store.credit('1001', -200001, T0 + 2000), 'INSUFFICIENT_CREDIT');
      rejects(() => store.credit('1001', 1.5, T0), 'BAD_REQUEST', 'units');
      rejects(() => store.credit('1001', Number.MAX_SAFE_INTEGER, T0), 'BAD_REQUEST', 'units');
      rejects(() => store.credit('1001', 5, -1), 'BAD_REQUEST', 'at');
      rejects(() => store.credit('42', 5, T0), 'NOT_FOUND');
      assert.deepEqual(snapshot(store), before);
      assert.equal(store.credit('1001', -200000, T0 + 3000).units, 0);
      assert.deepEqual(store.ledger('1001'), [
        { at: T0, operation: 'CREDIT', dialed: '', duration: null, units: 250000 },
        { at: T0 + 1000, operation: 'CREDIT', dialed: '', duration: null, units: -50000 },
        { at: T0 + 3000, operation: 'CREDIT', dialed: '', duration: null, units: -200000 },
      ]);
    } finally {
      await done();
    }
  });

  it('orders the statement by time, then by order of writing', async () => {
    const { store, done } = freshStore();
    try {
      store.createUser({ id: '1001', name: 'A', pin: '1234' });
      store.createUser({ id: '10011', name: 'B', pin: '4321' });
      store.credit('1001', 3, T0 + 3000);
      store.credit('1001', 1, T0 + 1000);
      store.credit('10011', 7, T0 + 2000); // another user whose id shares the prefix
      store.credit('1001', 2, T0 + 1000);
      assert.deepEqual(store.ledger('1001').map((l) => l.units), [1, 2, 3]);
      await store.flushed();
      store.credit('1001', 4, T0 + 2000); // pending merged between committed lines
      assert.deepEqual(store.ledger('1001').map((l) => l.units), [1, 2, 4, 3]);
      assert.deepEqual(store.ledger('10011').map((l) => l.units), [7]);
    } finally {
      await done();
    }
  });

  it('shows every write to the next read, before and after it reaches disk', async () => {
    const { store, done } = freshStore();
    try {
      store.createUser({ id: '1001', name: 'A', pin: '1234' });
      let flushedSeen = false;
      const f = store.flushed().then(() => (flushedSeen = true));
      for (let i = 1; i <= 50; i++) {
        assert.equal(store.credit('1001', 10, T0 + i).units, 10 * i);
        assert.equal(store.user('1001')?.units, 10 * i);
        assert.equal(store.ledger('1001').length, i);
      }
      assert.equal(flushedSeen, false); // all of the above was served before any commit was reported
      await f;
      await store.flushed();
      assert.equal((store as unknown as { pending: { size(): number } }).pending.size(), 0);
      assert.equal(store.user('1001')?.units, 500);
      assert.equal(store.ledger('1001').length, 50);
    } finally {
      await done();
    }
  });
});

describe('DID map', () => {
  it('sets, lists in order, routes and replaces a user DID map', async () => {
    const { store, done } = freshStore();
    try {
      store.createUser({ id: '1001', name: 'A', pin: '1234' });
      store.createUser({ id: '1002', name: 'B', pin: '4321' });
      const map = [
        { did: '0561500003', to: '0141587077' },
        { did: '0561500001', to: '0141587070' },
        { did: '+33561500002', to: '+33141587075' },
      ];
      store.setDids('1001', map);
      assert.deepEqual(store.dids('1001'), map);
      assert.deepEqual(store.didRoute('0561500001'), { userId: '1001', to: '0141587070' });
      assert.equal(store.didRoute('0561509999'), undefined);
      store.setDids('1001', [{ did: '0561500001', to: '0141591190' }]);
      assert.deepEqual(store.dids('1001'), [{ did: '0561500001', to: '0141591190' }]);
      assert.equal(store.didRoute('0561500003'), undefined);
      assert.deepEqual(store.dids('1002'), []);
      store.setDids('1002', [{ did: '0561500003', to: '1' }]); // freed by 1001
      assert.equal(store.didRoute('0561500003')?.userId, '1002');
      store.setDids('1002', []);
      assert.deepEqual(store.dids('1002'), []);
    } finally {
      await done();
    }
  });

  it('refuses another user DID, the IVR number, duplicates and bad numbers, changing nothing', async () => {
    const { store, done } = freshStore();
    try {
      store.createUser({ id: '1001', name: 'A', pin: '1234' });
      store.createUser({ id: '1002', name: 'B', pin: '4321' });
      store.setDids('1001', [{ did: '0561500001', to: '0141587070' }]);
      store.setDids('1002', [{ did: '0561500009', to: '1' }]);
      const before = snapshot(store);
      rejects(() => store.setDids('1002', [{ did: '0561500001', to: '2' }]), 'DID_IN_USE', 'did');
      rejects(() => store.setDids('1002', [{ did: '6000', to: '2' }]), 'BAD_REQUEST', 'did');
      rejects(() => store.setDids('1002', [{ did: '7', to: '2' }, { did: '7', to: '3' }]), 'BAD_REQUEST', 'did');
      rejects(() => store.setDids('1002', [{ did: '7a', to: '2' }]), 'BAD_REQUEST', 'did');
      rejects(() => store.setDids('1002', [{ did: '7', to: '' }]), 'BAD_REQUEST', 'to');
      rejects(() => store.setDids('1002', 'x' as never), 'BAD_REQUEST');
      rejects(() => store.setDids('1003', []), 'NOT_FOUND');
      rejects(() => store.dids('1003'), 'NOT_FOUND');
      assert.deepEqual(snapshot(store), before);
    } finally {
      await done();
    }
  });
});

describe('cost rows', () => {
  it('puts, lists (DEFAULT first), deletes and replaces rows', async () => {
    const { store, done } = freshStore();
    try {
      store.putCost({ prefix: '42', h1: 250, h2Begin: '00:00', h2End: '00:00', h2: 0, increment: 1, setup: 0 });
      store.putCost({ prefix: '38', h1: 180, h2Begin: '20:00', h2End: '08:00', h2: 90, increment: 60, setup: 100 });
      store.putCost({ ...SEED_DEFAULT_ROW, h1: 210 });
      assert.deepEqual(store.costs().map((r) => [r.prefix, r.h1]), [['DEFAULT', 210], ['38', 180], ['42', 250]]);
      assert.equal(store.costs()[1].h2Begin, '20:00');
      store.deleteCost('42');
      assert.deepEqual(store.costs().map((r) => r.prefix), ['DEFAULT', '38']);
      rejects(() => store.deleteCost('DEFAULT'), 'NOT_ALLOWED');
      rejects(() => store.deleteCost('42'), 'NOT_FOUND');
      store.replaceCosts([
        { prefix: '33', h1: 1, h2Begin: '00:00', h2End: '00:00', h2: 0, increment: 1, setup: 0 },
        { prefix: '34', h1: 2, h2Begin: '00:00', h2End: '00:00', h2: 0, increment: 1, setup: 0 },
      ]);
      assert.deepEqual(store.costs().map((r) => [r.prefix, r.h1]), [['DEFAULT', 210], ['33', 1], ['34', 2]]);
      store.replaceCosts([{ ...SEED_DEFAULT_ROW, h1: 5 }]);
      assert.deepEqual(store.costs().map((r) => [r.prefix, r.h1]), [['DEFAULT', 5]]);
    } finally {
      await done();
    }
  });

  it('replaces a big table in one change', async () => {
    const { store, done } = freshStore();
    try {
      const row = (prefix: string, h1: number) => ({ prefix, h1, h2Begin: '00:00', h2End: '00:00', h2: 0, increment: 1, setup: 0 });
      store.replaceCosts(Array.from({ length: 40 }, (_, i) => row(String(100 + i), i)));
      store.replaceCosts(Array.from({ length: 40 }, (_, i) => row(String(120 + i), 1000 + i))); // half kept, half new
      const got = store.costs();
      assert.equal(got.length, 41);
      assert.deepEqual(got.slice(1).map((r) => [r.prefix, r.h1]), Array.from({ length: 40 }, (_, i) => [String(120 + i), 1000 + i]));
      await store.flushed();
      assert.equal(store.costs().length, 41);
    } finally {
      await done();
    }
  });

  it('refuses bad rows and a table with a prefix twice, changing nothing', async () => {
    const { store, done } = freshStore();
    try {
      store.putCost({ prefix: '38', h1: 180, h2Begin: '00:00', h2End: '00:00', h2: 0, increment: 1, setup: 0 });
      const before = snapshot(store);
      const row = { prefix: '39', h1: 1, h2Begin: '00:00', h2End: '00:00', h2: 0, increment: 1, setup: 0 };
      rejects(() => store.putCost({ ...row, prefix: '3x' }), 'BAD_REQUEST', 'prefix');
      rejects(() => store.putCost({ ...row, h1: -1 }), 'BAD_REQUEST', 'h1');
      rejects(() => store.putCost({ ...row, increment: 0 }), 'BAD_REQUEST', 'increment');
      rejects(() => store.replaceCosts([row, row]), 'BAD_REQUEST', 'prefix');
      rejects(() => store.replaceCosts([row, { ...row, prefix: '40', h2Begin: '25:00' }]), 'BAD_REQUEST', 'h2Begin');
      assert.deepEqual(snapshot(store), before);
    } finally {
      await done();
    }
  });
});

describe('open-call journal', () => {
  it('journals calls, checkpoints them in one write and forgets them when settled', async () => {
    const { store, done } = freshStore();
    try {
      store.createUser({ id: '1001', name: 'A', pin: '1234' });
      store.credit('1001', 10000, T0);
      store.journal(openCallOf('A1', '1001', { connectedAt: null }));
      store.journal(openCallOf('A 2/é', '1001')); // opaque ids with any characters
      store.journal(openCallOf('A1', '1001')); // CONNECTED rewrites the DIAL entry
      assert.deepEqual(store.openCalls().map((c) => [c.callId, c.connectedAt, c.checkpointAt]).sort(), [
        ['A 2/é', T0 + 10_000, null],
        ['A1', T0 + 10_000, null],
      ]);
      store.checkpoint(T0 + 11_000, ['A1', 'A 2/é', 'unknown']);
      store.checkpoint(T0 + 12_000, ['A1']);
      const byId = new Map(store.openCalls().map((c) => [c.callId, c]));
      assert.equal(byId.get('A1')?.checkpointAt, T0 + 12_000);
      assert.equal(byId.get('A 2/é')?.checkpointAt, T0 + 11_000);
      assert.deepEqual(byId.get('A1')?.row, SEED_DEFAULT_ROW);
      assert.equal(store.openCalls().length, 2); // 'unknown' was not journaled by the checkpoint
      store.settle(settlementOf('A1', '1001', 400, T0 + 13_000));
      assert.deepEqual(store.openCalls().map((c) => c.callId), ['A 2/é']);
      store.journal(openCallOf('A1', '1001')); // a late write cannot resurrect a settled call
      assert.deepEqual(store.openCalls().map((c) => c.callId), ['A 2/é']);
      rejects(() => store.journal(openCallOf('', '1001')), 'BAD_REQUEST', 'callId');
      rejects(() => store.journal(openCallOf('x'.repeat(65), '1001')), 'BAD_REQUEST', 'callId');
      rejects(() => store.checkpoint(T0, [3 as never]), 'BAD_REQUEST');
    } finally {
      await done();
    }
  });
});

describe('checkpoint rounds', () => {
  it('keeps the latest instant known for each call, across rounds, journal rewrites and a reopen', async () => {
    const { store, dir, done } = freshStore();
    try {
      for (const id of ['A', 'B', 'C']) store.journal(openCallOf(id, '1001'));
      store.checkpoint(T0 + 1000, ['A', 'B', 'C']);
      store.checkpoint(T0 + 2000, ['A', 'B']); // C ended its metering elsewhere: keeps 1000
      store.checkpoint(T0 + 3000, ['A']);
      store.checkpoint(T0 + 2500, ['B']); // a late round cannot move A back
      store.journal(openCallOf('C', '1001', { checkpointAt: T0 + 9000 })); // the entry's own, later value wins
      const at = (s: Store) => Object.fromEntries(s.openCalls().map((c) => [c.callId, c.checkpointAt]));
      assert.deepEqual(at(store), { A: T0 + 3000, B: T0 + 2500, C: T0 + 9000 });
      await store.close();
      const again = Store.open(dir);
      try {
        assert.deepEqual(at(again), { A: T0 + 3000, B: T0 + 2500, C: T0 + 9000 });
      } finally {
        await again.close();
      }
    } finally {
      await done();
    }
  });
});

describe('settle', () => {
  it('debits, writes the CALL line and the CDR and drops the journal entry', async () => {
    const { store, done } = freshStore();
    try {
      store.createUser({ id: '1001', name: 'A', pin: '1234' });
      store.credit('1001', 250000, T0);
      store.journal(openCallOf('A1', '1001'));
      const u = store.settle({ ...settlementOf('A1', '1001', 7200, T0 + 60_000), duration: 36 });
      assert.equal(u.units, 242800);
      assert.equal(store.user('1001')?.units, 242800);
      assert.deepEqual(store.ledger('1001')[1], {
        at: T0 + 60_000,
        operation: 'CALL',
        dialed: '0141587070',
        duration: 36,
        units: -7200,
        callId: 'A1',
      });
      const { cdrs } = store.cdrs({});
      assert.equal(cdrs.length, 1);
      assert.deepEqual(cdrs[0], cdrOf('A1', '1001', T0 + 60_000, { cost: 7200 }));
      assert.deepEqual(store.openCalls(), []);
    } finally {
      await done();
    }
  });

  it('clamps the debit to the balance and shows what was really debited', async () => {
    const { store, done } = freshStore();
    try {
      store.createUser({ id: '1001', name: 'A', pin: '1234' });
      store.credit('1001', 1090, T0);
      assert.equal(store.settle(settlementOf('A1', '1001', 5000, T0 + 10_000)).units, 0);
      assert.equal(store.ledger('1001')[1].units, -1090);
      assert.equal(store.cdrs({}).cdrs[0].cost, 1090);
      store.settle(settlementOf('A2', '1001', 200, T0 + 20_000));
      assert.equal(store.ledger('1001')[2].units, 0);
      assert.equal(Object.is(store.ledger('1001')[2].units, -0), false);
      assert.equal(store.cdrs({}).cdrs[0].cost, 0);
    } finally {
      await done();
    }
  });

  it('bills a call once: a replayed settlement changes nothing', async () => {
    const { store, done } = freshStore();
    try {
      store.createUser({ id: '1001', name: 'A', pin: '1234' });
      store.credit('1001', 10000, T0);
      store.settle(settlementOf('A1', '1001', 1000, T0 + 10_000));
      await store.flushed();
      const before = snapshot(store);
      assert.equal(store.settle(settlementOf('A1', '1001', 1000, T0 + 10_000)).units, 9000);
      assert.equal(store.settle(settlementOf('A1', '1001', 3000, T0 + 20_000)).units, 9000);
      store.recordCdr(cdrOf('A1', '1001', T0 + 30_000));
      assert.deepEqual(snapshot(store), before);
    } finally {
      await done();
    }
  });

  it('never pushes a balance below zero, however many settlements race', async () => {
    const { store, done } = freshStore();
    try {
      store.createUser({ id: '1001', name: 'A', pin: '1234' });
      store.credit('1001', 1000, T0);
      // ten calls ending in the same instant, settled from concurrent async tasks
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          Promise.resolve().then(() => store.settle(settlementOf(`C${i}`, '1001', 300, T0 + 5000))),
        ),
      );
      assert.ok(results.every((u) => u.units >= 0));
      assert.equal(store.user('1001')?.units, 0);
      const costs = store.cdrs({}).cdrs.map((c) => c.cost);
      assert.equal(costs.length, 10);
      assert.equal(costs.reduce((a, b) => a + b, 0), 1000);
      assert.equal(store.ledger('1001').reduce((a, l) => a + l.units, 0), 0);
      rejects(() => store.credit('1001', -1, T0 + 6000), 'INSUFFICIENT_CREDIT');
      await store.flushed();
      assert.equal(store.user('1001')?.units, 0);
    } finally {
      await done();
    }
  });

  it('refuses an inconsistent settlement and an unknown user, changing nothing', async () => {
    const { store, done } = freshStore();
    try {
      store.createUser({ id: '1001', name: 'A', pin: '1234' });
      store.credit('1001', 1000, T0);
      store.journal(openCallOf('A1', '1001'));
      const before = snapshot(store);
      const s = settlementOf('A1', '1001', 100, T0 + 1000);
      rejects(() => store.settle({ ...s, cdr: { ...s.cdr, callId: 'A2' } }), 'BAD_REQUEST', 'cdr');
      rejects(() => store.settle({ ...s, cdr: { ...s.cdr, user: '1002' } }), 'BAD_REQUEST', 'cdr');
      rejects(() => store.settle({ ...s, units: -5 }), 'BAD_REQUEST', 'units');
      rejects(() => store.settle({ ...s, units: 1.5 }), 'BAD_REQUEST', 'units');
      rejects(() => store.settle({ ...s, cdr: { ...s.cdr, duration: -1 } }), 'BAD_REQUEST', 'duration');
      rejects(() => store.settle({ ...settlementOf('A1', '1002', 100, T0) }), 'NOT_FOUND');
      assert.deepEqual(snapshot(store), before);
    } finally {
      await done();
    }
  });

  it('recordCdr stores a free call once and drops its journal entry', async () => {
    const { store, done } = freshStore();
    try {
      store.journal(openCallOf('F1', '1001'));
      store.recordCdr(cdrOf('F1', '', T0, { connectDelay: null, duration: 0, cost: 99 }));
      store.recordCdr(cdrOf('F1', '', T0 + 5, { connectDelay: null, duration: 0 }));
      const { cdrs } = store.cdrs({});
      assert.equal(cdrs.length, 1);
      assert.deepEqual(cdrs[0], cdrOf('F1', '', T0, { connectDelay: null, duration: 0, cost: 0 }));
      assert.deepEqual(store.openCalls(), []);
      store.recordCdr(cdrOf('F2', '', T0, { recovered: true }));
      assert.equal(store.cdrs({}).cdrs.find((c) => c.callId === 'F2')?.recovered, true);
      rejects(() => store.recordCdr(cdrOf('F3', 'abc', T0)), 'BAD_REQUEST', 'user');
      rejects(() => store.recordCdr({ ...cdrOf('F3', '', T0), endAt: 1.5 }), 'BAD_REQUEST', 'endAt');
    } finally {
      await done();
    }
  });
});

describe('CDR queries', () => {
  /** 25 CDRs: endAt T0 + 1000*floor(i/2), so pairs share an end time. */
  function fill(store: Store, from = 0, to = 25): void {
    for (let i = from; i < to; i++) store.recordCdr(cdrOf(`C${i}`, '', T0 + 1000 * Math.floor(i / 2)));
  }

  it('pages newest first with cursors, across committed and pending CDRs', async () => {
    const { store, done } = freshStore();
    try {
      fill(store, 0, 15);
      await store.flushed();
      fill(store, 15, 25); // still pending while we page
      const seen: string[] = [];
      let before: string | undefined;
      let pages = 0;
      for (;;) {
        const page = store.cdrs({ limit: 10, before });
        pages++;
        seen.push(...page.cdrs.map((c) => c.callId));
        if (page.next === null) break;
        assert.equal(page.cdrs.length, 10);
        before = page.next;
      }
      assert.equal(pages, 3);
      // newest end time first; equal end times newest written first
      const expected = Array.from({ length: 25 }, (_, i) => `C${24 - i}`);
      assert.deepEqual(seen, expected);
      assert.equal(store.cdrs({ limit: 25 }).next, null);
      assert.notEqual(store.cdrs({ limit: 24 }).next, null);
      assert.equal(store.cdrs({}).cdrs.length, 25);
    } finally {
      await done();
    }
  });

  it('filters on end time, both bounds inclusive', async () => {
    const { store, done } = freshStore();
    try {
      fill(store);
      const ids = (q: { from?: number; to?: number; limit?: number; before?: string }) => store.cdrs(q).cdrs.map((c) => c.callId);
      assert.deepEqual(ids({ from: T0 + 11_000 }), ['C24', 'C23', 'C22']);
      assert.deepEqual(ids({ to: T0 + 1000 }), ['C3', 'C2', 'C1', 'C0']);
      assert.deepEqual(ids({ from: T0 + 1000, to: T0 + 2000 }), ['C5', 'C4', 'C3', 'C2']);
      assert.deepEqual(ids({ from: T0 + 2000, to: T0 + 1000 }), []);
      const p1 = store.cdrs({ from: T0 + 1000, to: T0 + 5000, limit: 3 });
      assert.deepEqual(p1.cdrs.map((c) => c.callId), ['C11', 'C10', 'C9']);
      const p2 = store.cdrs({ from: T0 + 1000, to: T0 + 5000, limit: 3, before: p1.next! });
      assert.deepEqual(p2.cdrs.map((c) => c.callId), ['C8', 'C7', 'C6']);
      rejects(() => store.cdrs({ before: 'nope' }), 'BAD_REQUEST', 'before');
      rejects(() => store.cdrs({ limit: 0 }), 'BAD_REQUEST', 'limit');
      rejects(() => store.cdrs({ limit: 1001 }), 'BAD_REQUEST', 'limit');
      rejects(() => store.cdrs({ from: -5 }), 'BAD_REQUEST', 'from');
    } finally {
      await done();
    }
  });

  it('cdrRange streams newest first, lazily, in chunks', async () => {
    const { store, done } = freshStore();
    try {
      for (let i = 0; i < 600; i++) store.recordCdr(cdrOf(`R${i}`, '', T0 + i));
      await store.flushed();
      for (let i = 600; i < 610; i++) store.recordCdr(cdrOf(`R${i}`, '', T0 + i));
      const all = [...store.cdrRange()].map((c) => c.callId);
      assert.deepEqual(all, Array.from({ length: 610 }, (_, i) => `R${609 - i}`));
      const window = [...store.cdrRange(T0 + 100, T0 + 399)].map((c) => c.endAt);
      assert.equal(window.length, 300);
      assert.equal(window[0], T0 + 399);
      assert.equal(window[299], T0 + 100);
      // two CDRs ending in the same millisecond, across a chunk edge: both, newest written first
      store.recordCdr(cdrOf('twinA', '', T0 + 2000));
      store.recordCdr(cdrOf('twinB', '', T0 + 2000));
      const twins = [...store.cdrRange(T0 + 2000)].map((c) => c.callId);
      assert.deepEqual(twins, ['twinB', 'twinA']);
      // a write between chunks is seen by the chunk that covers it
      const it = store.cdrRange(T0 + 700)[Symbol.iterator]();
      store.recordCdr(cdrOf('late', '', T0 + 3000));
      assert.equal(it.next().value?.callId, 'late');
      rejects(() => store.cdrRange(-1), 'BAD_REQUEST', 'from');
    } finally {
      await done();
    }
  });
});

describe('billing periods', () => {
  it('keeps a deleted user\'s statement of the period for the close: archived in a block of its own', async () => {
    const { store, done } = freshStore();
    try {
      store.createUser({ id: '2001', name: 'Gone', pin: '2001' });
      store.credit('2001', 1000, T0);
      store.settle(settlementOf('D1', '2001', 200, T0 + 1000));
      store.deleteUser('2001');
      // the id may be given again at once: the newcomer's statement starts empty
      store.createUser({ id: '2001', name: 'New', pin: '2002' });
      assert.deepEqual(store.ledger('2001'), []);
      store.credit('2001', 50, T0 + 2000);
      const a = store.closePeriod(T0 + 10_000, 'BILLING_DEL.csv', []);
      assert.deepEqual(a.users.map((b) => [b.id, b.name, b.lines.map((l) => [l.operation, l.units]), b.totalUnits]), [
        ['2001', 'New', [['CREDIT', 50]], 50],
        ['2001', 'Gone', [['CREDIT', 1000], ['CALL', -200]], 800],
      ]);
      // the next close has only the living
      const b = store.closePeriod(T0 + 20_000, 'BILLING_DEL2.csv', []);
      assert.deepEqual(b.users.map((u) => [u.id, u.name]), [['2001', 'New']]);
    } finally {
      await done();
    }
  });

  it('archives every statement and opens a period starting with REPORT lines', async () => {
    const { store, done } = freshStore();
    try {
      store.updateConfig({ currency: 'Dollars', unitPrice: '0.001' });
      store.createUser({ id: '1002', name: 'Bob', pin: '2222' });
      store.createUser({ id: '1001', name: 'Alice', pin: '1111' });
      store.createUser({ id: '1003', name: 'Nobody', pin: '3333' });
      store.credit('1001', 203800, T0);
      store.settle(settlementOf('A1', '1001', 600, T0 + 1000));
      store.credit('1002', 250000, T0 + 2000);
      store.journal(openCallOf('LIVE', '1002'));
      const a = store.closePeriod(T0 + 10_000, 'BILLING_20231114_222320.csv', ['LIVE']);
      assert.equal(a.name, 'BILLING_20231114_222320.csv');
      assert.equal(a.at, T0 + 10_000);
      assert.equal(a.currency, 'Dollars');
      assert.equal(a.unitPrice, '0.001');
      assert.deepEqual(a.liveCalls, ['LIVE']);
      assert.deepEqual(a.users.map((b) => [b.id, b.name, b.lines.length, b.totalUnits]), [
        ['1001', 'Alice', 2, 203200],
        ['1002', 'Bob', 1, 250000],
        ['1003', 'Nobody', 0, 0],
      ]);
      assert.deepEqual(store.archive(a.name), a);
      assert.deepEqual(store.ledger('1001'), [{ at: T0 + 10_000, operation: 'REPORT', dialed: '', duration: null, units: 203200 }]);
      assert.deepEqual(store.ledger('1003'), [{ at: T0 + 10_000, operation: 'REPORT', dialed: '', duration: null, units: 0 }]);
      // the call that was live at the close is billed in the new period
      store.settle(settlementOf('LIVE', '1002', 1000, T0 + 20_000));
      assert.deepEqual(store.ledger('1002').map((l) => [l.operation, l.units]), [['REPORT', 250000], ['CALL', -1000]]);
      assert.equal(store.archive(a.name)?.users[1].lines.length, 1);

      const before = snapshot(store);
      rejects(() => store.closePeriod(T0 + 30_000, a.name, []), 'ARCHIVE_EXISTS', 'name');
      rejects(() => store.closePeriod(T0 + 30_000, '../x', []), 'BAD_REQUEST', 'name');
      assert.deepEqual(snapshot(store), before);

      store.closePeriod(T0 + 40_000, 'BILLING_2.csv', []);
      assert.deepEqual(store.archives(), [
        { name: 'BILLING_2.csv', at: T0 + 40_000 },
        { name: a.name, at: T0 + 10_000 },
      ]);
      assert.deepEqual(store.archive('BILLING_2.csv')?.users[1].lines.map((l) => l.operation), ['REPORT', 'CALL']);
      assert.equal(store.archive('BILLING_2.csv')?.users[1].totalUnits, 249000);
      assert.equal(store.archive('nope'), undefined);

      // many users: one change holding hundreds of writes
      for (let i = 0; i < 60; i++) {
        store.createUser({ id: String(2000 + i), name: `U${i}`, pin: String(50000 + i) });
        store.credit(String(2000 + i), i + 1, T0 + 50_000);
        store.credit(String(2000 + i), 1, T0 + 50_001);
      }
      const big = store.closePeriod(T0 + 60_000, 'BILLING_3.csv', []);
      assert.equal(big.users.length, 63);
      assert.deepEqual(big.users.find((b) => b.id === '2059')?.lines.map((l) => l.units), [60, 1]);
      for (let i = 0; i < 60; i++) assert.deepEqual(store.ledger(String(2000 + i)).map((l) => [l.operation, l.units]), [['REPORT', i + 2]]);
    } finally {
      await done();
    }
  });
});

describe('lifecycle', () => {
  it('a reopened store shows everything written before close', async () => {
    const { store, dir, done } = freshStore();
    try {
      store.updateConfig({ webPort: 9090 });
      store.setAdminPasswordHash('h');
      store.setMeta('k', { a: [1, 2] });
      store.createUser({ id: '1001', name: 'Alice', pin: '1234', callerId: '5173' });
      store.credit('1001', 10_000, T0);
      store.setDids('1001', [{ did: '0561500001', to: '0141587070' }]);
      store.putCost({ prefix: '38', h1: 180, h2Begin: '00:00', h2End: '00:00', h2: 0, increment: 1, setup: 0 });
      store.journal(openCallOf('OPEN', '1001'));
      store.checkpoint(T0 + 5, ['OPEN']);
      store.settle(settlementOf('A1', '1001', 1000, T0 + 1000));
      store.closePeriod(T0 + 2000, 'BILLING_1.csv', ['OPEN']);
      store.settle(settlementOf('A2', '1001', 500, T0 + 3000));
      const before = snapshot(store);
      const meta = store.meta('k');
      const archive = store.archive('BILLING_1.csv');
      await store.close();
      rejects(() => store.user('1001'), 'SHUTDOWN');
      rejects(() => store.credit('1001', 1, T0), 'SHUTDOWN');

      const again = Store.open(dir);
      try {
        assert.deepEqual(snapshot(again), before);
        assert.deepEqual(again.meta('k'), meta);
        assert.deepEqual(again.archive('BILLING_1.csv'), archive);
        assert.equal(again.userByPin('1234')?.id, '1001');
        assert.equal(again.userByCallerId('5173')?.id, '1001');
        assert.equal(again.openCalls()[0].checkpointAt, T0 + 5);
        // sequence numbers continue: a new line at an equal time sorts after the old one
        again.credit('1001', 1, T0 + 3000);
        assert.deepEqual(again.ledger('1001').map((l) => l.operation), ['REPORT', 'CALL', 'CREDIT']);
        assert.equal(again.settle(settlementOf('A2', '1001', 500, T0 + 3000)).units, 8501); // still billed once
      } finally {
        await again.close();
      }
    } finally {
      await done();
    }
  });

  it('after a failed commit, refuses writes and never reports anything as durable', async () => {
    const { store, done } = freshStore();
    const logged: string[] = [];
    setLogSink((line) => logged.push(line));
    try {
      store.createUser({ id: '1001', name: 'A', pin: '1234' });
      await store.flushed();
      const env = (store as unknown as { env: { batch: (cb: () => void) => Promise<boolean> } }).env;
      env.batch = () => Promise.reject(new Error('MDB_PANIC: disk on fire'));
      store.credit('1001', 5, T0); // queued, then its commit fails
      await assert.rejects(store.flushed(), (e: unknown) => e instanceof AppError && e.code === 'INTERNAL');
      rejects(() => store.credit('1001', 5, T0), 'INTERNAL');
      await assert.rejects(store.flushed(), (e: unknown) => e instanceof AppError && e.code === 'INTERNAL');
      assert.ok(logged.some((l) => l.includes('STORE_WRITE_FAILED')));
    } finally {
      setLogSink((line) => process.stdout.write(line + '\n'));
      await done();
    }
  });

  it('refuses a store written by a newer layout', async () => {
    const { store, dir, done } = freshStore();
    await store.close();
    try {
      const { open } = await import('lmdb');
      const env = open({ path: dir, noSubdir: false, maxDbs: 16 });
      await env.openDB({ name: 'meta' }).put('schemaVersion', 99);
      await env.close();
      rejects(() => Store.open(dir), 'INTERNAL');
    } finally {
      await done();
    }
  });

  it('refuses an unusable data directory with a clear error', async () => {
    const { dir, done } = freshStore();
    try {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(`${dir}/file`, 'x');
      rejects(() => Store.open(`${dir}/file`), 'INTERNAL');
      rejects(() => Store.open(`${dir}/file/below`), 'INTERNAL');
      rejects(() => Store.open(''), 'BAD_REQUEST');
      // Node's own recursive mkdir never returns here: the store must not hang on it
      rejects(() => Store.open('/proc/prepaid-nonexistent/data'), 'INTERNAL');
    } finally {
      await done();
    }
  });

  it('uses the seed default config as exported', () => {
    assert.equal(DEFAULT_CONFIG.unitPrice, '0.0001');
    assert.ok(Object.isFrozen(DEFAULT_CONFIG));
  });
});
