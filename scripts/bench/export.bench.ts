// Benchmark: CDR export as CSV over HTTP.
//
//   node --expose-gc --import tsx scripts/bench/export.bench.ts [--rows 1000000] [--rounds 3] [--warmup 50000] [--baseline-first] [--out docs/benchmarks/export.md]
//
// A real Store in a temp dir is filled with `rows` CDRs, then the real web server (uWS,
// admin auth, the reports route module) serves GET /api/cdrs.csv to a client in a child
// process that reads the stream to the end and discards it. Measured: rows/s as the client
// sees them (request to last byte), and the server process's peak RSS growth during the
// export (sampled every 5 ms, from a GC'd baseline taken just before the request).
// The baseline is a plain writer in the same server and run: GET /api/bench/cdrs.ndjson,
// JSON.stringify per row, batched into the same 64 KB chunks with the same back-pressure,
// so the difference is the CSV formatting (csv-stringify, local dates, defusing).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setLogSink } from '../../src/log.ts';
import { reportRoutes } from '../../src/reports/routes.ts';
import { Store, type Cdr } from '../../src/store/index.ts';
import type { Appliance } from '../../src/web/appliance.ts';
import { hashPassword } from '../../src/web/auth.ts';
import type { RouteModule } from '../../src/web/http.ts';
import { startWeb } from '../../src/web/server.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const ROWS = Number(arg('rows', '1000000'));
const ROUNDS = Number(arg('rounds', '3'));
const WARMUP = Number(arg('warmup', '50000'));
const warmups: Run[] = [];
const BASELINE_FIRST = process.argv.includes('--baseline-first');
const OUT = arg('out', 'docs/benchmarks/export.md');
const PASSWORD = 'bench';
const T0 = Date.UTC(2025, 0, 1);
let loadBefore: number[] = [];

const CHUNK_CHARS = 64 * 1024;
const baselineRoutes: RouteModule = (r, app) => {
  r.get('/api/bench/cdrs.ndjson', async (req, res) => {
    const w = res.stream('application/x-ndjson');
    const to = req.query.get('to');
    let pending = '';
    for (const c of app.store.cdrRange(undefined, to ? Number(to) * 1000 + 999 : undefined)) {
      pending += JSON.stringify(c) + '\n';
      if (pending.length >= CHUNK_CHARS) {
        await w.write(pending);
        pending = '';
        if (w.aborted) return;
      }
    }
    await w.write(pending);
    w.end();
  });
};

