// Runs node:test over the TypeScript test files (Node 20's --test takes no globs).
// Usage: node scripts/test.mjs [unit|e2e|all] [extra files...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const kind = process.argv[2] ?? 'all';
function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}
const all = [...walk('src'), ...walk('www')].sort();
const files = all.filter((f) => {
  const e2e = f.startsWith(join('src', 'e2e'));
  return kind === 'all' || (kind === 'e2e' ? e2e : !e2e);
});
if (files.length === 0) {
  console.error(`no ${kind} test files found`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
