// Runs a built prepaid bundle as a child process the way a box does, for test:arm and the
// firmware benchmark: spawn, wait for /health, read the printed demo password, query the
// API with Basic auth, SIGTERM and collect the exit code.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Spawns `command args` (cwd `cwd`); returns a handle. Output lines are kept (and echoed
 * with `prefix` when `echo`), so failures can show the log.
 */
export function startBundle({ command, args, cwd, port, env = {}, echo = false, prefix = '' }) {
  const startedAt = Date.now();
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  let password = null;
  let exit = null;
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve((exit = { code, signal }))));
  const take = (stream) => {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (d) => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        if (echo) console.log(`${prefix}${line}`);
        const m = /\bDEMO_ADMIN_PASSWORD\b.*\bpassword=("(?:[^"\\]|\\.)*"|\S+)/.exec(line);
        if (m) password = m[1].startsWith('"') ? JSON.parse(m[1]) : m[1];
      }
    });
  };
  take(child.stdout);
  take(child.stderr);
  const base = `http://127.0.0.1:${port}`;

  async function get(path, auth) {
    const headers = auth ? { authorization: `Basic ${Buffer.from(`admin:${auth}`).toString('base64')}` } : {};
    const r = await fetch(base + path, { headers, signal: AbortSignal.timeout(10_000) });
    return { status: r.status, body: await r.text() };
  }

  return {
    child,
    lines,
    get password() { return password; },
    get exit() { return exit; },
    get,
    /** Resolves with ms from spawn to the first 200 on /health. */
    async waitHealthy(timeoutMs) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        if (exit) throw new Error(`exited (${JSON.stringify(exit)}) before /health answered`);
        try {
          const r = await get('/health');
          if (r.status === 200) return { ms: Date.now() - startedAt, body: r.body };
        } catch {
          // not listening yet
        }
        await sleep(100);
      }
      throw new Error(`/health not OK within ${timeoutMs} ms`);
    },
    /** Polls GET /api/cdrs until `check(cdrs)` holds; returns the CDR list. */
    async waitCdrs(check, timeoutMs) {
      const until = Date.now() + timeoutMs;
      let last = null;
      while (Date.now() < until) {
        if (exit) throw new Error(`exited (${JSON.stringify(exit)}) while waiting for CDRs`);
        if (password) {
          const r = await get('/api/cdrs', password).catch((e) => ({ status: 0, body: String(e) }));
          last = r;
          if (r.status === 200) {
            const { cdrs } = JSON.parse(r.body);
            if (check(cdrs)) return cdrs;
          }
        }
        await sleep(500);
      }
      throw new Error(`no matching CDR within ${timeoutMs} ms (last answer: ${last ? `${last.status} ${last.body.slice(0, 200)}` : 'none, no demo password printed'})`);
    },
    /** SIGTERM, then the exit; SIGKILL after `timeoutMs`. */
    async stop(timeoutMs = 30_000) {
      if (!exit) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const r = await exited;
      clearTimeout(timer);
      return r;
    },
    /** Resident set size in kB (Linux /proc), of the process itself. */
    async rssKb() {
      const { readFile } = await import('node:fs/promises');
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    },
  };
}
