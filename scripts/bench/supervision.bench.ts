// Benchmark: the admin page's Supervision screen with 1,000 live calls.
// The BUILT bundle (dist/prepaid.mjs, `npm run build` first) runs against an EngineEmulator on
// loopback; 1,000 users (Caller ID + credit, created over the JSON API) each place one call
// through the one-step service, so 1,000 calls are connected at once. Headless Chromium
// (Debian's) logs in through the page and opens Supervision.
// Measured:
//  1. latency from the engine's CONNECTED (emulator connectedAt) to the call's row showing
//     "connected", and from ENDED (emulator ended.at) to the row leaving the table, for further
//     calls (from 100 spare users) placed and hung up while the 1,000 stay up; split at the
//     moment the page's WebSocket receives the first message that shows the change;
//  2. with 1,000 calls up, over 20 s: how often the table changes, how often each row's
//     Duration ticks, the appliance's CPU (/proc/<pid>/stat), the renderer's main-thread CPU
//     (CDP Performance metrics in thread time) and the renderer process CPU (/proc), the /ws
//     message sizes.
// Peer, in the same run: no page, a client polling `GET api/calls` once a second (server CPU),
// against a baseline with 1,000 calls up and nobody watching.
//
// Chromium is driven over a bare DevTools connection (Page, Runtime, Input, Performance), not
// playwright: playwright always enables the Network domain, which copies every /ws message
// (240 KB here) into the protocol, on the renderer's main thread and into this process: a cost
// no admin's browser pays, and one that skewed the first runs of this benchmark.
// Run: npx tsx scripts/bench/supervision.bench.ts [--contend]  (writes docs/benchmarks/supervision.md)
// --contend: one busy loop per core runs from the moment the page opens, as on a busy PC or a
// slow one (the appliance, the page and the emulator all compete with them).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import WebSocket from 'ws';
import { EngineEmulator } from '../../src/engine/emulator.ts';
import { api, PASSWORD, setPassword, startBundle, tempData, until, type Running } from '../../src/e2e/harness.ts';

const CALLS = 1000;
const WINDOW_MS = 20_000;
const SAMPLES = 100; // latency samples (each: one CONNECTED and one ENDED)
const LANES = 5; // samples placed in parallel
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const TICK_HZ = Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString().trim()) || 100;
const OUT = join(process.cwd(), 'docs', 'benchmarks', 'supervision.md');
const CONTEND = process.argv.includes('--contend');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const callerOf = (i: number) => `06${String(10_000_000 + i).slice(1)}`;

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const r1 = (x: number) => Math.round(x * 10) / 10;

// ---- /proc ----

function procStat(pid: number): { ppid: number; ticks: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return null;
  }
}

/** CPU seconds of one process (user + system). */
const cpuOf = (pid: number): number => (procStat(pid)?.ticks ?? 0) / TICK_HZ;

/** Chromium's processes (descendants of `root`), all and renderers. */
function browserProcs(root: number): { renderer: number[]; all: number[] } {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = procStat(Number(d));
    if (st) parent.set(Number(d), st.ppid);
  }
  const under = (pid: number): boolean => {
    for (let p = pid, n = 0; p > 1 && n < 64; p = parent.get(p) ?? 0, n++) if (p === root) return true;
    return false;
  };
  const all = [...parent.keys()].filter(under);
  const renderer = all.filter((p) => {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      return cmd.includes('--type=renderer') && !cmd.includes('--extension-process');
    } catch {
      return false;
    }
  });
  return { renderer, all };
}
const cpuSum = (pids: number[]) => pids.reduce((s, p) => s + cpuOf(p), 0);

// ---- a bare DevTools connection to one page ----

class Cdp {
  private seq = 0;
  private readonly waiting = new Map<number, { ok(v: unknown): void; ko(e: Error): void }>();
  constructor(private readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as { id?: number; error?: { message: string }; result?: unknown };
      if (m.id === undefined) return;
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.error) w?.ko(new Error(m.error.message));
      else w?.ok(m.result);
    });
  }

  send<T = any>(method: string, params: object = {}): Promise<T> {
    const id = ++this.seq;
    this.ws.send(JSON.stringify({ id, method, params }));
    return new Promise((ok, ko) => this.waiting.set(id, { ok: ok as (v: unknown) => void, ko }));
  }

  /** Runs `fn(arg)` in the page (fn must be self-contained) and returns its JSON value. */
  async run<A, T>(fn: (arg: A) => T | Promise<T>, arg?: A): Promise<T> {
    const expression = `(${fn.toString()})(${arg === undefined ? '' : JSON.stringify(arg)})`;
    const r = await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  async waitFor(what: string, fn: () => boolean, timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await this.run(fn))) {
      if (Date.now() > end) throw new Error(`page: timed out waiting for ${what}`);
      await sleep(50);
    }
  }

  close(): void {
    this.ws.close();
  }
}

