// Benchmark (firmware): bundle size, natives per target, and on this x64 host the cold
// start of the built bundle to /health OK and its idle RSS. Budgets: docs/benchmarks/firmware.md.
// Run: npm run build && node scripts/bench/firmware.bench.mjs   (firmware tarballs in dist/ are measured too)
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startBundle } from '../run-bundle.mjs';

export const BUDGETS = {
  bundleBytes: 1_200_000,        // dist/prepaid.mjs, unminified
  nativesBytes: 12_500_000,      // one target's native/ folder
  tarballBytes: 5_000_000,       // one firmware .tar.gz
  coldStartMs: 1_000,            // spawn → first 200 on /health, fresh data folder
  idleRssKb: 100 * 1024,         // 10 s after start, no engine, no call, no client
};

const dist = join(process.cwd(), 'dist');
const bundle = join(dist, 'prepaid.mjs');
if (!existsSync(bundle)) {
  console.error('dist/prepaid.mjs is missing: run `npm run build` first');
  process.exit(1);
}
const sizeOf = (p) => (statSync(p).isDirectory() ? readdirSync(p).reduce((n, f) => n + sizeOf(join(p, f)), 0) : statSync(p).size);
const verdict = (v, max) => (v <= max ? 'MET' : 'MISSED');
const fmt = (n) => n.toLocaleString('en-US');
let missed = 0;
const report = (label, v, max, unit) => {
  const ok = v <= max;
  if (!ok) missed++;
  console.log(`${label.padEnd(52)} ${fmt(v).padStart(12)} ${unit}  (budget ${fmt(max)} ${unit}: ${verdict(v, max)})`);
};

console.log(`machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} CPUs, Node ${process.version}, ${process.platform} ${process.arch}`);
report('bundle dist/prepaid.mjs', statSync(bundle).size, BUDGETS.bundleBytes, 'bytes');
for (const t of readdirSync(join(dist, 'native'))) report(`natives dist/native/${t}`, sizeOf(join(dist, 'native', t)), BUDGETS.nativesBytes, 'bytes');
for (const f of readdirSync(dist).filter((f) => /^prepaid-.*\.tar\.gz$/.test(f)).sort()) report(`firmware ${f}`, statSync(join(dist, f)).size, BUDGETS.tarballBytes, 'bytes');

const RUNS = 5;
const starts = [];
let rss = 0;
for (let i = 0; i < RUNS; i++) {
  const data = mkdtempSync(join(tmpdir(), 'prepaid-bench-'));
  const port = await freePort();
  const deadEngine = await freePort();   // nothing listens: the link retries, no call comes
  const app = startBundle({ command: process.execPath, args: [bundle, 'serve', '--data', data, '--http', String(port), '--engine', `127.0.0.1:${deadEngine}`], cwd: dist, port });
  try {
    starts.push((await app.waitHealthy(20_000)).ms);
    if (i === RUNS - 1) {
      await new Promise((r) => setTimeout(r, 10_000));
      rss = await app.rssKb();
    }
  } finally {
    const exit = await app.stop();
    if (exit.code !== 0) console.log(`warning: exit ${JSON.stringify(exit)} after SIGTERM`);
    rmSync(data, { recursive: true, force: true });
  }
}
starts.sort((a, b) => a - b);
console.log(`cold starts (ms): ${starts.join(', ')}`);
report('cold start to /health OK (median)', starts[Math.floor(RUNS / 2)], BUDGETS.coldStartMs, 'ms');
report('idle RSS after 10 s', rss, BUDGETS.idleRssKb, 'kB');
process.exit(missed ? 1 : 0);
