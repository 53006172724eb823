// Benchmark (firmware): bundle size, natives per target, and on this x64 host the cold
// start of the built bundle to /health OK and its idle RSS. Budgets: docs/benchmarks/firmware.md.
// Run: npm run build && node scripts/bench/firmware.bench.mjs [--qemu]   (firmware tarballs in dist/ are measured too)
// --qemu also runs the ARM tarballs in dist/ under qemu user-mode emulation (the runtimes
// and sysroots of `npm run test:arm`, which must have run once) and gives their figures
// relative to `node -e 0` on the same emulator: emulated times say nothing about a box.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startBundle } from '../run-bundle.mjs';

export const BUDGETS = {
  bundleBytes: 1_200_000,        // dist/prepaid.mjs, unminified
  nativesBytes: 12_500_000,      // one target's native/ folder
  tarballBytes: 5_000_000,       // one firmware .tar.gz
  coldStartMs: 300,              // spawn → first 200 on /health, fresh data folder (issue 5 goal)
  idleRssKb: 60 * 1024,          // 10 s after start, no engine, no call, no client (issue 5 goal)
};
const COLD_RUNS = 11;
const RSS_RUNS = 3;
const IDLE_MS = 10_000;
const QEMU_RUNS = 5;

const dist = join(process.cwd(), 'dist');
const bundle = join(dist, 'prepaid.mjs');
if (!existsSync(bundle)) {
  console.error('dist/prepaid.mjs is missing: run `npm run build` first');
  process.exit(1);
}
const sizeOf = (p) => (statSync(p).isDirectory() ? readdirSync(p).reduce((n, f) => n + sizeOf(join(p, f)), 0) : statSync(p).size);
const verdict = (v, max) => (v <= max ? 'MET' : 'MISSED');
const fmt = (n) => n.toLocaleString('en-US');
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let missed = 0;
const report = (label, v, max, unit) => {
  const ok = v <= max;
  if (!ok) missed++;
  console.log(`${label.padEnd(52)} ${fmt(v).padStart(12)} ${unit}  (budget ${fmt(max)} ${unit}: ${verdict(v, max)})`);
};

/** One GET /health without keep-alive; resolves with the status (0 when nothing listens). */
function healthStatus(port) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(5_000, () => req.destroy());
    req.end();
  });
}

/**
 * Spawn → first 200 on /health, in ms. Polls every 5 ms: run-bundle's 100 ms poll (fine
 * for tests) would round a 250 ms start up to the next poll.
 */
async function coldStart({ command, args, cwd, port, timeoutMs }) {
  const t0 = performance.now();
  const app = startBundle({ command, args, cwd, port });
  while (performance.now() - t0 < timeoutMs) {
    if (app.exit) throw new Error(`exited ${JSON.stringify(app.exit)} before /health answered:\n${app.lines.slice(-10).join('\n')}`);
    if ((await healthStatus(port)) === 200) return { ms: Math.round(performance.now() - t0), app };
    await sleep(5);
  }
  await app.stop(5_000);
  throw new Error(`/health not OK within ${timeoutMs} ms`);
}

/** VmRSS (kB) of `command args` left idle for `idleMs` (a process that does not exit by itself). */
async function idleRssOf(command, args) {
  const child = spawn(command, args, { stdio: 'ignore' });
  await sleep(IDLE_MS);
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  return kb;
}

