import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isAppError } from '../errors.ts';
import { claimDataDir, LOCK_FILE } from './data-lock.ts';

const dirs: string[] = [];
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'prepaid-lock-'));
  dirs.push(d);
  return d;
}
const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

/** A live process whose command line reads like an appliance's (`... serve ...`) or not. */
async function runningProcess(args: string[]): Promise<ChildProcess> {
  const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', ...args], { stdio: 'ignore' });
  children.push(c);
  await new Promise((r) => c.once('spawn', r));
  return c;
}

test('a data folder held by a live appliance is refused with CONFLICT, and nothing is changed', async () => {
  const d = dir();
  const other = await runningProcess(['serve']);
  writeFileSync(join(d, LOCK_FILE), `${other.pid} ${boot}\n`);
  assert.throws(() => claimDataDir(d), (e: unknown) => isAppError(e) && e.code === 'CONFLICT' && e.message.includes(String(other.pid)));
  assert.equal(readFileSync(join(d, LOCK_FILE), 'utf8'), `${other.pid} ${boot}\n`);
  other.kill('SIGKILL');
  await new Promise((r) => other.once('exit', r));
  const release = claimDataDir(d); // its holder is gone: taken over
  assert.equal(readFileSync(join(d, LOCK_FILE), 'utf8'), `${process.pid} ${boot}\n`);
  release();
  assert.equal(existsSync(join(d, LOCK_FILE)), false);
});

test('a lock from an earlier boot, or whose pid now runs another program, is stale', async () => {
  const d = dir();
  const unrelated = await runningProcess(['something-else']);
  writeFileSync(join(d, LOCK_FILE), `${unrelated.pid} ${boot}\n`);
  claimDataDir(d)();
  const appliance = await runningProcess(['serve']);
  writeFileSync(join(d, LOCK_FILE), `${appliance.pid} 00000000-0000-0000-0000-000000000000\n`);
  const release = claimDataDir(d);
  release();
  writeFileSync(join(d, LOCK_FILE), 'garbage');
  claimDataDir(d)();
});

test('release leaves a lock that another process took over alone', () => {
  const d = dir();
  const release = claimDataDir(d);
  writeFileSync(join(d, LOCK_FILE), `1 ${boot}\n`);
  release();
  assert.equal(readFileSync(join(d, LOCK_FILE), 'utf8'), `1 ${boot}\n`);
});
