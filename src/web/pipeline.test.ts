// Route modules from other folders (reports) on the abstraction: streaming with
// back-pressure, errors from handlers, and a fuzz of malformed requests.
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { after, before, test } from 'node:test';
import { AppError } from '../errors.ts';
import { HttpError, type RouteModule, type StreamWriter } from './http.ts';
import { BASIC, openBed, rawRequest, rawStatus, type Bed } from './testbed.ts';

const CHUNK = 'x'.repeat(8 * 1024);
const CHUNKS = 1024; // 8 MB: far beyond the socket buffers
const stream = { waited: 0, written: 0, aborted: false, done: Promise.resolve() as Promise<void> };

const probes: RouteModule = (r, app) => {
  r.get('/api/probe/stream', async (_req, res) => {
    let finish!: () => void;
    stream.done = new Promise((f) => (finish = f));
    stream.waited = 0;
    stream.written = 0;
    stream.aborted = false;
    const w: StreamWriter = res.header('Content-Disposition', 'attachment; filename="x.csv"\r\nX-Injected: 1').stream('text/csv; charset=utf-8');
    try {
      for (let i = 0; i < CHUNKS && !w.aborted; i++) {
        let settled = false;
        const p = w.write(CHUNK).then(() => (settled = true));
        await Promise.resolve();
        if (!settled) stream.waited++;
        await p;
        stream.written++;
      }
      stream.aborted = w.aborted;
      w.end();
    } finally {
      finish();
    }
  });
  r.get('/api/probe/boom', () => {
    throw new Error('secret internals');
  });
  r.get('/api/probe/app-error', () => {
    throw new AppError('ARCHIVE_EXISTS', 'BILLING_20120412_103343.csv exists', 'name');
  });
  r.get('/api/probe/http-error', () => {
    throw new HttpError(409, 'taken');
  });
  r.get('/api/probe/late-boom', async (_req, res) => {
    const w = res.stream('text/plain');
    await w.write('partial');
    throw new Error('after the head');
  });
  r.get('/api/probe/silent', () => {});
  r.get('/api/probe/:name.csv', (req, res) => res.send(`csv ${req.params.name} ${app.store.users().length}`, 'text/csv'));
};

let bed: Bed;
before(async () => {
  bed = await openBed({ routes: [probes] });
});
after(async () => {
  await bed.close();
});

test('extra route modules run behind auth', async () => {
  assert.equal((await fetch(bed.url + '/api/probe/report.csv')).status, 401);
  const r = await bed.api('/api/probe/report.csv');
  assert.equal(await r.text(), 'csv report 0');
  assert.equal(r.headers.get('content-type'), 'text/csv');
});

test('stream: a slow reader makes write() wait, and the whole body arrives', async () => {
  const body = await new Promise<{ size: number; headers: Record<string, unknown> }>((resolve, reject) => {
    get({ host: '127.0.0.1', port: bed.server.port, path: '/api/probe/stream', headers: { authorization: BASIC } }, (res) => {
      let size = 0;
      res.pause();
      // read only after the server had to stop and wait
      setTimeout(() => {
        res.on('data', (c: Buffer) => (size += c.length));
        res.on('end', () => resolve({ size, headers: res.headers }));
        res.resume();
      }, 200);
    }).on('error', reject);
  });
  await stream.done;
  assert.equal(body.size, CHUNK.length * CHUNKS);
  assert.equal(stream.written, CHUNKS);
  assert.ok(stream.waited > 0, 'write() waited for the socket at least once');
  assert.equal(body.headers['content-type'], 'text/csv; charset=utf-8');
  assert.equal(body.headers['x-injected'], undefined, 'no header injection through a value');
});

