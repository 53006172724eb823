// The Buildroot init script for real: S95prepaid run against a scratch folder (its settings
// file named by PREPAID_DEFAULTS) starts the built bundle under start-stop-daemon through
// its respawn loop. kill -9 of prepaid brings it back; `stop` ends everything with exit 0.
// Run with the system's start-stop-daemon (dpkg's) and, when installed, BusyBox's (the one
// a Buildroot box has), with the script itself under BusyBox's ash.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BUNDLE, freePort, requireBundle, until } from './harness.ts';

const SCRIPT = join(process.cwd(), 'buildroot', 'package', 'prepaid', 'S95prepaid');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const HAS_SSD = has('start-stop-daemon');
const HAS_BUSYBOX = has('busybox');
const HAS_BUSYBOX_SSD = HAS_BUSYBOX && /^start-stop-daemon$/m.test(spawnSync('busybox', ['--list']).stdout?.toString() ?? '');

/** State and parent of a process, from /proc; null once it is gone. */
function proc(pid: number): { state: string; ppid: number; cmdline: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return { state: rest[0]!, ppid: Number(rest[1]), cmdline };
  } catch {
    return null;
  }
}
/** Running (a zombie left to an init that does not reap counts as gone). */
const alive = (pid: number) => {
  const p = proc(pid);
  return p !== null && p.state !== 'Z';
};
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((p) => proc(p)?.ppid === pid && alive(p));
}

async function health(port: number): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) })).status;
  } catch {
    return 0; // refused: nothing listens
  }
}

interface Variant {
  name: string;
  /** How the script is run ('sh' is dash on Debian, BusyBox's ash on a box). */
  shell: string[];
  /** A folder put first on PATH (BusyBox's start-stop-daemon), or null. */
  pathDir: (root: string) => string | null;
  skip: string | false;
}

const variants: Variant[] = [
  {
    name: "the system's start-stop-daemon (dpkg)",
    shell: ['sh'],
    pathDir: () => null,
    skip: HAS_SSD ? false : 'start-stop-daemon is not installed (dpkg or BusyBox provides it)',
  },
  {
    name: "BusyBox's start-stop-daemon and ash",
    shell: ['busybox', 'sh'],
    pathDir: (root) => {
      const dir = join(root, 'bin');
      mkdirSync(dir);
      symlinkSync(spawnSync('sh', ['-c', 'command -v busybox']).stdout.toString().trim(), join(dir, 'start-stop-daemon'));
      return dir;
    },
    skip: HAS_BUSYBOX_SSD ? false : 'BusyBox with its start-stop-daemon applet is not installed',
  },
];

function scratch(port: number, args = `--engine demo --http ${port}`) {
  const root = mkdtempSync(join(tmpdir(), 'prepaid-init-'));
  const defaults = join(root, 'default');
  const settings = (file: string, serveArgs: string) =>
    writeFileSync(
      file,
      [
        `PIDFILE="${root}/prepaid.pid"`,
        `NODE="${process.execPath}"`,
        `BUNDLE="${BUNDLE}"`,
        // root runs it as root; anyone else as themselves (an empty user skips --chuid)
        `PREPAID_USER="${process.getuid?.() === 0 ? 'root' : ''}"`,
        `PREPAID_DATA="${root}/data"`,
        `PREPAID_LOG="${root}/prepaid.log"`,
        `PREPAID_ARGS="${serveArgs}"`,
        'PREPAID_RESPAWN_DELAY=1',
        'PREPAID_STOP_TIMEOUT=10',
        '',
      ].join('\n'),
    );
  settings(defaults, args);
  return { root, defaults, pidfile: join(root, 'prepaid.pid'), log: join(root, 'prepaid.log') };
}

function runScript(v: Variant, action: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(v.shell[0]!, [...v.shell.slice(1), SCRIPT, action], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`S95prepaid ${action} did not return in 30 s: ${out}`));
    }, 30_000);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

