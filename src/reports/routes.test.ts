import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../clock.ts';
import { setLogSink } from '../log.ts';
import { SEED_DEFAULT_ROW } from '../rating/index.ts';
import { cdrOf, freshStore } from '../store/test-support.ts';
import type { Req, Res, Routes, StreamWriter } from '../web/http.ts';
import { liveCall, openBed, type Bed } from '../web/testbed.ts';
import { parseCsv } from './csv.ts';
import { makeReportRoutes } from './routes.ts';

const T0 = Date.parse('2024-06-01T08:00:00Z'); // 10:00:00 in Paris
const CSV_TYPE = 'text/csv; charset=utf-8';

/** Body text without the BOM (which every CSV must start with). */
async function csvText(res: Response): Promise<string> {
  const bytes = new Uint8Array(await res.arrayBuffer());
  assert.deepEqual([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM');
  return new TextDecoder().decode(bytes.slice(3));
}

describe('report routes over HTTP', () => {
  let bed: Bed;
  const clock = new FakeClock(T0);

  before(async () => {
    bed = await openBed({ routes: [makeReportRoutes(clock)] });
    bed.store.updateConfig({ timezone: 'Europe/Paris', language: 'fr', currency: 'Euros', unitPrice: '0.0001' });
    bed.store.createUser({ id: '1001', name: 'Élodie', pin: '2345' });
    bed.store.credit('1001', 250_000, T0 - 3_600_000);
    const end = T0 - 1_800_000;
    bed.store.settle({
      callId: 'C1',
      userId: '1001',
      units: 7200,
      at: end,
      dialed: '380141587070',
      duration: 40,
      cdr: cdrOf('C1', '1001', end, { offerAt: end - 45_000, connectDelay: 5, duration: 40, dialed: '380141587070' }),
    });
    for (let i = 0; i < 5; i++) bed.store.recordCdr(cdrOf(`Z${i}`, '1001', T0 - 600_000 + i * 60_000, { connectDelay: null, duration: 0 }));
  });
  after(async () => {
    await bed.close();
    setLogSink((l) => process.stdout.write(l + '\n'));
  });

  it('needs the admin password', async () => {
    for (const path of ['/api/cdrs.csv', '/api/users/1001/ledger.csv', '/api/billing/archives', '/api/costs.csv']) {
      const res = await fetch(bed.url + path);
      assert.equal(res.status, 401, path);
    }
  });

  it('streams the CDRs as CSV, newest first as the JSON pages, in the box timezone', async () => {
    const res = await bed.api('/api/cdrs.csv');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), CSV_TYPE);
    assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="cdrs\.csv"$/);
    const rows = parseCsv(await csvText(res), ';').map((r) => r.cells);
    assert.deepEqual(rows[0], ['Date', 'TimeStamp', 'ConnectDelay', 'Durat.', 'Cost', 'User', 'Dialed num', 'CallId']);
    assert.deepEqual(rows.slice(1).map((r) => r[7]), ['Z4', 'Z3', 'Z2', 'Z1', 'Z0', 'C1']);
    assert.deepEqual(rows[6], ['20240601_093000', String((T0 - 1_800_000 - 45_000) / 1000), '5', '40', '7200', '1001', '380141587070', 'C1']);
    assert.deepEqual(rows[5], ['20240601_095000', String((T0 - 600_000 - 30_000) / 1000), '', '0', '0', '1001', '0141587070', 'Z0']);
  });

  it('takes from/to as stamps or Unix seconds, `to` covering its whole second', async () => {
    const stamp = await csvText(await bed.api('/api/cdrs.csv?from=20240601_095100&to=20240601_095300'));
    assert.deepEqual(
      parseCsv(stamp, ';').map((r) => r.cells[7]),
      ['CallId', 'Z3', 'Z2', 'Z1'],
    );
    const unix = await csvText(await bed.api(`/api/cdrs.csv?from=${(T0 - 600_000) / 1000}&to=${(T0 - 600_000) / 1000}`));
    assert.deepEqual(
      parseCsv(unix, ';').map((r) => r.cells[7]),
      ['CallId', 'Z0'],
    );
  });

  it('answers 400 naming the field for a bad bound', async () => {
    const res = await bed.api('/api/cdrs.csv?from=yesterday');
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: string; field?: string };
    assert.equal(body.field, 'from');
    const reversed = await bed.api('/api/cdrs.csv?from=20240602_000000&to=20240601_000000');
    assert.equal(reversed.status, 400);
  });

  it('serves the statement of a user with accents intact; 404 for an unknown one', async () => {
    const res = await bed.api('/api/users/1001/ledger.csv');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), CSV_TYPE);
    const text = await csvText(res);
    assert.equal(
      text,
      [
        'Date;Operation;Dialed;Durat.(sec);Units;Euros',
        '20240601_090000;CREDIT;;;250000;25,000000',
        '20240601_093000;CALL;380141587070;40;-7200;-0,720000',
        'Total;;;;242800;24,28',
        '',
      ].join('\n'),
    );
    assert.equal((await bed.api('/api/users/999/ledger.csv')).status, 404);
  });

  it('closes the period, refuses a second close in the same second, lists and serves archives', async () => {
    bed.supervision.set([liveCall({ callId: 'LIVE9', user: '1001', status: 'connected' })]);
    const first = await bed.api('/api/billing/close', { method: 'POST' });
    assert.equal(first.status, 200);
    assert.deepEqual(await first.json(), { name: 'BILLING_20240601_100000.csv' });

    clock.advance(999);
    const again = await bed.api('/api/billing/close', { method: 'POST' });
    assert.equal(again.status, 409);
    assert.equal(((await again.json()) as { error: string }).error.length > 0, true);

    clock.advance(1);
    bed.supervision.set([]);
    const second = await bed.api('/api/billing/close', { method: 'POST' });
    assert.deepEqual(await second.json(), { name: 'BILLING_20240601_100001.csv' });

    const list = (await (await bed.api('/api/billing/archives')).json()) as { name: string; size: number; date: string }[];
    assert.deepEqual(
      list.map((a) => [a.name, a.date]),
      [
        ['BILLING_20240601_100001.csv', '20240601_100001'],
        ['BILLING_20240601_100000.csv', '20240601_100000'],
      ],
    );

    const dl = await bed.api('/api/billing/archives/BILLING_20240601_100000.csv');
    assert.equal(dl.status, 200);
    assert.equal(dl.headers.get('content-type'), CSV_TYPE);
    assert.equal(dl.headers.get('content-disposition'), 'attachment; filename="BILLING_20240601_100000.csv"');
    const bytes = new Uint8Array(await dl.clone().arrayBuffer());
    assert.equal(list[1]!.size, bytes.length, 'listed size is the download size');
    const text = await csvText(dl);
    const lines = text.split('\n');
    assert.equal(lines[0], 'User number : 1001');
    assert.equal(lines[1], 'User ID : Élodie');
    assert.equal(lines[2], 'Date;Operation;Called;Duration;Units;Euros');
    assert.ok(lines[4]!.endsWith(';CALL;380141587070;40;-7200;-0,72'));
    assert.equal(lines[5], 'Total;;;;242800;24,28');
    assert.ok(text.endsWith('Total;;;;242800;24,28\n\n\n'), 'user blocks only, no note after them');

    const statement = await csvText(await bed.api('/api/users/1001/ledger.csv'));
    assert.match(statement, /\n20240601_100001;REPORT;;;242800;24,280000\nTotal/);

    // an archive is frozen at its close: new CSV parameters change none of its bytes; the
    // list shows its date in today's timezone
    const put = (json: unknown) => bed.api('/api/config', { method: 'PUT', json });
    const before = await put({});
    const restore = (await before.json()) as { timezone: string; language: string; csvSeparator: string };
    await put({ timezone: 'America/New_York', language: 'en', csvSeparator: ',' });
    try {
      const again = new Uint8Array(await (await bed.api('/api/billing/archives/BILLING_20240601_100000.csv')).arrayBuffer());
      assert.deepEqual(again, bytes);
      const relisted = (await (await bed.api('/api/billing/archives')).json()) as { name: string; size: number; date: string }[];
      assert.deepEqual(relisted.map((a) => [a.name, a.date, a.size]), [
        ['BILLING_20240601_100001.csv', '20240601_040001', list[0]!.size],
        ['BILLING_20240601_100000.csv', '20240601_040000', bytes.length],
      ]);
    } finally {
      await put({ timezone: restore.timezone, language: restore.language, csvSeparator: restore.csvSeparator });
    }
  });

  it('answers 404 for archive names outside the pattern, whatever they try', async () => {
    for (const name of ['BILLING_20240601_100002.csv', '..%2F..%2Fetc%2Fpasswd', 'BILLING_20240601_100000.csv.bak', '%2e%2e', 'x']) {
      const res = await bed.api(`/api/billing/archives/${name}`);
      assert.equal(res.status, 404, name);
    }
  });

  it('exports the rate deck and replaces it from CSV, all or nothing', async () => {
    bed.store.updateConfig({ csvSeparator: ',' });
    try {
      const out = await csvText(await bed.api('/api/costs.csv'));
      assert.equal(out.split('\n')[0], 'prefix,h1,h2Begin,h2End,h2,increment,setup');
      assert.match(out, /\nDEFAULT,200,00:00,00:00,0,1,0\n/);

      const deck = 'prefix;h1;h2Begin;h2End;h2\n38;180;20:00;08:00;90\n42;250;;;\n';
      const put = await bed.api('/api/costs.csv', { method: 'PUT', body: deck, headers: { 'content-type': 'text/csv' } });
      assert.equal(put.status, 200);
      assert.deepEqual(await put.json(), { rows: 2 });
      assert.equal(bed.app.costsChangedCount, 1);
      assert.deepEqual(
        bed.store.costs().map((c) => [c.prefix, c.h1, c.h2Begin, c.h2End, c.h2]),
        [
          ['DEFAULT', 200, '00:00', '00:00', 0],
          ['38', 180, '20:00', '08:00', 90],
          ['42', 250, '00:00', '00:00', 0],
        ],
      );

      for (const [body, error] of [
        [Buffer.from([0x70, 0xff, 0xfe, 0x0a]), 'the file must be UTF-8 text'],
        ['', 'line 1: a header line is required: prefix;h1;h2Begin;h2End;h2;increment;setup'],
      ] as const) {
        const res = await bed.api('/api/costs.csv', { method: 'PUT', body, headers: { 'content-type': 'text/csv' } });
        assert.equal(res.status, 400);
        assert.equal(((await res.json()) as { error: string }).error, error);
      }

      const bad = await bed.api('/api/costs.csv', { method: 'PUT', body: 'prefix,h1\n38,1\n39,x\n', headers: { 'content-type': 'text/csv' } });
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as { error: string }).error, 'line 3: h1: must be a whole number ≥ 0');
      assert.equal(bed.store.costs().length, 3, 'nothing changed');
      assert.equal(bed.app.costsChangedCount, 1);
    } finally {
      bed.store.updateConfig({ csvSeparator: '' });
    }
  });
});

