// Spawns the real CLI (through tsx) to check what a script sees: streams and exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

function run(args: string[], input = '') {
  const r = spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { input, encoding: 'utf8', env: { ...process.env, PREPAID_DATA: '/nonexistent/prepaid-test' }, timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function assertUsage(r: ReturnType<typeof run>, pattern: RegExp) {
  assert.equal(r.code, 2, `exit code, stderr: ${r.err}`);
  assert.equal(r.out, '');
  assert.match(r.err, /^prepaid: [^\n]+\n$/, 'exactly one line on stderr');
  assert.match(r.err, pattern);
}

test('--help prints the usage on stdout and exits 0', () => {
  const r = run(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.out, /^Usage: prepaid <command>/);
  assert.match(r.out, /serve/);
  assert.match(r.out, /passwd/);
  assert.equal(r.err, '');
});

test('<command> --help prints that command usage', () => {
  const s = run(['serve', '--help']);
  assert.equal(s.code, 0);
  assert.match(s.out, /--data <dir>[\s\S]*--http <port>[\s\S]*--engine <addr>/);
  const p = run(['passwd', '-h']);
  assert.equal(p.code, 0);
  assert.match(p.out, /^Usage: prepaid passwd/);
});

test('--version prints the package version', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const r = run(['--version']);
  assert.equal(r.code, 0);
  assert.equal(r.out, `prepaid ${pkg.version}\n`);
});

test('usage errors: one stderr line and exit 2', () => {
  assertUsage(run([]), /missing command/);
  assertUsage(run(['frobnicate']), /unknown command "frobnicate"/);
  assertUsage(run(['serve', '--verbose']), /unknown option "--verbose"/);
  assertUsage(run(['serve', '--http', '70000']), /1 to 65535/);
  assertUsage(run(['serve', '--http']), /--http needs a value/);
  assertUsage(run(['passwd', 'extra']), /unexpected argument "extra"/);
});

test('passwd refuses an empty password with exit 2 before touching the store', () => {
  assertUsage(run(['passwd', '--data', '/nonexistent/prepaid-test'], '\n'), /empty password/);
  assertUsage(run(['passwd', '--data', '/nonexistent/prepaid-test'], ''), /empty password/);
  assertUsage(run(['passwd', '--data', '/nonexistent/prepaid-test'], '\r\nsecond line\n'), /empty password/);
  assertUsage(run(['passwd', '--data', '/nonexistent/prepaid-test'], '   \n'), /spaces only/);
});

test('passwd stores a hash of the first stdin line that verifies', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { Store } = await import('../store/index.ts');
  const { verifyPassword } = await import('../web/auth.ts');
  const dir = mkdtempSync(join(tmpdir(), 'prepaid-cli-'));
  try {
    const r = run(['passwd', '--data', dir], 'correct horse\r\nnot this line\n');
    assert.equal(r.code, 0, r.err);
    const store = Store.open(dir);
    try {
      const hash = store.adminPasswordHash();
      assert.ok(hash);
      assert.equal(await verifyPassword('correct horse', hash), true);
      assert.equal(await verifyPassword('not this line', hash), false);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('passwd on an unusable data folder: one line, exit 1', async () => {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'prepaid-cli-'));
  try {
    writeFileSync(join(dir, 'file'), 'x');
    const r = run(['passwd', '--data', join(dir, 'file', 'sub')], 'pw\n');
    assert.equal(r.code, 1);
    assert.match(r.err, /^prepaid: [^\n]+\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve answers /health, and SIGTERM (even sent twice at once) stops it with exit 0', async () => {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { createServer } = await import('node:net');
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const dir = mkdtempSync(join(tmpdir(), 'prepaid-cli-'));
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'serve', '--data', dir, '--http', String(port), '--engine', 'demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    let healthy = false;
    for (let i = 0; i < 300 && !healthy; i++) {
      try {
        healthy = (await fetch(`http://127.0.0.1:${port}/health`)).status === 200;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.ok(healthy, `no /health; output:\n${out}`);
    assert.match(out, /DEMO_ADMIN_PASSWORD/);
    child.kill('SIGTERM');
    child.kill('SIGTERM');
    assert.equal(await exited, 0, out);
    assert.doesNotMatch(out, /STOP_FORCED/);
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