describe('S95prepaid: respawn after a crash, clean stop', () => {
  for (const v of variants) {
    it(`with ${v.name}`, { skip: v.skip }, async (t) => {
      requireBundle();
      const port = await freePort();
      const s = scratch(port);
      const dir = v.pathDir(s.root);
      const env = { ...process.env, PREPAID_DEFAULTS: s.defaults, PATH: dir ? `${dir}:${process.env.PATH}` : process.env.PATH };
      const run = (action: string) => runScript(v, action, env);
      const started: number[] = [];
      t.after(() => {
        // whatever failed, nothing we started stays behind
        for (const pid of started) if (alive(pid)) process.kill(pid, 'SIGKILL');
        rmSync(s.root, { recursive: true, force: true });
      });
      const logText = () => (existsSync(s.log) ? readFileSync(s.log, 'utf8') : '');

      // start: the loop holds the pidfile, prepaid is its child
      let r = await run('start');
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /Starting prepaid: OK/);
      const loop = Number(readFileSync(s.pidfile, 'utf8'));
      started.push(loop);
      assert.match(proc(loop)?.cmdline ?? '', /S95prepaid respawn$/, 'the pidfile holds the respawn loop');
      await until('/health', async () => (await health(port)) === 200 || undefined, 15_000);
      const [first] = childrenOf(loop);
      assert.ok(first, 'prepaid runs under the loop');
      started.push(first);
      assert.match(proc(first)!.cmdline, /prepaid\.mjs serve --data \S+ --engine demo/);

      r = await run('start');
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /already running/);
      assert.equal(Number(readFileSync(s.pidfile, 'utf8')), loop);
      r = await run('status');
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /prepaid is running/);

      // kill -9: the loop starts prepaid again after PREPAID_RESPAWN_DELAY
      const killedAt = Date.now();
      process.kill(first, 'SIGKILL');
      const second = await until(
        'a new prepaid answering /health',
        async () => {
          const [c] = childrenOf(loop);
          return c !== undefined && c !== first && (await health(port)) === 200 ? c : undefined;
        },
        10_000,
      );
      started.push(second);
      const back = Date.now() - killedAt;
      assert.ok(back < 8000, `back after ${back} ms`);
      assert.match(logText(), /RESPAWN exit=137 signal=9 delay=1/);
      assert.ok(alive(loop));

      // stop: SIGTERM to the loop reaches prepaid, which stops cleanly; no respawn
      r = await run('stop');
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /Stopping prepaid: [^]*OK/);
      assert.equal(alive(loop), false, 'the loop is gone');
      assert.equal(alive(second), false, 'prepaid is gone');
      assert.equal(existsSync(s.pidfile), false);
      assert.equal(await health(port), 0);
      assert.match(logText(), /APPLIANCE_STOPPED[^]*RESPAWN_END exit=0\s*$/);
      r = await run('status');
      assert.equal(r.code, 3, r.out);
      assert.match(r.out, /prepaid is not running/);

      // prepaid itself exits 0 (SIGTERM to it directly): the loop ends, nothing comes back;
      // the stale pidfile does not stop the next start
      r = await run('start');
      assert.equal(r.code, 0, r.out);
      const loop2 = Number(readFileSync(s.pidfile, 'utf8'));
      started.push(loop2);
      await until('/health', async () => (await health(port)) === 200 || undefined, 15_000);
      const [third] = childrenOf(loop2);
      started.push(third!);
      process.kill(third!, 'SIGTERM');
      await until('the loop ends', () => !alive(loop2) || undefined, 10_000);
      await new Promise((res) => setTimeout(res, 1500)); // longer than the respawn delay
      assert.equal(await health(port), 0, 'not restarted after exit 0');
      assert.equal(logText().match(/RESPAWN exit=/g)?.length, 1, 'only the kill -9 was restarted');
      r = await run('start');
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /Starting prepaid: OK/);
      started.push(Number(readFileSync(s.pidfile, 'utf8')));
      await until('/health', async () => (await health(port)) === 200 || undefined, 15_000);
      r = await run('stop');
      assert.equal(r.code, 0, r.out);
      assert.equal(await health(port), 0);
    });
  }

  it("the respawn loop under BusyBox's ash: kill -9 restarts, SIGTERM is passed on and ends it", { skip: HAS_BUSYBOX ? false : 'BusyBox is not installed' }, async (t) => {
    // start-stop-daemon runs the loop with /bin/sh, which is dash here and ash on a box
    requireBundle();
    const port = await freePort();
    const s = scratch(port);
    const loop = spawn('busybox', ['sh', SCRIPT, 'respawn'], { env: { ...process.env, PREPAID_DEFAULTS: s.defaults }, stdio: 'ignore' });
    const exited = new Promise<number | null>((res) => loop.on('exit', (code) => res(code)));
    const pids: number[] = [loop.pid!];
    t.after(() => {
      for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
      rmSync(s.root, { recursive: true, force: true });
    });
    await until('/health', async () => (await health(port)) === 200 || undefined, 15_000);
    const [first] = childrenOf(loop.pid!);
    pids.push(first!);
    process.kill(first!, 'SIGKILL');
    const second = await until(
      'a new prepaid',
      async () => {
        const [c] = childrenOf(loop.pid!);
        return c !== undefined && c !== first && (await health(port)) === 200 ? c : undefined;
      },
      10_000,
    );
    pids.push(second);
    loop.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(alive(second), false);
    const log = readFileSync(s.log, 'utf8');
    assert.match(log, /RESPAWN exit=137 signal=9 delay=1[^]*SIGNAL signal=SIGTERM[^]*APPLIANCE_STOPPED[^]*RESPAWN_END exit=0\s*$/);
  });

  it('start says FAIL when prepaid does not start (a usage error), and leaves no pidfile', { skip: variants[0]!.skip }, async (t) => {
    requireBundle();
    const s = scratch(await freePort(), '--no-such-flag');
    t.after(() => rmSync(s.root, { recursive: true, force: true }));
    const r = await runScript(variants[0]!, 'start', { ...process.env, PREPAID_DEFAULTS: s.defaults });
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /Starting prepaid: FAIL \(see \S+prepaid\.log\)/);
    assert.equal(existsSync(s.pidfile), false);
  });

  it('a usage error (exit 2) is not restarted', { skip: variants[0]!.skip }, async (t) => {
    requireBundle();
    const s = scratch(await freePort(), '--no-such-flag');
    t.after(() => rmSync(s.root, { recursive: true, force: true }));
    const r = await runScript(variants[0]!, 'respawn', { ...process.env, PREPAID_DEFAULTS: s.defaults });
    assert.equal(r.code, 2);
    const log = readFileSync(s.log, 'utf8');
    assert.match(log, /unknown option "--no-such-flag"/);
    assert.match(log, /RESPAWN_END exit=2/);
    assert.doesNotMatch(log, /RESPAWN exit=/);
  });
});
