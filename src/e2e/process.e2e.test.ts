// The bundle as a process among others on the box: a busy web port, a log reader that goes away.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { BUNDLE, freePort, startBundle, tempData } from './harness.ts';

/** Runs the bundle to its exit (or kills it after `ms`): exit code and everything it printed. */
function runToExit(args: string[], ms: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BUNDLE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => p.kill('SIGKILL'), ms);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

describe('bundle among other processes', () => {
  it('a second appliance on a busy web port exits 1 with a clear error; the first keeps serving alone', async () => {
    const a = tempData();
    const b = tempData();
    const first = await startBundle({ dataDir: a, engine: `127.0.0.1:${await freePort()}` });
    try {
      const second = await runToExit(['serve', '--data', b, '--http', String(first.port), '--engine', '127.0.0.1:1'], 15_000);
      assert.equal(second.code, 1, second.out);
      assert.match(second.out, /cannot listen on port \d+/);
      for (let i = 0; i < 8; i++) assert.equal((await fetch(`${first.base}/health`)).status, 200);
      // a demo that could not start leaves no password behind: the next start prints one
      const demo = await runToExit(['serve', '--data', b, '--http', String(first.port), '--engine', 'demo'], 15_000);
      assert.equal(demo.code, 1, demo.out);
      const again = await startBundle({ dataDir: b, engine: 'demo' });
      try {
        await again.waitLine(/DEMO_ADMIN_PASSWORD password=/);
      } finally {
        await again.stop();
      }
    } finally {
      await first.stop();
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });

  it('keeps running when the reader of its log goes away (EPIPE on stdout)', async () => {
    const data = tempData();
    const app = await startBundle({ dataDir: data, engine: 'demo' });
    try {
      app.proc.stdout!.destroy(); // like `prepaid serve | head -3` once head has exited
      // the demo engine keeps calling: every call logs lines into the closed pipe
      await new Promise((r) => setTimeout(r, 4000));
      assert.equal(app.proc.exitCode, null, 'still running');
      assert.equal((await fetch(`${app.base}/health`)).status, 200);
      assert.equal(await app.stop(), 0);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});
