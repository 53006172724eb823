// The built bundle on the node:http + ws fallback (what a box without a uWS binary runs):
// /health, Basic auth on the API, /ws pushes of the demo calls, clean exit on SIGTERM.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { startBundle, tempData } from './harness.ts';

describe('bundle on the node:http fallback (PREPAID_HTTP=node)', () => {
  it('serves /health, the API with Basic auth and /ws pushes, and exits 0 on SIGTERM', async () => {
    const data = tempData();
    const app = await startBundle({ dataDir: data, engine: 'demo', env: { PREPAID_HTTP: 'node' } });
    const port = app.port;
    try {
      const listening = await app.waitLine(/WEB_LISTENING/);
      assert.match(listening, /server=node-http/);
      const password = /DEMO_ADMIN_PASSWORD password=(\S+)/.exec(await app.waitLine(/DEMO_ADMIN_PASSWORD/))![1]!;
      const base = `http://127.0.0.1:${port}`;
      const auth = 'Basic ' + Buffer.from(`admin:${password}`).toString('base64');

      const health = await fetch(`${base}/health`);
      assert.equal(health.status, 200);
      assert.equal((await health.json()).status, 'ok');
      assert.equal((await fetch(`${base}/api/users`)).status, 401);
      const users = await fetch(`${base}/api/users`, { headers: { authorization: auth } });
      assert.equal(users.status, 200);
      assert.ok(Array.isArray(await users.json()));

      // the snapshot on open, then pushes until a demo call shows up
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { authorization: auth } });
      try {
        const seen = await new Promise<{ first: { type: string }; withCall: { calls: unknown[] } }>((resolve, reject) => {
          let first: { type: string } | null = null;
          const t = setTimeout(() => reject(new Error('no /ws push with a live demo call in 20 s')), 20_000);
          ws.on('error', reject);
          ws.on('message', (m) => {
            const msg = JSON.parse(String(m)) as { type: string; calls: unknown[] };
            first ??= msg;
            if (msg.calls.length > 0) {
              clearTimeout(t);
              resolve({ first, withCall: msg });
            }
          });
        });
        assert.equal(seen.first.type, 'calls');
        assert.ok(seen.withCall.calls.length > 0);
      } finally {
        ws.terminate();
      }
      assert.equal(await app.stop(), 0);
      assert.ok(app.lines.some((l) => l.includes('APPLIANCE_STOPPED')), 'stopped cleanly');
    } finally {
      await app.stop();
      rmSync(data, { recursive: true, force: true });
    }
  });
});
