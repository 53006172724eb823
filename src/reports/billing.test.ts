import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { isAppError } from '../errors.ts';
import { setLogSink } from '../log.ts';
import { cdrOf, freshStore } from '../store/test-support.ts';
import type { Store } from '../store/index.ts';
import { liveCall, ScriptedSupervision } from '../web/testbed.ts';
import { archiveCsv } from './archive.ts';
import { closeBilling } from './billing.ts';
import { csvStyle, parseCsv } from './csv.ts';

const T0 = Date.parse('2024-06-01T08:00:00Z'); // 10:00:00 in Paris

describe('closeBilling', () => {
  let store: Store;
  let done: () => Promise<void>;
  const supervision = new ScriptedSupervision();
  const app = () => ({ store, supervision });

  before(() => setLogSink(() => {}));
  beforeEach(async () => {
    if (done) await done();
    ({ store, done } = freshStore());
    supervision.set([]);
    store.updateConfig({ timezone: 'Europe/Paris', language: 'fr', currency: 'Euros', unitPrice: '0.0001' });
  });
  after(async () => {
    await done?.();
    setLogSink((l) => process.stdout.write(l + '\n'));
  });

  function call(callId: string, userId: string, units: number, endAt: number, dialed: string, duration: number): void {
    store.settle({
      callId,
      userId,
      units,
      at: endAt,
      dialed,
      duration,
      cdr: cdrOf(callId, userId, endAt, { cost: units, dialed, duration }),
    });
  }

  it('freezes the statement into the archive and opens the period with a REPORT (done-when check)', () => {
    store.createUser({ id: '1001', name: 'Alice', pin: '2345' });
    store.credit('1001', 250_000, T0);
    // 40 s to 380141587070 at 180 units/s
    call('C1', '1001', 40 * 180, T0 + 60_000, '380141587070', 40);

    const archive = closeBilling(app(), T0 + 3_600_000, 'manual');
    assert.equal(archive.name, 'BILLING_20240601_110000.csv');
    const text = archiveCsv(archive, csvStyle(store.config()));
    const lines = text.slice(1).split('\n');
    assert.equal(lines[0], 'User number : 1001');
    assert.equal(lines[1], 'User ID : Alice');
    assert.equal(lines[2], 'Date;Operation;Called;Duration;Units;Euros');
    assert.equal(lines[3], '20240601_100000;CREDIT;;;250000;25');
    assert.ok(lines[4]!.endsWith(';CALL;380141587070;40;-7200;-0,72'), lines[4]);
    assert.equal(lines[5], 'Total;;;;242800;24,28');
    assert.deepEqual(lines.slice(6), ['', '', '']);

    const ledger = store.ledger('1001');
    assert.equal(ledger.length, 1);
    assert.equal(ledger[0]!.operation, 'REPORT');
    assert.equal(ledger[0]!.units, 242_800);
    assert.equal(store.archive(archive.name)?.users[0]?.totalUnits, 242_800);
  });

  it('refuses a second close within the same second and changes nothing', () => {
    store.createUser({ id: '1001', name: 'Alice', pin: '2345' });
    store.credit('1001', 1000, T0);
    closeBilling(app(), T0 + 10_000, 'manual');
    const ledger = store.ledger('1001');
    assert.throws(
      () => closeBilling(app(), T0 + 10_999, 'manual'),
      (e) => isAppError(e) && e.code === 'ARCHIVE_EXISTS',
    );
    assert.deepEqual(store.ledger('1001'), ledger);
    assert.equal(store.archives().length, 1);
    assert.equal(closeBilling(app(), T0 + 11_000, 'manual').name, 'BILLING_20240601_100011.csv');
  });

  it('bills a call live at the close in the period in which it ends, and records it with the archive', () => {
    store.createUser({ id: '1001', name: 'Alice', pin: '2345' });
    store.createUser({ id: '1002', name: 'Bob', pin: '3456' });
    store.credit('1001', 250_000, T0);
    store.credit('1002', 250_000, T0);
    supervision.set([
      liveCall({ callId: 'LIVE1', user: '1001', status: 'connected' }),
      liveCall({ callId: 'RINGING2', user: '1002', status: 'ringing' }),
    ]);

    const first = closeBilling(app(), T0 + 60_000, 'manual');
    assert.deepEqual(first.liveCalls, ['LIVE1']);
    const text = archiveCsv(first, csvStyle(store.config()));
    assert.doesNotMatch(text, /LIVE1/, 'the CSV keeps the seed layout: user blocks only');
    assert.doesNotMatch(text, /CALL;/, 'nothing of the live call in the closed period');

    // the call ends after the close: it lands after the REPORT of the new period
    supervision.set([]);
    call('LIVE1', '1001', 9000, T0 + 120_000, '3000', 45);
    const ledger = store.ledger('1001');
    assert.deepEqual(
      ledger.map((l) => [l.operation, l.units]),
      [
        ['REPORT', 250_000],
        ['CALL', -9000],
      ],
    );
    const second = closeBilling(app(), T0 + 180_000, 'manual');
    const lines = archiveCsv(second, csvStyle(store.config())).split('\n');
    assert.ok(lines.some((l) => l.endsWith(';CALL;3000;45;-9000;-0,9')));
    assert.ok(lines.includes('Total;;;;241000;24,1'));
    assert.deepEqual(second.liveCalls, []);
  });

  it('renders a period that spans a DST change in local time on each side', () => {
    store.createUser({ id: '1001', name: 'Alice', pin: '2345' });
    const beforeChange = Date.parse('2025-10-26T00:30:00Z'); // 02:30 CEST
    const afterChange = Date.parse('2025-10-26T01:30:00Z'); // 02:30 CET, an hour later
    store.credit('1001', 100_000, Date.parse('2025-10-20T10:00:00Z'));
    call('D1', '1001', 200, beforeChange, '3000', 1);
    call('D2', '1001', 400, afterChange, '3000', 2);
    const archive = closeBilling(app(), Date.parse('2025-11-01T09:00:00Z'), 'manual');
    assert.equal(archive.name, 'BILLING_20251101_100000.csv');
    const rows = parseCsv(archiveCsv(archive, csvStyle(store.config())), ';').map((r) => r.cells);
    assert.deepEqual(rows[3], ['20251020_120000', 'CREDIT', '', '', '100000', '10']);
    assert.deepEqual(rows[4], ['20251026_023000', 'CALL', '3000', '1', '-200', '-0,02']);
    assert.deepEqual(rows[5], ['20251026_023000', 'CALL', '3000', '2', '-400', '-0,04']);
    assert.deepEqual(rows[6], ['Total', '', '', '', '99400', '9,94']);
  });

  it('names the archive in the configured timezone', () => {
    store.updateConfig({ timezone: 'America/New_York' });
    assert.equal(closeBilling(app(), T0, 'manual').name, 'BILLING_20240601_040000.csv');
  });
});