/** Wall ms of `command args` run to its exit (e.g. `node -e 0`), median of `runs`. */
function wallMs(command, args, runs) {
  const t = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(command, args, { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.status ?? r.signal}`);
    t.push(performance.now() - t0);
  }
  return Math.round(median(t));
}

/** Cold starts (ms, sorted) and idle RSS (kB, per run) of `node prepaid.mjs serve` with no engine listening. */
async function serveFigures({ command, pre = [], entry, cwd, coldRuns, rssRuns, timeoutMs }) {
  const starts = [];
  const rss = [];
  for (let i = 0; i < coldRuns; i++) {
    const data = mkdtempSync(join(tmpdir(), 'prepaid-bench-'));
    const port = await freePort();
    const deadEngine = await freePort();   // nothing listens: the link retries, no call comes
    const { ms, app } = await coldStart({ command, args: [...pre, entry, 'serve', '--data', data, '--http', String(port), '--engine', `127.0.0.1:${deadEngine}`], cwd, port, timeoutMs });
    try {
      starts.push(ms);
      if (i < rssRuns) {
        await sleep(IDLE_MS);
        rss.push(await app.rssKb());
      }
    } finally {
      const exit = await app.stop();
      if (exit.code !== 0) console.log(`warning: exit ${JSON.stringify(exit)} after SIGTERM`);
      rmSync(data, { recursive: true, force: true });
    }
  }
  return { starts: starts.sort((a, b) => a - b), rss };
}

console.log(`machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} CPUs, Node ${process.version}, ${process.platform} ${process.arch}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
report('bundle dist/prepaid.mjs', statSync(bundle).size, BUDGETS.bundleBytes, 'bytes');
for (const t of readdirSync(join(dist, 'native'))) report(`natives dist/native/${t}`, sizeOf(join(dist, 'native', t)), BUDGETS.nativesBytes, 'bytes');
const tarballs = readdirSync(dist).filter((f) => /^prepaid-.*\.tar\.gz$/.test(f)).sort();
for (const f of tarballs) report(`firmware ${f}`, statSync(join(dist, f)).size, BUDGETS.tarballBytes, 'bytes');

// x64, this host: node -e 0 first, as the yardstick of how busy the machine is
const nodeZero = wallMs(process.execPath, ['-e', '0'], 5);
const nodeIdle = await idleRssOf(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
const x64 = await serveFigures({ command: process.execPath, entry: bundle, cwd: dist, coldRuns: COLD_RUNS, rssRuns: RSS_RUNS, timeoutMs: 20_000 });
console.log(`node -e 0: ${nodeZero} ms (median of 5); idle bare node: ${fmt(nodeIdle)} kB`);
console.log(`cold starts (ms): ${x64.starts.join(', ')} (median ${(median(x64.starts) / nodeZero).toFixed(1)} × node -e 0); idle RSS (kB): ${x64.rss.join(', ')}`);
report(`cold start to /health OK (median of ${COLD_RUNS})`, median(x64.starts), BUDGETS.coldStartMs, 'ms');
report(`idle RSS after ${IDLE_MS / 1000} s (median of ${RSS_RUNS})`, median(x64.rss), BUDGETS.idleRssKb, 'kB');

if (process.argv.includes('--qemu')) {
  const { TARGETS } = await import('../test-arm.mjs');
  const { fetchPackage } = await import('../npm-fetch.mjs');
  console.log(`\nunder qemu user-mode emulation (median of ${QEMU_RUNS}; idle RSS of the qemu process, one run)`);
  for (const t of TARGETS) {
    const f = tarballs.find((x) => x.endsWith(`-linux-${t.arch}-node${t.node}.tar.gz`));
    if (!f) {
      console.log(`[${t.name}] no dist/prepaid-*-linux-${t.arch}-node${t.node}.tar.gz: run npm run test:arm first`);
      continue;
    }
    let sysroot;
    try {
      sysroot = t.sysroot(() => {});
    } catch (e) {
      console.log(`[${t.name}] skipped: ${e.message}`);
      continue;
    }
    const nodeBin = join(fetchPackage(t.runtime[0], t.runtime[1], { log: () => {} }), 'bin', 'node');
    const work = mkdtempSync(join(tmpdir(), `prepaid-bench-${t.name}-`));
    try {
      spawnSync('tar', ['-xzf', join(dist, f), '-C', work]);
      const dir = join(work, readdirSync(work)[0]);
      const pre = ['-L', sysroot, nodeBin];
      const zero = wallMs(t.qemu, [...pre, '-e', '0'], QEMU_RUNS);
      const idle = await idleRssOf(t.qemu, [...pre, '-e', 'setInterval(() => {}, 1000)']);
      const r = await serveFigures({ command: t.qemu, pre, entry: 'prepaid.mjs', cwd: dir, coldRuns: QEMU_RUNS, rssRuns: 1, timeoutMs: 180_000 });
      const cold = median(r.starts);
      console.log(`[${t.name}] Node ${t.runtime[1]}: node -e 0 ${fmt(zero)} ms; cold start to /health ${fmt(cold)} ms (${(cold / zero).toFixed(1)} × node -e 0; runs ${r.starts.join(', ')}); idle RSS ${fmt(r.rss[0])} kB (bare idle node ${fmt(idle)} kB, +${fmt(r.rss[0] - idle)} kB)`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
}
process.exit(missed ? 1 : 0);
