// Benchmark: CDR export as CSV over HTTP.
//
//   node --expose-gc --import tsx scripts/bench/export.bench.ts [--rows 1000000] [--rounds 3] [--warmup 50000]
//        [--cap-mb 30] [--no-cap] [--baseline-first] [--out docs/benchmarks/export.md]
//
// A real Store in a temp dir is filled with `rows` CDRs. The real web server (uWS, admin auth,
// the reports route module) runs in a child process (export-server.ts) and serves
// GET /api/cdrs.csv to a client in another child that reads the stream to the end. Measured:
// rows/s as the client sees them (request to last byte), and the server's peak RSS growth
// during the export, sampled every 5 ms from this process (/proc/<pid>/status) against a
// baseline taken after a GC just before the request.
//
// Two runs of the server:
// - uncapped: the machine's memory is free. RSS then also counts the LMDB file pages the
//   reads map in (clean page cache the kernel takes back under pressure), so the whole RSS
//   grows by the size of the CDR table on the first pass; the anonymous part (RssAnon: heap,
//   buffers) is what the export itself holds.
// - capped: the server in a memory cgroup whose limit is its usage before the export + cap
//   (a box with that much memory to spare), page cache dropped first so every page it maps is
//   charged to it. The whole RSS growth is then what the export needs to run, and rows/s says
//   what reclaiming the mapped pages costs. Skipped when no memory cgroup is writable.
//
// The baseline is a plain writer in the same server and run: GET /api/bench/cdrs.ndjson,
// JSON.stringify per row, batched into the same 64 KB chunks with the same back-pressure,
// so the difference is the CSV formatting (csv-stringify, local dates, defusing).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Store, type Cdr } from '../../src/store/index.ts';
import { hashPassword } from '../../src/web/auth.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const ROWS = Number(arg('rows', '1000000'));
const ROUNDS = Number(arg('rounds', '3'));
const WARMUP = Number(arg('warmup', '50000'));
const CAP_MB = Number(arg('cap-mb', '30'));
const NO_CAP = process.argv.includes('--no-cap');
const BASELINE_FIRST = process.argv.includes('--baseline-first');
const OUT = arg('out', 'docs/benchmarks/export.md');
const PASSWORD = 'bench';
const T0 = Date.UTC(2025, 0, 1);
const SERVER = fileURLToPath(new URL('./export-server.ts', import.meta.url));
const CSV_RUN = 'CSV /api/cdrs.csv';
const JSON_RUN = 'baseline JSON.stringify per row';

async function fill(dir: string, rows: number): Promise<void> {
  const store = Store.open(dir);
  const t = performance.now();
  try {
    store.setAdminPasswordHash(await hashPassword(PASSWORD));
    store.updateConfig({ timezone: 'Europe/Paris', language: 'fr' });
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
  } finally {
    await store.close();
  }
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
  server: 'uncapped' | 'capped';
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

/** VmRSS and RssAnon of a process, in bytes. */
function memoryOf(pid: number): { rss: number; anon: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'latin1');
  const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(s)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon') };
}

/** A memory cgroup (v1 or v2) this process may create, or null. */
class MemoryCap {
  private constructor(
    private readonly dir: string,
    private readonly limitFile: string,
    private readonly usageFile: string,
  ) {}

  static create(): MemoryCap | null {
    const name = `prepaid-export-bench-${process.pid}`;
    const candidates = [
      { root: '/sys/fs/cgroup/memory', limit: 'memory.limit_in_bytes', usage: 'memory.usage_in_bytes' },
      { root: '/sys/fs/cgroup', limit: 'memory.max', usage: 'memory.current' },
    ];
    for (const c of candidates) {
      if (!existsSync(join(c.root, c.limit === 'memory.max' ? 'cgroup.controllers' : c.limit))) continue;
      const dir = join(c.root, name);
      try {
        mkdirSync(dir);
        if (!existsSync(join(dir, c.limit))) {
          rmdirSync(dir);
          continue;
        }
        return new MemoryCap(dir, join(dir, c.limit), join(dir, c.usage));
      } catch {
        continue;
      }
    }
    return null;
  }

