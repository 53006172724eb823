// Benchmark (b): prefix lookup of the rating module against an SQL longest-prefix query.
// Run: npx tsx scripts/bench/rating.bench.ts
import { createRequire } from 'node:module';
import os from 'node:os';
import { Bench } from 'tinybench';
import { PrefixIndex, RateTable, normalizeCostRow, type CostRow } from '../../src/rating/index.ts';

const PREFIXES = 60_000;
const NUMBERS = 100_000;
const NUMBER_DIGITS = 12;
const TRIE_BATCH = 10_000; // lookups per timed iteration: one lookup is below timer resolution
const SQL_BATCH = 200;

// better-sqlite3 ships no types (and @types is not a dependency): the little used here.
interface Statement { run(...params: unknown[]): unknown; get(params: unknown[]): unknown }
interface SqliteDb { exec(sql: string): void; prepare(sql: string): Statement; transaction(fn: () => void): () => void; close(): void }
const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => SqliteDb;

// Deterministic pseudo-random digits (mulberry32) so runs are comparable.
let state = 20260329;
const rnd = (n: number) => {
  state = (state + 0x6d2b79f5) | 0;
  let z = Math.imul(state ^ (state >>> 15), 1 | state);
  z = (z + Math.imul(z ^ (z >>> 7), 61 | z)) ^ z;
  return (((z ^ (z >>> 14)) >>> 0) / 4294967296) * n | 0;
};
// Built with join so each number is one flat string, as a number parsed off the engine
// link is (`s += c` would leave rope strings, whose charCodeAt is several times slower).
const digits = (len: number) => {
  const d: string[] = [];
  for (let i = 0; i < len; i++) d.push(String.fromCharCode(48 + rnd(10)));
  return d.join('');
};

// 60,000 distinct prefixes of 4 to 10 digits, each with its own rate.
const prefixSet = new Set<string>();
while (prefixSet.size < PREFIXES) prefixSet.add(digits(4 + rnd(7)));
const prefixes = [...prefixSet];
const rows: CostRow[] = [normalizeCostRow({ prefix: 'DEFAULT', h1: 200 })];
prefixes.forEach((p, i) => rows.push(normalizeCostRow({ prefix: p, h1: 1 + (i % 500) })));

// Half the numbers extend a table prefix (deep matches), half are random digits.
const numbers: string[] = [];
for (let i = 0; i < NUMBERS; i++) {
  const head = i % 2 === 0 ? prefixes[rnd(prefixes.length)]! : '';
  numbers.push([head, digits(NUMBER_DIGITS - head.length)].join(''));
}

const buildStart = performance.now();
const table = new RateTable(rows, 'Europe/Paris');
const buildMs = performance.now() - buildStart;
const trieMb = new PrefixIndex(prefixes.map((p) => [p, p] as const)).bytes / 2 ** 20;

// The SQL peer: A2Billing-style query, every prefix of the number in an IN list.
const db = new Database(':memory:');
db.exec('CREATE TABLE rates (dialprefix TEXT NOT NULL, h1 INTEGER NOT NULL)');
db.exec('CREATE INDEX rates_dialprefix ON rates (dialprefix)');
const insert = db.prepare('INSERT INTO rates (dialprefix, h1) VALUES (?, ?)');
db.transaction(() => {
  for (const r of rows) if (r.prefix !== 'DEFAULT') insert.run(r.prefix, r.h1);
})();
const placeholders = Array.from({ length: NUMBER_DIGITS }, () => '?').join(',');
const longest = db.prepare(
  `SELECT dialprefix, h1 FROM rates WHERE dialprefix IN (${placeholders}) ORDER BY LENGTH(dialprefix) DESC LIMIT 1`,
);
const prefixesOf = (n: string) => Array.from({ length: n.length }, (_, i) => n.slice(0, i + 1));
const sqlQuote = (n: string): string => {
  const hit = longest.get(prefixesOf(n)) as { dialprefix: string } | undefined;
  return hit ? hit.dialprefix : 'DEFAULT';
};

