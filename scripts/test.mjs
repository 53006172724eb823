// Runs node:test over the TypeScript test files (Node 20's --test takes no globs).
// Usage: node scripts/test.mjs [unit|e2e|all] [extra files...]
// The unit kind runs the HTTP/WebSocket suites (every test file that opens the web
// testbed) a second time on the node:http + ws adapter (PREPAID_HTTP=node), the fallback
// for boxes without a uWS binary: both server libraries must pass the same assertions.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
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

function run(list, env) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...list], { stdio: 'inherit', env });
  return r.status ?? 1;
}

// the first pass is the default server (uWS), whatever the caller's environment says
const { PREPAID_HTTP: _ignored, ...base } = process.env;
let status = run(files, base);
if (kind !== 'e2e') {
  const web = files.filter((f) => /from '(\.\/|\.\.\/web\/)testbed\.ts'/.test(readFileSync(f, 'utf8')));
  if (web.length === 0) {
    console.error('no test file opens the web testbed: the node:http pass would test nothing');
    process.exit(1);
  }
  console.log(`\n=== HTTP/WS suites again on the node:http + ws adapter (PREPAID_HTTP=node): ${web.join(' ')}\n`);
  const fallback = run(web, { ...base, PREPAID_HTTP: 'node' });
  if (status === 0) status = fallback;
}
process.exit(status);
