// Runs the BUILT bundle (dist/prepaid.mjs) as an installer would, against an engine emulator
// over TCP, and talks to it over HTTP like a report script.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BUNDLE = join(process.cwd(), 'dist', 'prepaid.mjs');
export const PASSWORD = 'e2e-secret';

export function requireBundle(): void {
  if (!existsSync(BUNDLE)) throw new Error('dist/prepaid.mjs is missing: run `npm run build` first');
}

export function tempData(): string {
  return mkdtempSync(join(tmpdir(), 'prepaid-e2e-'));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export function setPassword(dataDir: string, password = PASSWORD): void {
  const r = spawnSync(process.execPath, [BUNDLE, 'passwd', '--data', dataDir], { input: password + '\n' });
  if (r.status !== 0) throw new Error(`passwd failed: ${r.stderr}`);
}

export interface Running {
  proc: ChildProcess;
  port: number;
  lines: string[];
  base: string;
  waitLine(re: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

/** `engine` null: no `--engine`, the link follows the general parameters. */
export async function startBundle(o: { dataDir: string; engine: string | null; port?: number; env?: Record<string, string> }): Promise<Running> {
  requireBundle();
  const port = o.port ?? (await freePort());
  const engine = o.engine === null ? [] : ['--engine', o.engine];
  const proc = spawn(process.execPath, [BUNDLE, 'serve', '--data', o.dataDir, '--http', String(port), ...engine], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...o.env },
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let buf = '';
  const onData = (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
    for (const w of [...waiters]) w();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const waitLine = (re: RegExp, timeoutMs = 10_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const l = lines.find((x) => re.test(x));
        if (l) {
          waiters.delete(check);
          clearTimeout(t);
          resolve(l);
        }
      };
      const t = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no log line ${re} in ${timeoutMs} ms; got:\n${lines.slice(-30).join('\n')}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  await waitLine(/APPLIANCE_STARTED/, 15_000);
  return {
    proc,
    port,
    lines,
    base: `http://127.0.0.1:${port}`,
    waitLine,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
    kill9: async () => {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

const AUTH = 'Basic ' + Buffer.from(`admin:${PASSWORD}`).toString('base64');

export async function api<T = any>(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const r = await fetch(base + path, {
    method,
    headers: { authorization: AUTH, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // CSV or empty
  }
  return { status: r.status, body: parsed as T };
}

export async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