test('stream: a client that goes away aborts the writer', async () => {
  await new Promise<void>((resolve) => {
    const req = get({ host: '127.0.0.1', port: bed.server.port, path: '/api/probe/stream', headers: { authorization: BASIC } }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', () => {});
  });
  await stream.done;
  assert.equal(stream.aborted, true);
  assert.ok(stream.written < CHUNKS);
});

test('handler errors: AppError/HttpError mapped, anything else a logged 500 without details', async () => {
  const boom = await bed.api('/api/probe/boom');
  assert.equal(boom.status, 500);
  assert.deepEqual(await boom.json(), { error: 'internal error', code: 'INTERNAL' });
  assert.ok(bed.logs.some((l) => l.includes('WEB_ERROR') && l.includes('secret internals')));
  const app = await bed.api('/api/probe/app-error');
  assert.equal(app.status, 409);
  assert.deepEqual(await app.json(), { error: 'BILLING_20120412_103343.csv exists', code: 'ARCHIVE_EXISTS', field: 'name' });
  const http = await bed.api('/api/probe/http-error');
  assert.equal(http.status, 409);
  assert.deepEqual(await http.json(), { error: 'taken', code: 'CONFLICT' });
  const silent = await bed.api('/api/probe/silent');
  assert.equal(silent.status, 500);
  // an error after the head was sent cuts the connection instead of appending an error body
  await assert.rejects(bed.api('/api/probe/late-boom').then((r) => r.text()));
  assert.equal((await bed.api('/api/users')).status, 200, 'the server keeps serving');
});

/** Deterministic pseudo-random source, so a failure replays. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('fuzz: malformed methods, paths, headers and bodies never get a 5xx nor stop the server', async () => {
  const rand = rng(20120412);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
  const methods = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'FOO'];
  const paths = [
    '/api/config', '/api/users', '/api/users/1001', '/api/users/%ZZ', '/api/users/1001/credit', '/api/users/1001/ledger',
    '/api/users/1001/dids', '/api/costs', '/api/costs/38', '/api/costs/DEFAULT', '/api/costs/%00', '/api/calls', '/api/cdrs',
    '/api/cdrs?limit=-1&from=%ZZ', '/api/cdrs?before=%FF%FE', '/api/session', '/api/session/setup', '/health', '/', '/ws',
    '/api', '/api/', '//api//users', '/api/users/' + '9'.repeat(5000), '/..%2f..', '/assets/%c0%ae%c0%ae/',
    '/api/users/1001/ledger.csv', '/api/probe/x.csv',
  ];
  const bodies = [
    '', '{', '}', 'null', '[]', '[[[[[[[[[[', '{"id":"1","name":"x","pin":"1234"}', '{"units":1e309}', '{"units":-0}',
    '{"amount":"1e5"}', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', '\u0000\u0001', '\uFFFF', '"str"', '123',
    '{"webPort":8078,"language":null}', '{"h1":"NaN"}', JSON.stringify({ password: 'x'.repeat(3000) }), '{"did":"1","to":"2"}',
    '[{"did":"1","to":"2"}]', '{"name":"' + '\ud800' + '"}',
  ];
  const users = bed.store.users().length;
  for (let i = 0; i < 400; i++) {
    const method = pick(methods);
    const path = pick(paths);
    let body = pick(bodies);
    if (rand() < 0.2) body = Buffer.from(Array.from({ length: Math.floor(rand() * 200) }, () => Math.floor(rand() * 256))).toString('latin1');
    const auth = rand() < 0.8 ? `Authorization: ${pick([BASIC, 'Basic !!!', 'Basic ' + Buffer.from('admin').toString('base64'), 'Digest x'])}\r\n` : '';
    const type = rand() < 0.7 ? 'Content-Type: application/json\r\n' : '';
    const payload = Buffer.from(body, 'latin1');
    const length = rand() < 0.9 ? `Content-Length: ${payload.length}\r\n` : '';
    const head = `${method} ${path} HTTP/1.1\r\nHost: x\r\n${auth}${type}${length}Connection: close\r\n\r\n`;
    const answer = await rawRequest(bed.server.port, Buffer.concat([Buffer.from(head, 'latin1'), length ? payload : Buffer.alloc(0)]), {
      headOnly: method === 'HEAD',
    });
    const status = rawStatus(answer);
    assert.ok(!answer.startsWith('TIMEOUT'), `no answer to ${head}`);
    assert.ok(status === 0 || status < 500, `${method} ${path} ${JSON.stringify(body).slice(0, 80)} → ${answer.slice(0, 300)}`);
    // the Basic password is right in 1 of 4; no fuzz input may create or break anything
    if (i % 50 === 0) assert.equal((await bed.api('/health')).status, 200);
  }
  assert.ok(bed.store.users().length <= users + 1, 'at most the one valid user body created');
  assert.equal((await bed.api('/api/users')).status, 200);
  assert.equal(bed.logs.filter((l) => l.includes('WEB_ERROR') && !l.includes('probe')).length, 0, 'no internal error logged');
});

