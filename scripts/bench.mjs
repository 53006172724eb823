// Runs the benchmarks in scripts/bench/*.bench.{ts,mjs} one after the other (each in its own
// process, so one's heap does not skew the next). Usage: npm run bench [-- <name filter>]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const filter = process.argv[2] ?? '';
const dir = join('scripts', 'bench');
const files = readdirSync(dir).filter((f) => /\.bench\.(ts|mjs)$/.test(f) && f.includes(filter)).sort();
if (files.length === 0) {
  console.error(`no benchmark in ${dir} matches ${JSON.stringify(filter)}`);
  process.exit(1);
}
let failed = 0;
for (const f of files) {
  console.log(`\n== ${f}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, f)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