// Both must agree before their speeds mean anything.
let matched = 0;
for (const n of numbers.slice(0, 20_000)) {
  const ours = table.quote(n).prefix;
  if (ours !== sqlQuote(n)) throw new Error(`disagreement on ${n}: ${ours} vs ${sqlQuote(n)}`);
  if (ours !== 'DEFAULT') matched++;
}

// Timing: this process's CPU time (user + system, process.cpuUsage) by default, so that
// other jobs on a shared machine do not count against either peer; `--wall` uses
// performance.now. better-sqlite3 runs synchronously on this thread, so both peers' work
// is fully counted either way. Rounds alternate the two tasks; medians are reported.
const WALL = process.argv.includes('--wall');
const cpuClock = {
  name: 'process.cpuUsage',
  fn: () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  },
  fromMs: (ms: number) => ms,
  toMs: (v: number | bigint) => Number(v),
};
const ROUNDS = 5;
let sink = 0;
let ti = 0;
let si = 0;
const trieRuns: number[] = [];
const sqlRuns: number[] = [];
const ratios: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const bench = new Bench({ time: 1000, warmupTime: 200, ...(WALL ? {} : { timestampProvider: cpuClock }) });
  bench
    // Loop state in locals: module-level variables would cost more than the lookup itself.
    .add(`RateTable.quote x${TRIE_BATCH}`, () => {
      let j = ti;
      let acc = 0;
      for (let k = 0; k < TRIE_BATCH; k++) {
        acc += table.quote(numbers[j]!).h1;
        j = j + 1 === NUMBERS ? 0 : j + 1;
      }
      ti = j;
      sink += acc;
    })
    .add(`SQLite IN-list query x${SQL_BATCH}`, () => {
      let j = si;
      let acc = 0;
      for (let k = 0; k < SQL_BATCH; k++) {
        acc += sqlQuote(numbers[j]!).length;
        j = j + 1 === NUMBERS ? 0 : j + 1;
      }
      si = j;
      sink += acc;
    });
  await bench.run();
  const perSecond = (i: number, batch: number): number => {
    const r = bench.tasks[i]!.result;
    if (!('latency' in r)) throw new Error(`task ${i} did not complete: ${r.state}`);
    return (batch * 1000) / r.latency.mean;
  };
  trieRuns.push(perSecond(0, TRIE_BATCH));
  sqlRuns.push(perSecond(1, SQL_BATCH));
  ratios.push(trieRuns[round]! / sqlRuns[round]!);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const trie = median(trieRuns);
const sql = median(sqlRuns);
const ratio = median(ratios);
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(`machine: ${cpu}, ${os.cpus().length} CPUs, Node ${process.version}, ${os.platform()} ${os.arch()}`);
console.log(`clock: ${WALL ? 'wall (performance.now)' : 'process CPU time (process.cpuUsage)'}`);
console.log(`table: ${PREFIXES} prefixes (4-10 digits), built in ${buildMs.toFixed(0)} ms, trie ${trieMb.toFixed(1)} MiB; ${NUMBERS} ${NUMBER_DIGITS}-digit numbers, ${((matched / 20_000) * 100).toFixed(0)}% matching a prefix`);
console.log(`RateTable.quote     : ${fmt(trie)} lookups/s (median of ${ROUNDS} rounds: ${trieRuns.map(fmt).join(', ')})`);
console.log(`SQLite longest match: ${fmt(sql)} lookups/s (rounds: ${sqlRuns.map(fmt).join(', ')})`);
console.log(`ratio               : ${ratio.toFixed(0)}x (rounds: ${ratios.map((r) => r.toFixed(0)).join(', ')})`);
console.log(`load average        : ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`targets: >= 1,000,000 lookups/s ${trie >= 1e6 ? 'MET' : 'MISSED'}; >= 50x SQL ${ratio >= 50 ? 'MET' : 'MISSED'}`);
if (sink === -1) console.log(sink); // keeps the lookups observable
db.close();
