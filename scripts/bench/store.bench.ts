// Benchmark (a): the metering workload on the LMDB store against a better-sqlite3 peer.
//
//   npx tsx scripts/bench/store.bench.ts [--seconds 20] [--warmup 20] [--runs 1] [--live 1000] [--rate 50]
//                                        [--mode fast|realtime|both] [--journal]
//
// Workload, per simulated second: one checkpoint round over the `live` connected calls (ONE
// write covering `live` journal entries), and `rate` settlements spread evenly over the
// second. The calls are journaled during setup (live + rate × seconds of them), so when a
// call is settled the next one takes its place and `live` calls stay up. With --journal,
// each settlement also brings a new call whose DIAL and CONNECTED journal writes come a
// third and two thirds of a slot later (as on a real box, in their own event-loop turns).
// Both peers get the same sequence of changes, each change one transaction (SQLite: WAL,
// synchronous=FULL; LMDB: the Store, durable when flushed() resolves), and write the same
// rows: the SQLite peer mirrors the store's layout, including its checkpoint design (one row
// for the round replacing the previous one, not one UPDATE per call).
//
// Measured, after setup: commit lag = time from issuing a change to it being durable
// (SQLite: the synchronous COMMIT returns; LMDB: store.flushed() resolves), and process CPU
// time (process.cpuUsage, all threads: lmdb-js commits and flushes on its own threads) per
// settled call; also the main thread's share of it, the number of durable commits, and the
// voluntary context switches (each one a thread or process going to sleep: a wait for the
// disk or a hand-over between threads). A third "harness" peer does nothing: it is the cost
// of the schedule itself (timers, building the inputs), paid by both stores.
// Modes: `fast` runs the simulated seconds as fast as the schedule allows: within a second
// each change is issued as soon as the previous one was (yielding to the event loop in
// between, so commits proceed meanwhile), and the next second starts once the previous
// one's changes are durable (the metering acknowledges a round only then) — so each peer
// batches what it can. `realtime` runs the schedule on the wall clock (one simulated second
// per second, changes evenly spaced): at 50 settlements/s almost every change is alone in
// its commit, for both peers. Before measuring, `--warmup` simulated seconds (default 20)
// run unmeasured (the same for both peers), so the figures are the steady state of a
// long-running appliance, not JIT compilation and cold caches of a fresh process.
// Each peer runs in its own child process so CPU accounting and GC do not mix; `--runs N`
// repeats the three peers N times, interleaved, and prints every run and the medians.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEED_DEFAULT_ROW } from '../../src/rating/index.ts';
import { Store, type Cdr, type OpenCall } from '../../src/store/index.ts';
import * as V from '../../src/store/validation.ts';

interface Options {
  seconds: number;
  live: number;
  rate: number;
  mode: 'realtime' | 'fast';
  journal: boolean;
  warmup: number;
  runs: number;
}

interface Result {
  peer: string;
  mode: string;
  journal: boolean;
  settled: number;
  changes: number;
  wallMs: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  cpuPerSettledUs: number;
  /** CPU of the main (JavaScript) thread; the rest ran on libuv/V8/lmdb threads (Linux only, else null). */
  mainThreadCpuMs: number | null;
  /** Durable commits (transactions) the measured changes went into. */
  commits: number;
  voluntaryCtxSwitches: number;
  involuntaryCtxSwitches: number;
  lagMs: { p50: number; p99: number; max: number };
  checkpointLagP99Ms: number;
  settleLagP99Ms: number;
  journalLagP99Ms: number;
  diskBytes: number;
}

/** What the workload asks of a store: each method is one transaction. */
interface Peer {
  journal(c: OpenCall): void;
  checkpoint(at: number, callIds: string[]): void;
  settle(s: { callId: string; userId: string; units: number; at: number; dialed: string; duration: number; cdr: Cdr }): void;
  createUser(id: string, units: number): void;
  /** Resolves when everything issued so far is durable (SQLite: already, COMMIT is synchronous). */
  durable(): Promise<void>;
  /** Durable commits (transactions) so far. */
  commits(): number;
  close(): Promise<void>;
}