// The import handler on its own (no HTTP body limit in the way) for a deck of 100,000 rows.
describe('PUT /api/costs.csv handler', () => {
  it('imports 100,000 rows in one store transaction', async () => {
    setLogSink(() => {});
    const { store, done } = freshStore();
    try {
      const handlers = new Map<string, (req: Req, res: Res) => void | Promise<void>>();
      const routes: Routes = {
        get: (p, h) => handlers.set(`GET ${p}`, h),
        put: (p, h) => handlers.set(`PUT ${p}`, h),
        post: (p, h) => handlers.set(`POST ${p}`, h),
        delete: (p, h) => handlers.set(`DELETE ${p}`, h),
      };
      let changed = 0;
      const app = {
        store,
        supervision: { list: () => [], hasLiveCall: () => false, onChange: () => () => {} },
        costsChanged: () => changed++,
      };
      makeReportRoutes(new FakeClock(T0))(routes, app as never);

      // 100,000 prefixes, no DEFAULT row: the store keeps its own
      const lines = ['prefix;h1;h2Begin;h2End;h2;increment;setup'];
      for (let i = 0; i < 100_000; i++) lines.push(`${40_000_000 + i};${(i % 400) + 1};20:00;08:00;${i % 200};1;0`);
      const body = Buffer.from(lines.join('\r\n') + '\r\n');
      let answer: unknown;
      const res = {
        status: () => res,
        header: () => res,
        json: (o: unknown) => (answer = o),
        send: () => assert.fail('json expected'),
        stream: (): StreamWriter => assert.fail('json expected'),
      } as Res;
      const req = { method: 'PUT', path: '/api/costs.csv', params: {}, query: new URLSearchParams(), header: () => '', body, json: () => null } as Req;
      await handlers.get('PUT /api/costs.csv')!(req, res);
      assert.deepEqual(answer, { rows: 100_000 });
      assert.equal(changed, 1);
      const costs = store.costs();
      assert.equal(costs.length, 100_001);
      assert.deepEqual(costs[0], { ...SEED_DEFAULT_ROW });
      assert.equal(costs.find((c) => c.prefix === '40099999')?.h1, (99_999 % 400) + 1);
    } finally {
      await done();
      setLogSink((l) => process.stdout.write(l + '\n'));
    }
  });
});