async function fill(store: Store, rows: number): Promise<void> {
  const t = performance.now();
  for (let i = 0; i < rows; i++) {
    const endAt = T0 + i * 2_000; // one call ending every 2 s: ~23 days, across no DST change
    const cdr: Cdr = {
      endAt,
      offerAt: endAt - 65_000,
      connectDelay: 4,
      duration: 60,
      cost: 12_000,
      user: String(1000 + (i % 200)),
      dialed: `0141${String(i % 1_000_000).padStart(6, '0')}`,
      callId: `A${String(i).padStart(12, '0')}`,
      from: '0561500000',
      cause: '16',
    };
    store.recordCdr(cdr);
    if (i % 20_000 === 19_999) await store.flushed();
  }
  await store.flushed();
  console.log(`filled ${rows} CDRs in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

// The client: a separate process (node:http, lighter than fetch), so its buffers and CPU
// do not count in the server's RSS and profile.
const CLIENT = `
const http = require('node:http');
const [url, auth] = process.argv.slice(1);
const t0 = performance.now();
http.get(url, { headers: { authorization: auth } }, (res) => {
  if (res.statusCode !== 200) { console.error('status ' + res.statusCode); process.exit(1); }
  let bytes = 0, lines = 0;
  res.on('data', (b) => {
    bytes += b.length;
    for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) lines++;
  });
  res.on('end', () => process.stdout.write(JSON.stringify({ ms: performance.now() - t0, bytes, lines })));
}).on('error', (e) => { console.error(e); process.exit(1); });
`;

interface Run {
  name: string;
  rows: number;
  ms: number;
  bytes: number;
  rowsPerSec: number;
  /** Peak growth of the whole RSS (includes LMDB file pages mapped in by the reads). */
  rssGrowthMB: number;
  /** Peak growth of anonymous RSS: heap and buffers the export itself holds. */
  anonGrowthMB: number;
}

/** RSS and its anonymous part (Linux /proc; falls back to the whole RSS elsewhere). */
function memory(): { rss: number; anon: number } {
  const rss = process.memoryUsage.rss();
  try {
    const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'latin1'));
    return { rss, anon: m ? Number(m[1]) * 1024 : rss };
  } catch {
    return { rss, anon: rss };
  }
}

async function measure(name: string, url: string, headerLines: number): Promise<Run> {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setTimeout(r, 200));
  const base = memory();
  const peak = { ...base };
  const sampler = setInterval(() => {
    const m = memory();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.anon = Math.max(peak.anon, m.anon);
  }, 5);
  const auth = 'Basic ' + Buffer.from(`admin:${PASSWORD}`).toString('base64');
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CLIENT, url, auth], { stdio: ['ignore', 'pipe', 'inherit'] });
    let s = '';
    child.stdout.on('data', (d) => (s += d));
    child.on('exit', (code) => (code === 0 ? resolve(s) : reject(new Error(`client exited ${code}`))));
  });
  clearInterval(sampler);
  const r = JSON.parse(out) as { ms: number; bytes: number; lines: number };
  const rows = r.lines - headerLines;
  return {
    name,
    rows,
    ms: r.ms,
    bytes: r.bytes,
    rowsPerSec: rows / (r.ms / 1000),
    rssGrowthMB: (peak.rss - base.rss) / 2 ** 20,
    anonGrowthMB: (peak.anon - base.anon) / 2 ** 20,
  };
}

async function main(): Promise<void> {
  setLogSink(() => {});
  const dir = mkdtempSync(join(tmpdir(), 'prepaid-export-bench-'));
  const store = Store.open(dir);
  try {
    store.setAdminPasswordHash(await hashPassword(PASSWORD));
    store.updateConfig({ timezone: 'Europe/Paris', language: 'fr' });
    await fill(store, ROWS);
    const app = {
      store,
      supervision: { list: () => [], hasLiveCall: () => false, onChange: () => () => {} },
      linkState: () => 'up',
      natives: () => ({}),
      stop: async () => {},
      updateConfig: (p: object) => store.updateConfig(p),
      costsChanged: () => {},
    } as unknown as Appliance;
    const web = await startWeb({ port: 0, app, wwwDir: null, routes: [reportRoutes, baselineRoutes] });
    const base = `http://127.0.0.1:${web.port}`;
    loadBefore = loadavg();
    const runs: Run[] = [];
    const writers = [
      ['CSV /api/cdrs.csv', '/api/cdrs.csv', 1],
      ['baseline JSON.stringify per row', '/api/bench/cdrs.ndjson', 0],
    ] as const;
    if (BASELINE_FIRST) (writers as unknown as unknown[]).reverse();
    if (WARMUP > 0) {
      // JIT and V8's young generation settle on the first requests of a running appliance
      const to = Math.floor((T0 + (WARMUP - 1) * 2_000) / 1000);
      for (const [name, path, header] of writers) {
        const run = await measure(`warm-up ${name}`, `${base}${path}?to=${to}`, header);
        console.log(`warm-up ${name}: ${run.rows} rows, anonymous growth ${run.anonGrowthMB.toFixed(1)} MB`);
        warmups.push(run);
      }
    }
    try {
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, path, header] of writers) {
          const run = await measure(name, base + path, header);
          if (run.rows !== ROWS) throw new Error(`${name}: ${run.rows} rows read, ${ROWS} expected`);
          runs.push(run);
          console.log(
            `${name}: ${run.rows} rows in ${(run.ms / 1000).toFixed(2)} s = ${Math.round(run.rowsPerSec).toLocaleString('en')} rows/s, ` +
              `${(run.bytes / 2 ** 20).toFixed(1)} MB, peak RSS growth ${run.rssGrowthMB.toFixed(1)} MB (anonymous ${run.anonGrowthMB.toFixed(1)} MB)`,
          );
        }
      }
    } finally {
      await web.close();
    }
    report(runs);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(runs: Run[]): void {
  const of = (name: string): Run[] => runs.filter((r) => r.name === name);
  const median = (xs: number[]): number => {
    const v = [...xs].sort((a, b) => a - b);
    return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
  };
  const CSV_RUN = 'CSV /api/cdrs.csv';
  const JSON_RUN = 'baseline JSON.stringify per row';
  const csvBest = Math.max(...of(CSV_RUN).map((r) => r.rowsPerSec));
  const csvMedian = median(of(CSV_RUN).map((r) => r.rowsPerSec));
  const jsonBest = Math.max(...of(JSON_RUN).map((r) => r.rowsPerSec));
  const jsonMedian = median(of(JSON_RUN).map((r) => r.rowsPerSec));
  const csvAnon = Math.max(...of(CSV_RUN).map((r) => r.anonGrowthMB));
  const csvRss = Math.max(...of(CSV_RUN).map((r) => r.rssGrowthMB));
  const fmt = (n: number): string => Math.round(n).toLocaleString('en');
  const cpu = cpus();
  const lines = [
    '## CDR export as CSV over HTTP',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpu.length} × ${cpu[0]?.model.trim() ?? 'CPU'}, Node ${process.version}`,
    `(load average before the runs: ${loadBefore.map((x) => x.toFixed(2)).join(', ')}; the box is shared, figures vary run to run),`,
    '`node --expose-gc --import tsx scripts/bench/export.bench.ts`. A real Store (temp dir) holds',
    `${ROWS.toLocaleString('en')} CDRs; the real web server (uWS, Basic auth) streams \`GET /api/cdrs.csv\` to a client`,
    'in a child process (node:http) that reads to the end. rows/s = rows / (request → last byte) seen by',
    'the client. Memory = the server process\'s peak during the export minus its value just before',
    '(after a GC), sampled every 5 ms: "anonymous" is RssAnon (heap, buffers: what the export holds),',
    '"RSS" also counts LMDB file pages the reads map in (page cache, reclaimable; large on the first',
    'pass over the range only). The baseline writer runs in the same server and run: `JSON.stringify`',
    'per row, batched into the same 64 KB chunks with the same back-pressure.',
    `Each writer first serves a ${WARMUP.toLocaleString('en')}-row warm-up export (the first rows of the table, not counted):`,
    'the first heavy request of a process grows V8\'s young generation by ~15 MB whichever writer',
    'serves it (checked with `--baseline-first`), which is no memory the export keeps.',
    'CSV rows whose cells need no quoting (the rule: digits, stamps, call ids) are joined directly,',
    'proven equal to csv-stringify\'s output by a property test; any other row goes through csv-stringify.',
    '',
    '| run | rows | time (s) | rows/s | size (MB) | anonymous growth (MB) | RSS growth (MB) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...[...warmups, ...runs].map(
      (r) =>
        `| ${r.name} | ${r.rows.toLocaleString('en')} | ${(r.ms / 1000).toFixed(2)} | ${fmt(r.rowsPerSec)} | ` +
        `${(r.bytes / 2 ** 20).toFixed(1)} | ${r.anonGrowthMB.toFixed(1)} | ${r.rssGrowthMB.toFixed(1)} |`,
    ),
    '',
    `CSV: best **${fmt(csvBest)} rows/s**, median ${fmt(csvMedian)} rows/s; baseline: best ${fmt(jsonBest)}, median ${fmt(jsonMedian)} rows/s ` +
      `(CSV/baseline, medians: ${(csvMedian / jsonMedian).toFixed(2)}).`,
    `CSV peak growth, worst run: anonymous **${csvAnon.toFixed(1)} MB**, whole RSS ${csvRss.toFixed(1)} MB.`,
    `Targets: ≥ 200,000 rows/s — ${csvBest >= 200_000 ? 'met (best run)' : 'NOT met'}${csvMedian >= 200_000 ? ', median too' : ''}; ` +
      `peak growth ≤ 30 MB — ${csvAnon <= 30 ? 'met (anonymous)' : 'NOT met'}${csvRss <= 30 ? ', whole RSS too' : ''}.`,
    '',
  ];
  writeFileSync(OUT, lines.join('\n'));
  console.log(lines.slice(-4).join('\n'));
  console.log(`written ${OUT}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
