// /ws: auth at upgrade, snapshot on open, push on change and while calls are up.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { BASIC, liveCall, openBed, PASSWORD, type Bed } from './testbed.ts';

let bed: Bed;
before(async () => {
  bed = await openBed();
});
after(async () => {
  await bed.close();
});

const wsUrl = (): string => bed.url.replace('http', 'ws') + '/ws';

/** Opens a socket; resolves with it and a queue of parsed messages, or rejects with the HTTP status. */
function open(headers: Record<string, string>): Promise<{ ws: WebSocket; next(): Promise<any> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(), { headers });
    const queue: unknown[] = [];
    const waiting: ((m: unknown) => void)[] = [];
    ws.on('message', (data) => {
      const m = JSON.parse(String(data));
      const w = waiting.shift();
      if (w) w(m);
      else queue.push(m);
    });
    ws.on('unexpected-response', (_req, res) => reject(Object.assign(new Error('refused'), { status: res.statusCode })));
    ws.on('error', reject);
    ws.on('open', () =>
      resolve({
        ws,
        next: () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiting.push(r))),
      }),
    );
  });
}

async function closeWs(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return;
  await new Promise<void>((r) => {
    ws.once('close', () => r());
    ws.close();
  });
}

test('upgrade without credentials, with a wrong password or from another origin is refused', async () => {
  await assert.rejects(open({}), (e: { status?: number }) => e.status === 401);
  await assert.rejects(open({ authorization: 'Basic ' + Buffer.from('admin:nope').toString('base64') }), (e: { status?: number }) => e.status === 401);
  await assert.rejects(open({ authorization: BASIC, origin: 'http://evil.example' }), (e: { status?: number }) => e.status === 403);
  // a plain GET on /ws is not an upgrade
  assert.equal((await fetch(bed.url + '/ws', { headers: { authorization: BASIC } })).status, 400);
});

test('snapshot on open, then a push at each change (Basic and cookie auth)', async () => {
  bed.supervision.set([liveCall()]);
  const a = await open({ authorization: BASIC });
  const login = await fetch(bed.url + '/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: PASSWORD }) });
  const cookie = /^(prepaid_session=[^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1]!;
  const b = await open({ cookie, origin: bed.url });
  try {
    for (const c of [a, b]) assert.deepEqual(await c.next(), { type: 'calls', calls: [liveCall()] });
    const two = [liveCall(), liveCall({ callId: 'A2', caller: '5172', user: '1002', duration: 108 })];
    bed.supervision.set(two);
    for (const c of [a, b]) {
      // a periodic push may come first; the changed list arrives in the next messages
      let m = await c.next();
      while (m.calls.length !== 2) m = await c.next();
      assert.deepEqual(m, { type: 'calls', calls: two });
    }
    bed.supervision.set([]);
    for (const c of [a, b]) {
      let m = await c.next();
      while (m.calls.length !== 0) m = await c.next();
      assert.deepEqual(m, { type: 'calls', calls: [] });
    }
  } finally {
    await closeWs(a.ws);
    await closeWs(b.ws);
  }
});

test('while calls are up the list is pushed again without any change (durations move)', async () => {
  bed.supervision.set([liveCall()]);
  const c = await open({ authorization: BASIC });
  try {
    await c.next(); // snapshot
    const again = await c.next(); // no set(): only the 1 s ticker sends this
    assert.deepEqual(again, { type: 'calls', calls: [liveCall()] });
  } finally {
    bed.supervision.set([]);
    await closeWs(c.ws);
  }
});

test('closing the server closes the sockets', async () => {
  const other = await openBed();
  const url = other.url.replace('http', 'ws') + '/ws';
  const ws = new WebSocket(url, { headers: { authorization: BASIC } });
  await new Promise((r) => ws.once('open', r));
  const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
  await other.close();
  assert.equal(await closed, 1001);
});