const T0 = 1_700_000_000_000;
const USERS = 100;
const WARMUP_BASE = 900_000_000; // call numbers of the warm-up calls

function lmdbPeer(dir: string): Peer {
  const store = Store.open(dir);
  return {
    journal: (c) => store.journal(c),
    checkpoint: (at, ids) => store.checkpoint(at, ids),
    settle: (s) => void store.settle(s),
    createUser(id, units) {
      store.createUser({ id, name: `User ${id}`, pin: String(100000 + Number(id)) });
      store.credit(id, units, T0);
    },
    durable: () => store.flushed(),
    // LMDB's last transaction id counts the commits (bench-only look inside the Store)
    commits: () => (store as unknown as { env: { getStats(): { lastTxnId: number } } }).env.getStats().lastTxnId,
    close: () => store.close(),
  };
}

// better-sqlite3 ships no types; this is the little of its API the peer uses.
interface SqliteStatement {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): Record<string, unknown> | undefined;
}
interface SqliteDatabase {
  pragma(s: string): unknown;
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
  close(): void;
}

function sqlitePeer(dir: string): Peer {
  const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string) => SqliteDatabase;
  const db = new Database(join(dir, 'prepaid.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`
    CREATE TABLE users (id TEXT PRIMARY KEY, name TEXT NOT NULL, caller_id TEXT NOT NULL, units INTEGER NOT NULL, pin_key TEXT NOT NULL);
    CREATE TABLE ledger (seq INTEGER PRIMARY KEY, period INTEGER NOT NULL, user_id TEXT NOT NULL, at INTEGER NOT NULL,
      operation TEXT NOT NULL, dialed TEXT NOT NULL, duration INTEGER, units INTEGER NOT NULL, call_id TEXT);
    CREATE INDEX ledger_by_user ON ledger (period, user_id, at, seq);
    CREATE TABLE cdrs (seq INTEGER PRIMARY KEY, end_at INTEGER NOT NULL, offer_at INTEGER NOT NULL, connect_delay INTEGER,
      duration INTEGER NOT NULL, cost INTEGER NOT NULL, user_id TEXT NOT NULL, dialed TEXT NOT NULL, call_id TEXT NOT NULL UNIQUE,
      from_number TEXT NOT NULL, cause TEXT NOT NULL, recovered INTEGER);
    CREATE INDEX cdrs_by_end ON cdrs (end_at, seq);
    CREATE TABLE journal (call_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, from_number TEXT NOT NULL, dialed TEXT NOT NULL,
      offer_at INTEGER NOT NULL, dial_at INTEGER NOT NULL, connected_at INTEGER, cost_row TEXT NOT NULL, checkpoint_at INTEGER);
    CREATE TABLE round (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL, call_ids TEXT NOT NULL);
    CREATE TABLE older_checkpoints (call_id TEXT PRIMARY KEY, at INTEGER NOT NULL);
  `);
  const putJournal = db.prepare(
    'INSERT OR REPLACE INTO journal VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const lastRound = db.prepare('SELECT at, call_ids FROM round WHERE id = 1');
  const putRound = db.prepare('INSERT OR REPLACE INTO round VALUES (1, ?, ?)');
  const journaled = db.prepare('SELECT 1 AS x FROM journal WHERE call_id = ?');
  const keepOlder = db.prepare(
    'INSERT INTO older_checkpoints VALUES (?, ?) ON CONFLICT (call_id) DO UPDATE SET at = max(at, excluded.at)',
  );
  const dropOlder = db.prepare('DELETE FROM older_checkpoints WHERE call_id = ?');
  const cdrExists = db.prepare('SELECT 1 AS x FROM cdrs WHERE call_id = ?');
  const balance = db.prepare('SELECT units FROM users WHERE id = ?');
  const setBalance = db.prepare('UPDATE users SET units = ? WHERE id = ?');
  const addLine = db.prepare(
    'INSERT INTO ledger (period, user_id, at, operation, dialed, duration, units, call_id) VALUES (1, ?, ?, ?, ?, ?, ?, ?)',
  );
  const addCdr = db.prepare(
    'INSERT INTO cdrs (end_at, offer_at, connect_delay, duration, cost, user_id, dialed, call_id, from_number, cause, recovered) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const dropJournal = db.prepare('DELETE FROM journal WHERE call_id = ?');
  const addUser = db.prepare('INSERT INTO users VALUES (?, ?, ?, ?, ?)');

  // The same input checks as the Store, so the two differ by their storage engine only.
  let sqliteCommits = 0; // every change is its own transaction, hence its own COMMIT
  const journal = db.transaction((input: OpenCall) => {
    sqliteCommits++;
    const c = V.openCall(input);
    putJournal.run(c.callId, c.userId, c.from, c.dialed, c.offerAt, c.dialAt, c.connectedAt, JSON.stringify(c.row), c.checkpointAt);
  });
  // The store's layout: one row for the round (instant + ids) replacing the previous one; a
  // call the previous round listed and this one does not keeps that instant in a row of its own.
  const checkpoint = db.transaction((at: number, ids: string[]) => {
    sqliteCommits++;
    V.time(at, 'at');
    for (const id of ids) V.callId(id);
    const prev = lastRound.get();
    if (prev) {
      const listed = (prev.at as number) <= at ? new Set(ids) : new Set<string>();
      for (const id of JSON.parse(prev.call_ids as string) as string[]) {
        if (!listed.has(id) && journaled.get(id)) keepOlder.run(id, prev.at);
      }
    }
    putRound.run(at, JSON.stringify(ids));
  });
  const settle = db.transaction(
    (s: { callId: string; userId: string; units: number; at: number; dialed: string; duration: number; cdr: Cdr }) => {
      sqliteCommits++;
      V.callId(s.callId);
      V.userId(s.userId);
      V.nonNegativeInt(s.units, 'units');
      V.time(s.at, 'at');
      V.text(s.dialed, 'dialed', 64);
      V.nonNegativeInt(s.duration, 'duration');
      V.cdr(s.cdr);
      if (cdrExists.get(s.callId)) return;
      const units = balance.get(s.userId)!.units as number;
      const debit = Math.min(units, s.units);
      setBalance.run(units - debit, s.userId);
      addLine.run(s.userId, s.at, 'CALL', s.dialed, s.duration, -debit, s.callId);
      const c = s.cdr;
      addCdr.run(c.endAt, c.offerAt, c.connectDelay, c.duration, debit, c.user, c.dialed, c.callId, c.from, c.cause, c.recovered ? 1 : null);
      dropJournal.run(s.callId);
      dropOlder.run(s.callId);
    },
  );
  const createUser = db.transaction((id: string, units: number) => {
    addUser.run(id, `User ${id}`, '', units, String(100000 + Number(id)));
    addLine.run(id, T0, 'CREDIT', '', null, units, null);
  });
  return {
    journal,
    checkpoint,
    settle,
    createUser,
    durable: () => Promise.resolve(),
    commits: () => sqliteCommits,
    close: async () => db.close(),
  };
}

/** One step of the schedule, at `at` ms after the start. */
type Step = { at: number; kind: 'checkpoint' | 'settle' | 'dial' | 'connect'; index: number };

function schedule(o: Options): Step[] {
  const steps: Step[] = [];
  const slot = 1000 / o.rate;
  for (let s = 0; s < o.seconds; s++) {
    steps.push({ at: s * 1000, kind: 'checkpoint', index: 0 });
    for (let j = 0; j < o.rate; j++) {
      const at = s * 1000 + (j + 0.25) * slot;
      steps.push({ at, kind: 'settle', index: s * o.rate + j });
      if (o.journal) {
        steps.push({ at: at + slot / 3, kind: 'dial', index: s * o.rate + j });
        steps.push({ at: at + (2 * slot) / 3, kind: 'connect', index: s * o.rate + j });
      }
    }
  }
  return steps;
}

function callId(n: number): string {
  return `A${String(n).padStart(12, '0')}`;
}

function openCall(n: number, connected: boolean): OpenCall {
  return {
    callId: callId(n),
    userId: String(1000 + (n % USERS)),
    from: '0561500000',
    dialed: '0141587070',
    offerAt: T0 + n,
    dialAt: T0 + n + 3000,
    connectedAt: connected ? T0 + n + 8000 : null,
    row: { ...SEED_DEFAULT_ROW },
    checkpointAt: null,
  };
}

/** The settlement of call c ending at `at` after `duration` s at the DEFAULT rate (200 units/s). */
function settlement(c: OpenCall, at: number, duration: number) {
  return {
    callId: c.callId,
    userId: c.userId,
    units: 200 * duration,
    at,
    dialed: c.dialed,
    duration,
    cdr: {
      endAt: at,
      offerAt: c.offerAt,
      connectDelay: 5,
      duration,
      cost: 200 * duration,
      user: c.userId,
      dialed: c.dialed,
      callId: c.callId,
      from: c.from,
      cause: '16',
    },
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function diskBytes(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir)) n += statSync(join(dir, f)).size;
  return n;
}

/** The schedule alone (timers, building the inputs), to tell the harness's own cost from the stores'. */
function harnessPeer(): Peer {
  let n = 0;
  return {
    journal: () => void n++,
    checkpoint: () => void n++,
    settle: () => void n++,
    createUser() {},
    durable: () => Promise.resolve(),
    commits: () => n,
    close: async () => {},
  };
}

/** CPU time (ms) of the process's main thread, from /proc (Linux, ns precision); null elsewhere. */
function mainThreadCpuMs(): number | null {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return null;
  }
}

type PeerName = 'lmdb' | 'sqlite' | 'harness';

async function runPeer(name: PeerName, o: Options): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), `store-bench-${name}-`));
  const peer = name === 'lmdb' ? lmdbPeer(dir) : name === 'sqlite' ? sqlitePeer(dir) : harnessPeer();
  try {
    // setup (not measured): users with ample credit; every call the run will settle, journaled
    for (let u = 0; u < USERS; u++) peer.createUser(String(1000 + u), 1_000_000_000_000);
    const total = o.live + o.rate * o.seconds;
    for (let n = 0; n < total; n++) peer.journal(openCall(n, true));
    await peer.durable();
    let firstLive = 0; // calls firstLive .. firstLive + live - 1 are up
    let fresh = total; // numbering of the calls --journal adds
    // warm-up (not measured): the same kinds of change on calls of their own
    for (let w = 0; w < o.warmup * (o.rate + 1); w++) {
      if (w % (o.rate + 1) === 0) {
        peer.checkpoint(T0 + w, Array.from({ length: o.live }, (_, k) => callId(WARMUP_BASE + k)));
      } else {
        const c = openCall(WARMUP_BASE + w, true);
        peer.journal(c);
        peer.settle(settlement(c, T0 + w, 1));
      }
      if (w % 8 === 0) await new Promise((r) => setImmediate(r));
    }
    await peer.durable();

    const lags: { kind: Step['kind']; ms: number }[] = [];
    const commits0 = peer.commits();
    const track = (kind: Step['kind'], t0: number): void => {
      if (name !== 'lmdb') lags.push({ kind, ms: performance.now() - t0 });
      else void peer.durable().then(() => lags.push({ kind, ms: performance.now() - t0 }));
    };
    let settled = 0;
    let changes = 0;
    const usage0 = process.resourceUsage();
    const main0 = mainThreadCpuMs();
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    let second = 0;
    for (const step of schedule(o)) {
      if (o.mode === 'realtime') {
        const wait = wall0 + step.at - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      } else {
        if (step.at >= (second + 1) * 1000) {
          second++;
          await peer.durable();
        }
        await new Promise((r) => setImmediate(r));
      }
      const at = T0 + 100_000 + Math.round(step.at);
      const t0 = performance.now();
      if (step.kind === 'checkpoint') {
        const ids: string[] = [];
        for (let n = firstLive; n < firstLive + o.live; n++) ids.push(callId(n));
        peer.checkpoint(at, ids);
      } else if (step.kind === 'settle') {
        peer.settle(settlement(openCall(firstLive++, true), at, 60 + (step.index % 120)));
        settled++;
      } else {
        const c = openCall(step.kind === 'dial' ? fresh : fresh++, step.kind === 'connect');
        peer.journal(c);
      }
      track(step.kind, t0);
      changes++;
    }
    await peer.durable();
    await new Promise((r) => setImmediate(r)); // let the last lag callbacks run
    const wallMs = performance.now() - wall0;
    const cpu = process.cpuUsage(cpu0);
    const main1 = mainThreadCpuMs();
    const usage1 = process.resourceUsage();
    const commits1 = peer.commits();
    const all = lags.map((l) => l.ms).sort((a, b) => a - b);
    const of = (k: Step['kind']) => lags.filter((l) => l.kind === k).map((l) => l.ms).sort((a, b) => a - b);
    return {
      peer: name,
      mode: o.mode,
      journal: o.journal,
      settled,
      changes,
      wallMs: Math.round(wallMs),
      cpuUserMs: Math.round(cpu.user / 1000),
      cpuSystemMs: Math.round(cpu.system / 1000),
      cpuPerSettledUs: Math.round((cpu.user + cpu.system) / settled),
      mainThreadCpuMs: main0 === null || main1 === null ? null : Math.round(main1 - main0),
      commits: commits1 - commits0,
      voluntaryCtxSwitches: usage1.voluntaryContextSwitches - usage0.voluntaryContextSwitches,
      involuntaryCtxSwitches: usage1.involuntaryContextSwitches - usage0.involuntaryContextSwitches,
      lagMs: { p50: round(percentile(all, 50)), p99: round(percentile(all, 99)), max: round(all[all.length - 1] ?? 0) },
      checkpointLagP99Ms: round(percentile(of('checkpoint'), 99)),
      settleLagP99Ms: round(percentile(of('settle'), 99)),
      journalLagP99Ms: round(percentile([...of('dial'), ...of('connect')].sort((a, b) => a - b), 99)),
      diskBytes: diskBytes(dir),
    };
  } finally {
    await peer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function parseArgs(argv: string[]): Options & { peer?: PeerName; modes: ('realtime' | 'fast')[] } {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (flag: string, dflt: number): number => {
    const v = get(flag);
    const n = v === undefined ? dflt : Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a positive whole number`);
    return n;
  };
  const mode = get('--mode') ?? 'both';
  const journal = argv.includes('--journal');
  if (!['realtime', 'fast', 'both'].includes(mode)) throw new Error('--mode must be realtime, fast or both');
  const peer = get('--peer');
  if (peer !== undefined && peer !== 'lmdb' && peer !== 'sqlite' && peer !== 'harness') throw new Error('--peer must be lmdb, sqlite or harness');
  return {
    seconds: num('--seconds', 20),
    warmup: get('--warmup') === '0' ? 0 : num('--warmup', 20),
    runs: num('--runs', 1),
    live: num('--live', 1000),
    rate: num('--rate', 50),
    mode: mode === 'fast' ? 'fast' : 'realtime',
    journal,
    modes: mode === 'both' ? ['fast', 'realtime'] : [mode as 'realtime' | 'fast'],
    peer,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.peer) {
    // child: one peer, one mode; the result as one JSON line
    process.stdout.write(JSON.stringify(await runPeer(args.peer, args)) + '\n');
    return;
  }
  const self = fileURLToPath(import.meta.url);
  console.log(`machine: ${cpus()[0]?.model ?? '?'} x${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, ${process.platform}`);
  console.log(
    `workload: ${args.seconds} simulated s x (checkpoint of ${args.live} live calls + ${args.rate} settlements` +
      (args.journal ? ` + ${2 * args.rate} journal writes)\n` : ')\n'),
  );
  const results: (Result & { run: number; load: number })[] = [];
  for (let run = 1; run <= args.runs; run++) {
    for (const mode of args.modes) {
      for (const peer of ['harness', 'sqlite', 'lmdb'] as const) {
        const load = loadavg()[0];
        const r = spawnSync(
          process.execPath,
          [
            '--import',
            'tsx',
            self,
            '--peer',
            peer,
            '--mode',
            mode,
            '--seconds',
            String(args.seconds),
            '--live',
            String(args.live),
            '--rate',
            String(args.rate),
            '--warmup',
            String(args.warmup),
            ...(args.journal ? ['--journal'] : []),
          ],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
        );
        if (r.status !== 0) throw new Error(`${peer} ${mode} run failed (${r.status})`);
        results.push({ ...JSON.parse(r.stdout.trim().split('\n').pop()!), run, load: round(load) });
      }
    }
  }
  const perSecond = (r: Result, n: number) => round((n / r.settled) * args.rate);
  console.log(
    '| mode | run | load avg | peer | CPU µs / settled call | user+sys ms | main thread % | commits / sim s | vol. ctx switches / settled | lag p50 ms | lag p99 ms | lag max ms | checkpoint p99 ms |' +
      (args.journal ? ' journal p99 ms |' : '') +
      ' disk MB |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|' + (args.journal ? '---|' : '') + '---|');
  for (const r of results) {
    const main = r.mainThreadCpuMs === null ? '?' : Math.round((100 * r.mainThreadCpuMs) / Math.max(1, r.cpuUserMs + r.cpuSystemMs));
    console.log(
      `| ${r.mode} | ${r.run} | ${r.load} | ${r.peer} | ${r.cpuPerSettledUs} | ${r.cpuUserMs}+${r.cpuSystemMs} | ${main} | ${perSecond(r, r.commits)} | ${round(r.voluntaryCtxSwitches / r.settled)} | ${r.lagMs.p50} | ${r.lagMs.p99} | ${r.lagMs.max} | ${r.checkpointLagP99Ms} |` +
        (args.journal ? ` ${r.journalLagP99Ms} |` : '') +
        ` ${(r.diskBytes / 2 ** 20).toFixed(1)} |`,
    );
  }
  console.log('');
  for (const mode of args.modes) {
    const of = (peer: string) => results.filter((r) => r.mode === mode && r.peer === peer);
    const cpu = (peer: string) => median(of(peer).map((r) => r.cpuPerSettledUs));
    const [h, s, l] = [cpu('harness'), cpu('sqlite'), cpu('lmdb')];
    const lag = median(of('lmdb').map((r) => r.lagMs.p99));
    const ratio = s / l;
    console.log(
      `${mode} (median of ${args.runs}): CPU µs per settled call: harness ${h}, SQLite ${s}, LMDB ${l}; ` +
        `SQLite/LMDB = ${ratio.toFixed(2)}x (${((s - h) / (l - h)).toFixed(2)}x without the harness's own share) ` +
        `(target >= 2x: ${ratio >= 2 ? 'met' : 'NOT met'}); LMDB commit lag p99 = ${lag} ms, SQLite ${median(of('sqlite').map((r) => r.lagMs.p99))} ms ` +
        `(target <= 20 ms: ${lag <= 20 ? 'met' : 'NOT met'})`,
    );
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return 0;
  return s.length % 2 ? s[(s.length - 1) / 2] : round((s[s.length / 2 - 1] + s[s.length / 2]) / 2);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