  add(pid: number): void {
    writeFileSync(join(this.dir, 'cgroup.procs'), String(pid));
  }
  usage(): number {
    return Number(readFileSync(this.usageFile, 'latin1').trim());
  }
  limit(bytes: number): void {
    writeFileSync(this.limitFile, String(bytes));
  }
  remove(): void {
    try {
      rmdirSync(this.dir);
    } catch {
      // still busy: the kernel frees it with its last process
    }
  }
}

/** Writes dirty pages and drops the clean page cache; false when not permitted. */
function dropPageCache(): boolean {
  spawnSync('sync');
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '1');
    return true;
  } catch {
    return false;
  }
}

/** The server child with its IPC channel. */
class ServerProcess {
  private readonly child: ChildProcess;
  private readonly replies: ((m: Record<string, unknown>) => void)[] = [];

  constructor() {
    this.child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', SERVER], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: Record<string, unknown>) => this.replies.shift()?.(m));
    this.child.on('exit', (code, signal) => {
      if (code !== 0) console.error(`server exited ${code ?? signal}`);
    });
  }
  get pid(): number {
    return this.child.pid!;
  }
  /** Sends a message and waits for the next reply (or the first one, message undefined). */
  ask(m?: object): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const gone = (): void => reject(new Error('the server process died'));
      this.child.once('exit', gone);
      this.replies.push((r) => {
        this.child.off('exit', gone);
        resolve(r);
      });
      if (m) this.child.send(m);
    });
  }
  async close(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.send({ close: true });
    await exited;
  }
}

async function measure(server: ServerProcess, kind: Run['server'], name: string, url: string, headerLines: number): Promise<Run> {
  await server.ask({ gc: true });
  await new Promise((r) => setTimeout(r, 200));
  const base = memoryOf(server.pid);
  const peak = { ...base };
  const sampler = setInterval(() => {
    const m = memoryOf(server.pid);
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
    server: kind,
    name,
    rows,
    ms: r.ms,
    bytes: r.bytes,
    rowsPerSec: rows / (r.ms / 1000),
    rssGrowthMB: (peak.rss - base.rss) / 2 ** 20,
    anonGrowthMB: (peak.anon - base.anon) / 2 ** 20,
  };
}

interface Session {
  runs: Run[];
  warmups: Run[];
  note: string;
}

/** One server process: warm-ups, then `ROUNDS` rounds of both writers. */
async function session(dir: string, kind: Run['server'], cap: MemoryCap | null): Promise<Session> {
  const server = new ServerProcess();
  await server.ask(); // ready
  if (cap) cap.add(server.pid); // before the store is opened: its pages are charged to the cgroup
  const opened = await server.ask({ open: dir });
  if (typeof opened.port !== 'number') throw new Error(`server: ${String(opened.error)}`);
  const base = `http://127.0.0.1:${opened.port}`;
  const writers = [
    [CSV_RUN, '/api/cdrs.csv', 1],
    [JSON_RUN, '/api/bench/cdrs.ndjson', 0],
  ] as const;
  if (BASELINE_FIRST) (writers as unknown as unknown[]).reverse();
  const warmups: Run[] = [];
  const runs: Run[] = [];
  let note = '';
  try {
    if (WARMUP > 0) {
      // JIT and V8's young generation settle on the first requests of a running appliance
      const to = Math.floor((T0 + (WARMUP - 1) * 2_000) / 1000);
      for (const [name, path, header] of writers) {
        const run = await measure(server, kind, `warm-up ${name}`, `${base}${path}?to=${to}`, header);
        console.log(`${kind} warm-up ${name}: ${run.rows} rows, anonymous growth ${run.anonGrowthMB.toFixed(1)} MB`);
        warmups.push(run);
      }
    }
    if (cap) {
      await server.ask({ gc: true });
      const usage = cap.usage();
      cap.limit(usage + CAP_MB * 2 ** 20);
      note = `cgroup usage before the export ${(usage / 2 ** 20).toFixed(1)} MB, limit set to +${CAP_MB} MB`;
      console.log(`${kind}: ${note}`);
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, path, header] of writers) {
        const run = await measure(server, kind, name, base + path, header);
        if (run.rows !== ROWS) throw new Error(`${name}: ${run.rows} rows read, ${ROWS} expected`);
        runs.push(run);
        console.log(
          `${kind} ${name}: ${run.rows} rows in ${(run.ms / 1000).toFixed(2)} s = ${Math.round(run.rowsPerSec).toLocaleString('en')} rows/s, ` +
            `${(run.bytes / 2 ** 20).toFixed(1)} MB, peak RSS growth ${run.rssGrowthMB.toFixed(1)} MB (anonymous ${run.anonGrowthMB.toFixed(1)} MB)`,
        );
      }
    }
  } finally {
    await server.close();
  }
  return { runs, warmups, note };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'prepaid-export-bench-'));
  try {
    await fill(dir, ROWS);
    const loadBefore = loadavg();
    const uncapped = await session(dir, 'uncapped', null);
    let capped: Session | null = null;
    let capNote = '';
    const cap = NO_CAP ? null : MemoryCap.create();
    if (cap) {
      try {
        if (!dropPageCache()) capNote = 'page cache could not be dropped: pages already cached are not charged to the cgroup';
        capped = await session(dir, 'capped', cap);
      } finally {
        cap.remove();
      }
    } else {
      capNote = NO_CAP ? 'capped run skipped (--no-cap)' : 'capped run skipped: no writable memory cgroup on this machine';
    }
    report(uncapped, capped, capNote, loadBefore);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
};
const fmt = (n: number): string => Math.round(n).toLocaleString('en');