async function launchChromium(profile: string): Promise<{ proc: ChildProcess; page: Cdp; version: string; close(): Promise<void> }> {
  const proc = spawn(CHROMIUM, [...CHROMIUM_ARGS, '--remote-debugging-port=0', `--user-data-dir=${profile}`, '--window-size=1280,800', 'about:blank'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const endpoint = await new Promise<string>((ok, ko) => {
    let buf = '';
    const t = setTimeout(() => ko(new Error(`chromium did not start: ${buf}`)), 30_000);
    proc.stderr!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(buf);
      if (m) {
        clearTimeout(t);
        ok(m[1]!);
      }
    });
  });
  const port = new URL(endpoint).port;
  const version = ((await (await fetch(`http://127.0.0.1:${port}/json/version`)).json()) as { Browser: string }).Browser;
  let target = '';
  for (let i = 0; i < 100 && !target; i++) {
    const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { type: string; webSocketDebuggerUrl: string }[];
    target = list.find((t) => t.type === 'page')?.webSocketDebuggerUrl ?? '';
    if (!target) await sleep(100);
  }
  const ws = new WebSocket(target, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  await new Promise((ok, ko) => {
    ws.once('open', ok);
    ws.once('error', ko);
  });
  const page = new Cdp(ws);
  return {
    proc,
    page,
    version,
    close: async () => {
      page.close();
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
}

// ---- the page's side ----

interface Wire {
  /** Every /ws message: [arrival time, characters]. */
  frames: [number, number][];
  /** Watched calls: first message showing it connected / without it (0 = not yet). */
  connect: Record<string, number>;
  gone: Record<string, number>;
}

/** Installed before the page's own script: notes each /ws message as it arrives. */
const WIRE_SCRIPT = `(() => {
  globalThis.__name = (f) => f; // tsx (esbuild keepNames) wraps the probes sent below
  const wire = { frames: [], connect: {}, gone: {} };
  window.__wire = wire;
  const Native = WebSocket;
  window.WebSocket = class extends Native {
    constructor(...a) {
      super(...a);
      this.addEventListener('message', (e) => {
        const at = Date.now();
        const text = String(e.data);
        wire.frames.push([at, text.length]);
        for (const id in wire.connect) {
          if (wire.connect[id]) continue;
          const i = text.indexOf('"callId":"' + id + '"');
          if (i >= 0 && text.slice(i, text.indexOf('}', i)).includes('"status":"connected"')) wire.connect[id] = at;
        }
        for (const id in wire.gone) if (!wire.gone[id] && !text.includes('"callId":"' + id + '"')) wire.gone[id] = at;
      });
    }
  };
})()`;

interface PageProbe {
  /** Time of every observer callback (one per render that changed the table). */
  batches: number[];
  /** callId → first time its row showed status connected / left the table. */
  connected: Record<string, number>;
  gone: Record<string, number>;
  /** Duration text changes of a few watched rows: callId → times. */
  ticks: Record<string, number[]>;
  longTasks: number;
}

/** Runs in the page: a MutationObserver on the calls table. */
function installProbe(tickRows: string[]): void {
  const w = window as unknown as { __probe: PageProbe; __observer?: MutationObserver; __longTasks?: PerformanceObserver };
  w.__observer?.disconnect();
  w.__longTasks?.disconnect();
  const probe: PageProbe = { batches: [], connected: {}, gone: {}, ticks: {}, longTasks: 0 };
  w.__probe = probe;
  const last: Record<string, string> = {};
  const tbody = document.querySelector('table.calls tbody')!;
  const rowOf = (n: Node | null): HTMLElement | null => {
    const el = n instanceof Element ? n : n?.parentElement ?? null;
    return el?.closest('tr[data-call]') as HTMLElement | null;
  };
  for (const id of tickRows) {
    probe.ticks[id] = [];
    last[id] = tbody.querySelector(`tr[data-call="${id}"] td.duration`)?.textContent ?? '';
  }
  w.__observer = new MutationObserver((records) => {
    const now = Date.now();
    probe.batches.push(now);
    const seen = new Set<HTMLElement>();
    for (const r of records) {
      for (const n of Array.from(r.removedNodes)) {
        if (n instanceof HTMLElement && n.matches('tr[data-call]') && !n.isConnected) {
          const id = n.getAttribute('data-call')!;
          if (!(id in probe.gone)) probe.gone[id] = now;
        }
      }
      for (const n of Array.from(r.addedNodes)) {
        if (n instanceof HTMLElement && n.matches('tr[data-call]')) seen.add(n);
      }
      const row = rowOf(r.target);
      if (row) seen.add(row);
    }
    for (const row of seen) {
      const id = row.getAttribute('data-call')!;
      if (!(id in probe.connected) && row.isConnected && row.querySelector('.st.connected')) probe.connected[id] = now;
      if (id in probe.ticks) {
        const d = row.querySelector('td.duration')?.textContent ?? '';
        if (d !== last[id]) {
          last[id] = d;
          probe.ticks[id]!.push(now);
        }
      }
    }
  });
  w.__observer.observe(tbody, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['class'] });
  try {
    w.__longTasks = new PerformanceObserver((l) => (probe.longTasks += l.getEntries().length));
    w.__longTasks.observe({ type: 'longtask', buffered: false });
  } catch {
    // not supported: stays 0
  }
}

// ---- phases ----

interface Span {
  serverCpuS: number;
  ms: number;
}

async function serverSpan(app: Running, during: () => Promise<void>): Promise<Span> {
  const c0 = cpuOf(app.proc.pid!);
  const t0 = performance.now();
  await during();
  return { serverCpuS: cpuOf(app.proc.pid!) - c0, ms: performance.now() - t0 };
}

const cpuPct = (w: Span) => (100 * w.serverCpuS) / (w.ms / 1000);

async function cdpMetrics(cdp: Cdp): Promise<Record<string, number>> {
  const { metrics } = await cdp.send<{ metrics: { name: string; value: number }[] }>('Performance.getMetrics');
  return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  const load0 = loadavg()[0]!;
  const emu = await EngineEmulator.start({ promptMs: 50, dial: { kind: 'answer', afterMs: 300 }, keepLines: 2000 });
  const dataDir = tempData();
  setPassword(dataDir);
  const app = await startBundle({ dataDir, engine: emu.address });
  const tmp = mkdtempSync(join(tmpdir(), 'prepaid-bench-www-'));
  let browser: Awaited<ReturnType<typeof launchChromium>> | null = null;
  const hogs: ChildProcess[] = [];
  try {
    await until('link up', async () => ((await api(app.base, 'GET', '/health')).body as { engine?: string }).engine === 'up' || undefined, 15_000);

    // users: Caller ID 06xxxxxxx, credit for days at the DEFAULT rate
    console.log(`creating ${CALLS + SAMPLES} users…`);
    const ids = Array.from({ length: CALLS + SAMPLES }, (_, i) => String(50_000 + i));
    for (let i = 0; i < ids.length; i += 25) {
      await Promise.all(
        ids.slice(i, i + 25).map(async (id, k) => {
          const n = i + k;
          const u = await api(app.base, 'POST', '/api/users', { id, name: `Bench ${n}`, pin: String(70_000_000 + n), callerId: callerOf(n) });
          if (u.status !== 201) throw new Error(`create ${id}: ${u.status} ${JSON.stringify(u.body)}`);
          const c = await api(app.base, 'POST', `/api/users/${id}/credit`, { units: 100_000_000 });
          if (c.status !== 200) throw new Error(`credit ${id}: ${c.status} ${JSON.stringify(c.body)}`);
        }),
      );
    }

    // 1,000 calls, 50 every 100 ms
    console.log(`placing ${CALLS} calls…`);
    const callOfUser: string[] = [];
    for (let i = 0; i < CALLS; i++) {
      callOfUser[i] = emu.offer({ from: callerOf(i), to: `0145${String(i).padStart(6, '0')}` });
      if (i % 50 === 49) await sleep(100);
    }
    await until('all connected (engine)', () => callOfUser.every((c) => emu.call(c)?.state === 'connected') || undefined, 60_000);
    await until('all connected (api)', async () => {
      const list = (await api(app.base, 'GET', '/api/calls')).body as { status: string }[];
      return (list.length === CALLS && list.every((c) => c.status === 'connected')) || undefined;
    }, 30_000);

    // baseline: 1,000 calls up, nobody watching
    console.log('baseline: nobody watching…');
    await sleep(2000);
    const idle = await serverSpan(app, () => sleep(WINDOW_MS));

    // peer: GET api/calls once a second, no page
    console.log('peer: polling GET api/calls once a second…');
    let polledBytes = 0;
    let deflated = 0; // one answer through permessage-deflate's compressor, for the notes
    const pollMs: number[] = [];
    const auth = 'Basic ' + Buffer.from(`admin:${PASSWORD}`).toString('base64');
    const polled = await serverSpan(app, async () => {
      const end = Date.now() + WINDOW_MS;
      for (let next = Date.now(); next < end; next += 1000) {
        await sleep(Math.max(0, next - Date.now()));
        const t0 = performance.now();
        const r = await fetch(`${app.base}/api/calls`, { headers: { authorization: auth } });
        const body = Buffer.from(await r.arrayBuffer());
        polledBytes += body.length;
        deflated = deflateRawSync(body).length;
        pollMs.push(performance.now() - t0);
      }
    });

    // the page: log in through it, then Supervision
    if (CONTEND) {
      for (const _ of cpus()) hogs.push(spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' }));
    }
    console.log(`opening the page${CONTEND ? ` (${hogs.length} busy loops running)` : ''}…`);
    browser = await launchChromium(join(tmp, 'profile'));
    const cdp = browser.page;
    await cdp.send('Page.enable');
    await cdp.send('Runtime.enable');
    await cdp.send('Page.addScriptToEvaluateOnNewDocument', { source: WIRE_SCRIPT });
    await cdp.send('Page.navigate', { url: `${app.base}/` });
    await cdp.waitFor('the login form', () => document.querySelector('input[type="password"]') !== null);
    await cdp.run(() => (document.querySelector('input[type="password"]') as HTMLInputElement).focus());
    await cdp.send('Input.insertText', { text: PASSWORD });
    await cdp.run(() => (document.querySelector('button[type="submit"]') as HTMLButtonElement).click());
    await cdp.waitFor('the menu', () => document.querySelector('nav') !== null);
    const tOpen = performance.now();
    await cdp.run(() => {
      location.hash = '#/supervision';
    });
    await cdp.waitFor(`${CALLS} rows`, () => document.querySelectorAll('table.calls tbody tr[data-call]').length >= 1000, 60_000);
    const firstFullMs = performance.now() - tOpen;
    // thread time: the renderer's own CPU, not inflated when other processes take the cores
    await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
    await sleep(3000);

    // steady state: 1,000 calls up, the page watching over /ws
    console.log('push: 1,000 calls on the page…');
    // rows watched for Duration ticks: those in sight, and some far down the table
    const inSight = await cdp.run(() =>
      Array.from(document.querySelectorAll('table.calls tbody tr[data-call]'))
        .filter((r) => {
          const b = r.getBoundingClientRect();
          return b.bottom > 0 && b.top < innerHeight;
        })
        .map((r) => r.getAttribute('data-call')!),
    );
    const farRows = Array.from({ length: 10 }, (_, k) => callOfUser[500 + k * 50]!);
    const tickRows = [...inSight, ...farRows];
    await cdp.run(installProbe, tickRows);
    const rPids = browserProcs(browser.proc.pid!).renderer;
    const m0 = await cdpMetrics(cdp);
    const b0 = cpuSum(browserProcs(browser.proc.pid!).all);
    const rc0 = cpuSum(rPids);
    const tw0 = Date.now();
    const pushed = await serverSpan(app, () => sleep(WINDOW_MS));
    const tw1 = Date.now();
    const m1 = await cdpMetrics(cdp);
    const b1 = cpuSum(browserProcs(browser.proc.pid!).all);
    const rc1 = cpuSum(rPids);
    const steady = await cdp.run(() => (window as unknown as { __probe: PageProbe }).__probe);
    const wire = await cdp.run(() => (window as unknown as { __wire: Wire }).__wire);
    const winFrames = wire.frames.filter(([t]) => t >= tw0 && t <= tw1);
    const batches = steady.batches.filter((t) => t >= tw0 && t <= tw1);
    const ticksOf = (rows: string[]) => {
      const gaps: number[] = [];
      let n = 0;
      for (const id of rows) {
        const inWin = (steady.ticks[id] ?? []).filter((t) => t >= tw0 && t <= tw1);
        n += inWin.length;
        for (let k = 1; k < inWin.length; k++) gaps.push(inWin[k]! - inWin[k - 1]!);
      }
      return { perRowPerS: n / Math.max(1, rows.length) / ((tw1 - tw0) / 1000), gaps };
    };
    const near = ticksOf(inSight);
    const far = ticksOf(farRows);
    const secs = (tw1 - tw0) / 1000;
    const md = (k: string) => (m1[k] ?? 0) - (m0[k] ?? 0);
    // a row far down the table, stale while out of sight, is current once scrolled to
    const farCall = callOfUser[950]!;
    const farAt = emu.call(farCall)!.connectedAt!;
    const t0 = Date.now();
    await cdp.run((id) => document.querySelector(`tr[data-call="${id}"]`)!.scrollIntoView({ block: 'center' }), farCall);
    let scrolledMs = Infinity;
    while (Date.now() - t0 < 3000) {
      const shown = Number(await cdp.run((id) => document.querySelector(`tr[data-call="${id}"] td.duration`)!.textContent, farCall));
      if (Math.abs(shown - (Date.now() - farAt) / 1000) <= 1.5) {
        scrolledMs = Date.now() - t0;
        break;
      }
      await sleep(20);
    }
    await cdp.run(() => window.scrollTo(0, 0));

    // latency: SAMPLES more calls from spare users, each connected then hung up, LANES at a
    // time, while the 1,000 stay up (nothing else asks the appliance anything meanwhile)
    console.log(`latency: ${SAMPLES} calls placed and ended while ${CALLS} stay up…`);
    await cdp.run(installProbe, []);
    const endedAt: Record<string, number> = {};
    const connectedAt: Record<string, number> = {};
    const watch = (kind: 'connect' | 'gone', id: string) =>
      cdp.run(([k, i]) => void ((window as unknown as { __wire: Wire }).__wire[k as 'connect' | 'gone'][i] = 0), [kind, id]);
    const lane = async (l: number) => {
      for (let k = l; k < SAMPLES; k += LANES) {
        const u = CALLS + k;
        const call = emu.offer({ from: callerOf(u), to: `0146${String(u).padStart(6, '0')}` });
        await watch('connect', call);
        await emu.waitFor(() => emu.call(call)?.connectedAt != null, 10_000, `connected ${call}`);
        connectedAt[call] = emu.call(call)!.connectedAt!;
        await sleep(1000 + Math.random() * 1000);
        await watch('gone', call);
        emu.hangupByCaller(call);
        endedAt[call] = emu.call(call)!.ended!.at;
        await sleep(500 + Math.random() * 500);
      }
    };
    const lt0 = Date.now();
    const lf0 = (await cdp.run(() => (window as unknown as { __wire: Wire }).__wire.frames.length));
    const lr0 = m1.TaskDuration ?? 0;
    await Promise.all(Array.from({ length: LANES }, (_, l) => lane(l)));
    await sleep(2000);
    const lt1 = Date.now();
    const m2 = await cdpMetrics(cdp);
    const lat = await cdp.run(() => (window as unknown as { __probe: PageProbe }).__probe);
    const wire2 = await cdp.run(() => (window as unknown as { __wire: Wire }).__wire);
    const lsecs = (lt1 - lt0) / 1000;
    const lBatches = lat.batches.filter((t) => t >= lt0 && t <= lt1).length;
    const late = (at: Record<string, number>, seen: Record<string, number>) =>
      Object.entries(at).map(([id, t]) => (seen[id] ? seen[id]! - t : Infinity));
    // when the appliance took each event: its log line's time (ms)
    const logged = (event: string): Record<string, number> => {
      const out: Record<string, number> = {};
      const re = new RegExp(`^(\\S+) ${event} call=(\\S+)`);
      for (const l of app.lines) {
        const m = re.exec(l);
        if (m) out[m[2]!] = Date.parse(m[1]!);
      }
      return out;
    };

    const res: Result = {
      chromium: browser.version,
      load: [load0, loadavg()[0]!],
      firstFullMs,
      idle, polled, pushed,
      polledBytes, pollMs, deflated,
      frames: winFrames.map(([, n]) => n), secs,
      batchesPerS: batches.length / secs,
      near, far, visibleRows: inSight.length, scrolledMs,
      longTasks: steady.longTasks,
      task: md('TaskDuration'), script: md('ScriptDuration'), layout: md('LayoutDuration'), style: md('RecalcStyleDuration'),
      rendererCpu: rc1 - rc0, browserCpu: b1 - b0,
      nodes: m1.Nodes ?? 0, heapMb: (m1.JSHeapUsedSize ?? 0) / 1e6,
      lConnect: late(connectedAt, lat.connected), lEnd: late(endedAt, lat.gone),
      wConnect: late(connectedAt, wire2.connect), wEnd: late(endedAt, wire2.gone),
      aConnect: late(connectedAt, logged('CALL_CONNECTED')), aEnd: late(endedAt, logged('CALL_ENDED')),
      latFramesPerS: (wire2.frames.length - lf0) / lsecs,
      latRendersPerS: lBatches / lsecs,
      latTaskPct: (100 * ((m2.TaskDuration ?? 0) - lr0)) / lsecs,
    };
    report(res);
  } finally {
    for (const h of hogs) h.kill('SIGKILL');
    await browser?.close().catch(() => {});
    await app.stop();
    await emu.close();
    rmSync(tmp, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface Ticks {
  perRowPerS: number;
  gaps: number[];
}

interface Result {
  chromium: string; load: [number, number]; firstFullMs: number;
  idle: Span; polled: Span; pushed: Span; polledBytes: number; pollMs: number[]; deflated: number;
  frames: number[]; secs: number; batchesPerS: number; near: Ticks; far: Ticks; visibleRows: number; scrolledMs: number; longTasks: number;
  task: number; script: number; layout: number; style: number; rendererCpu: number; browserCpu: number; nodes: number; heapMb: number;
  lConnect: number[]; lEnd: number[]; wConnect: number[]; wEnd: number[]; aConnect: number[]; aEnd: number[]; latFramesPerS: number; latRendersPerS: number; latTaskPct: number;
}

function report(r: Result): void {
  const fmtL = (xs: number[]) => {
    const miss = xs.filter((x) => !Number.isFinite(x)).length;
    const ok = xs.filter(Number.isFinite);
    return `| ${ok.length}${miss ? ` (+${miss} never seen)` : ''} | ${Math.round(pct(ok, 50))} | ${Math.round(pct(ok, 99))} | ${Math.round(Math.max(...ok))} |`;
  };
  const avgFrame = r.frames.reduce((a, b) => a + b, 0) / Math.max(1, r.frames.length);
  const of = (s: number) => r1((100 * s) / r.secs);
  const cpu = cpus();
  const polls = r.pollMs.length;
  const lines = [
    CONTEND ? `## Run with ${cpu.length} busy loops competing for the cores (--contend)` : '## Run, quiet',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpu.length} × ${cpu[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version},`,
    `${r.chromium} headless; load average ${r1(r.load[0])} at the start, ${r1(r.load[1])} at the end.`,
    `\`npm run build && npx tsx scripts/bench/supervision.bench.ts${CONTEND ? ' --contend' : ''}\`. The built bundle runs against an`,
    `EngineEmulator on loopback; ${CALLS} users (Caller ID + credit, created over the JSON API) each place one`,
    'call through the one-step service, all connected at once. Chromium logs in through the page and opens',
    'Supervision (1280 × 800 window). In the page, a MutationObserver on the calls table timestamps every',
    "change and a wrapper on WebSocket timestamps every /ws message (Date.now(), the emulator's clock too).",
    'CPU: /proc/<pid>/stat utime+stime over the window; the renderer main thread from the DevTools',
    "Performance metrics in thread time (TaskDuration, ScriptDuration, LayoutDuration, RecalcStyleDuration).",
    '',
    `### Latency, engine event → page (ms)`,
    '',
    `${SAMPLES} more calls (spare users), ${LANES} at a time, each connected then hung up 1–2 s later, while the ${CALLS} stay up.`,
    '',
    '| event | samples | p50 | p99 | max |',
    '| --- | --- | --- | --- | --- |',
    `| CONNECTED → row shows connected ${fmtL(r.lConnect)}`,
    `| ENDED → row gone ${fmtL(r.lEnd)}`,
    `| CONNECTED → the appliance logs CALL_CONNECTED ${fmtL(r.aConnect)}`,
    `| ENDED → the appliance logs CALL_ENDED ${fmtL(r.aEnd)}`,
    `| CONNECTED → first /ws message showing it connected ${fmtL(r.wConnect)}`,
    `| ENDED → first /ws message without it ${fmtL(r.wEnd)}`,
    '',
    `Meanwhile: ${r1(r.latFramesPerS)} /ws messages/s received, ${r1(r.latRendersPerS)} table renders/s, renderer main thread ${r1(r.latTaskPct)} % of a core.`,
    '',
    `### Steady state: ${CALLS} connected calls on the page, ${Math.round(r.secs)} s window`,
    '',
    '| figure | value |',
    '| --- | --- |',
    `| table renders (observer callbacks) | ${r1(r.batchesPerS)} /s |`,
    `| Duration ticks, the ${r.visibleRows} rows in sight | ${r1(r.near.perRowPerS)} /s per row; gap between ticks p50 ${Math.round(pct(r.near.gaps, 50))} ms, max ${Math.round(Math.max(...r.near.gaps))} ms |`,
    `| Duration ticks, 10 rows far out of sight | ${r1(r.far.perRowPerS)} /s per row |`,
    `| a far row scrolled into sight shows its current Duration after | ${Number.isFinite(r.scrolledMs) ? `${r.scrolledMs} ms` : 'not within 3 s'} (polled every 20 ms) |`,
    `| /ws messages | ${r1(r.frames.length / r.secs)} /s, ${Math.round(avgFrame / 1024)} KB each (uncompressed JSON; deflated: ${Math.round(r.deflated / 1024)} KB) |`,
    `| renderer main thread (CDP, thread time) | ${of(r.task)} % of a core (script ${of(r.script)} %, layout ${of(r.layout)} %, style ${of(r.style)} %) |`,
    `| renderer process CPU (/proc) | ${of(r.rendererCpu)} % of a core; whole browser ${of(r.browserCpu)} % |`,
    `| long tasks (> 50 ms) | ${r.longTasks} |`,
    `| DOM nodes, JS heap | ${r.nodes}, ${r1(r.heapMb)} MB |`,
    `| opening Supervision → all ${CALLS} rows in the table | ${Math.round(r.firstFullMs)} ms |`,
    '',
    `### Appliance CPU with ${CALLS} calls up: push vs polling (${Math.round(r.idle.ms / 1000)} s windows)`,
    '',
    '| who watches | appliance CPU (% of a core) | above nobody |',
    '| --- | --- | --- |',
    `| nobody (baseline: metering, link) | ${r1(cpuPct(r.idle))} | – |`,
    `| the page over /ws (on change + once a second) | ${r1(cpuPct(r.pushed))} | ${r1(cpuPct(r.pushed) - cpuPct(r.idle))} |`,
    `| peer: a client polling GET api/calls once a second | ${r1(cpuPct(r.polled))} | ${r1(cpuPct(r.polled) - cpuPct(r.idle))} |`,
    '',
    `Polling: ${polls} requests, ${Math.round(r.polledBytes / polls / 1024)} KB each, answered in p50 ${Math.round(pct(r.pollMs, 50))} ms / max ${Math.round(Math.max(...r.pollMs))} ms.`,
    '',
  ];
  const mode = CONTEND ? 'contended' : 'quiet';
  const text = lines.join('\n');
  console.log('\n' + text);
  mkdirSync(join(process.cwd(), 'docs', 'benchmarks'), { recursive: true });
  // each mode rewrites its own block; the rest of the file (notes, the other mode) stays
  const open = `<!-- bench:${mode} (generated by scripts/bench/supervision.bench.ts) -->`;
  const close = `<!-- /bench:${mode} -->`;
  const block = `${open}\n${text}\n${close}`;
  const prev = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '';
  const a = prev.indexOf(open);
  const b = prev.indexOf(close);
  let next: string;
  if (a >= 0 && b > a) next = prev.slice(0, a) + block + prev.slice(b + close.length);
  else if (prev.includes('\n## Notes')) next = prev.replace('\n## Notes', `\n${block}\n\n## Notes`);
  else next = `${prev}${prev ? '\n\n' : ''}${block}\n`;
  writeFileSync(OUT, next);
  console.log(`wrote ${OUT}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