function report(uncapped: Session, capped: Session | null, capNote: string, loadBefore: number[]): void {
  const of = (s: Session, name: string): Run[] => s.runs.filter((r) => r.name === name);
  const sessions = capped ? [uncapped, capped] : [uncapped];
  const rate = (s: Session, name: string): { best: number; median: number } => {
    const xs = of(s, name).map((r) => r.rowsPerSec);
    return { best: Math.max(...xs), median: median(xs) };
  };
  const cpu = cpus();
  const u = rate(uncapped, CSV_RUN);
  const uj = rate(uncapped, JSON_RUN);
  const uAnon = Math.max(...of(uncapped, CSV_RUN).map((r) => r.anonGrowthMB));
  const uRss = Math.max(...of(uncapped, CSV_RUN).map((r) => r.rssGrowthMB));
  const verdicts = [
    `Uncapped: CSV best ${fmt(u.best)} rows/s, median **${fmt(u.median)} rows/s**; baseline best ${fmt(uj.best)}, median ${fmt(uj.median)} ` +
      `(CSV/baseline, medians: ${(u.median / uj.median).toFixed(2)}). CSV peak growth, worst run: anonymous **${uAnon.toFixed(1)} MB**, ` +
      `whole RSS ${uRss.toFixed(1)} MB (LMDB pages mapped in, on the first pass over the range).`,
  ];
  const anonLater = of(uncapped, CSV_RUN).slice(1).map((r) => r.anonGrowthMB);
  const anonFirst = of(uncapped, CSV_RUN)[0]?.anonGrowthMB ?? NaN;
  const rssVerdict =
    `whole RSS NOT met (${uRss.toFixed(1)} MB: the first pass maps the CDR table's LMDB pages, reclaimable page cache); ` +
    `the export's own (anonymous) growth ${anonFirst.toFixed(1)} MB on the first export after start, ` +
    `${anonLater.length ? Math.max(...anonLater).toFixed(1) : '?'} MB at most after — ${uAnon <= 30 ? 'met' : 'NOT met on the first export'}`;
  let rateVerdict = u.median >= 200_000 ? `met uncapped (median ${fmt(u.median)})` : 'NOT met';
  if (capped) {
    const c = rate(capped, CSV_RUN);
    const cj = rate(capped, JSON_RUN);
    const cRss = Math.max(...of(capped, CSV_RUN).map((r) => r.rssGrowthMB));
    verdicts.push(
      `Capped (+${CAP_MB} MB): CSV best ${fmt(c.best)} rows/s, median **${fmt(c.median)} rows/s**; baseline median ${fmt(cj.median)} ` +
        `(CSV/baseline ${(c.median / cj.median).toFixed(2)}). CSV peak growth, worst run: whole RSS ${cRss.toFixed(1)} MB ` +
        '(VmRSS also counts pages charged elsewhere, e.g. parts of the node binary first run by the export).',
    );
    rateVerdict += c.median >= 200_000 ? ', met capped' : `, NOT met capped (median ${fmt(c.median)}: reclaimed pages are read again from disk)`;
  }
  const lines = [
    '## CDR export as CSV over HTTP',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpu.length} × ${cpu[0]?.model.trim() ?? 'CPU'}, Node ${process.version}`,
    `(load average before the runs: ${loadBefore.map((x) => x.toFixed(2)).join(', ')}; the box is shared, figures vary run to run),`,
    '`node --expose-gc --import tsx scripts/bench/export.bench.ts`. A real Store (temp dir) holds',
    `${ROWS.toLocaleString('en')} CDRs; the real web server (uWS, Basic auth) runs in a child process and streams`,
    '`GET /api/cdrs.csv` to a client in another child (node:http) that reads to the end. rows/s = rows /',
    '(request → last byte) seen by the client. Memory = the server\'s peak during the export minus its value',
    'just before (after a GC), sampled every 5 ms from outside (`/proc/<pid>/status`): "anonymous" is RssAnon',
    '(heap, buffers: what the export holds), "RSS" is VmRSS, which also counts the LMDB file pages the reads',
    'map in (clean page cache that the kernel takes back when memory is short).',
    '',
    'Two server processes: **uncapped** (memory free: the first pass over the table maps all its pages,',
    `so VmRSS grows by the table's size), and **capped**: the server in a memory cgroup limited to its usage`,
    `just before the export + ${CAP_MB} MB (a box with only that much to spare), the page cache dropped before it`,
    'starts so every page it maps is charged to it; the kernel then reclaims mapped LMDB pages as the export',
    'moves on, VmRSS growth stays within the limit, and rows/s shows what that costs (pages are re-read from disk).',
    capped ? capped.note + '.' : capNote + '.',
    '',
    'The baseline writer runs in the same server and run: `JSON.stringify` per row, batched into the same',
    `64 KB chunks with the same back-pressure. Each writer first serves a ${WARMUP.toLocaleString('en')}-row warm-up export`,
    '(not counted): the first heavy request of a process grows V8\'s young generation by ~15 MB whichever',
    'writer serves it (checked with `--baseline-first`), which is no memory the export keeps.',
    'CSV rows whose cells need no quoting (the rule: digits, stamps, call ids) are joined directly,',
    'proven equal to csv-stringify\'s output by a property test; any other row goes through csv-stringify.',
    '',
    '| server | run | rows | time (s) | rows/s | size (MB) | anonymous growth (MB) | RSS growth (MB) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...sessions.flatMap((s) =>
      [...s.warmups, ...s.runs].map(
        (r) =>
          `| ${r.server} | ${r.name} | ${r.rows.toLocaleString('en')} | ${(r.ms / 1000).toFixed(2)} | ${fmt(r.rowsPerSec)} | ` +
          `${(r.bytes / 2 ** 20).toFixed(1)} | ${r.anonGrowthMB.toFixed(1)} | ${r.rssGrowthMB.toFixed(1)} |`,
      ),
    ),
    '',
    ...verdicts.flatMap((v) => [v, '']),
    `Targets: ≥ 200,000 rows/s — ${rateVerdict}; peak RSS growth ≤ 30 MB — ${rssVerdict}.`,
    '',
  ];
  writeFileSync(OUT, lines.join('\n'));
  console.log(verdicts.join('\n'));
  console.log(lines.at(-2));
  console.log(`written ${OUT}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
