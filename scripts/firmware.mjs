// Firmware tarball for one box type:
//   npm run firmware -- --arch <x64|arm64|arm> [--node <20|22>] [--out <dir>] [--update-pins]
// → <out>/prepaid-<version>-linux-<arch>-node<N>.tar.gz holding prepaid-<version>/ with the
// bundle, that target's natives only, the admin page, docs, init files, licence notices and
// a MANIFEST (sha256 + size of every file). Natives for other CPUs come from the npm
// registry (scripts/npm-fetch.mjs, sha256-pinned). Same inputs → same bytes (sorted tar,
// fixed mtime = SOURCE_DATE_EPOCH or the last commit), so buildroot's prepaid.hash holds.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ARCHES = ['x64', 'arm64', 'arm'];
export const NODE_ABI = { 20: 115, 22: 127 };
const HASH_FILE = join(ROOT, 'buildroot', 'package', 'prepaid', 'prepaid.hash');

function usage(msg) {
  console.error(`firmware: ${msg}\nusage: npm run firmware -- --arch <${ARCHES.join('|')}> [--node <20|22>] [--out <dir>] [--update-pins]`);
  process.exit(2);
}

/** Native target of a box: glibc Linux; 32-bit ARM boxes run the armv7l Node build. */
export function boxTarget(arch, node) {
  return { platform: 'linux', arch, abi: NODE_ABI[node], libc: 'glibc', glibc: null, armVersion: arch === 'arm' ? '7' : null };
}

function packageJson(dir) {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
}

/** The node_modules package folder that holds `file`. */
function packageDirOf(file) {
  for (let d = dirname(file); d !== dirname(d); d = dirname(d)) {
    const up = basenameOf(dirname(d));
    if (up === 'node_modules' || (up.startsWith('@') && basenameOf(dirname(dirname(d))) === 'node_modules')) return d;
  }
  return null;
}
function basenameOf(p) {
  return p.slice(p.lastIndexOf(sep) + 1);
}

function licenceTexts(dir, extra = []) {
  const names = readdirSync(dir).filter((f) => /^(licen[cs]e|copying|notice)/i.test(f)).sort();
  return [...names, ...extra].filter((f) => existsSync(join(dir, f))).map((f) => ({ file: f, text: readFileSync(join(dir, f), 'utf8').trim() }));
}

/**
 * THIRD_PARTY_NOTICES.txt: every package whose code is in the bundle or the admin page,
 * and the native binaries' packages. Independent of the CPU (same text for every arch).
 */
function notices({ bundleInputs, node, uws22 }) {
  const dirs = new Set();
  for (const input of bundleInputs) {
    const d = input.includes('node_modules/') ? packageDirOf(resolve(ROOT, input)) : null;
    if (d) dirs.add(d);
  }
  // the admin page is built from these (www/ imports them)
  for (const p of ['preact', 'htm']) if (existsSync(join(ROOT, 'node_modules', p))) dirs.add(join(ROOT, 'node_modules', p));
  const nm = (p) => join(ROOT, 'node_modules', p);
  const uws = node >= 22
    ? { title: `${uws22.pkg} ${uws22.version} (uWebSockets.js native binary)`, license: 'Apache-2.0',
        texts: licenceTexts(nm('@trufflesuite/uws-js-unofficial')).map((t) => ({ ...t, file: `${t.file} (the Apache License 2.0 text; this package ships none)` })) }
    : { title: `@trufflesuite/uws-js-unofficial ${packageJson(nm('@trufflesuite/uws-js-unofficial')).version} (uWebSockets.js native binary)`, license: 'Apache-2.0',
        texts: licenceTexts(nm('@trufflesuite/uws-js-unofficial')) };
  const lmdb = packageJson(nm('lmdb'));
  const mx = packageJson(nm('msgpackr-extract'));
  const natives = [
    uws,
    { title: `@lmdb/lmdb-linux-<cpu> ${lmdb.version} (lmdb native binary, with LMDB and LZ4)`, license: `${lmdb.license}, OLDAP-2.8 (LMDB), BSD-2-Clause (LZ4)`,
      texts: licenceTexts(nm('lmdb'), ['dependencies/lmdb/libraries/liblmdb/LICENSE', 'dependencies/lmdb/libraries/liblmdb/COPYRIGHT', 'dependencies/lz4/LICENSE']) },
    { title: `@msgpackr-extract/msgpackr-extract-linux-<cpu> ${mx.version} (msgpackr-extract native binary)`, license: mx.license, texts: licenceTexts(nm('msgpackr-extract')) },
  ];
  const blocks = [];
  const sorted = [...dirs].map((d) => ({ d, p: packageJson(d) })).sort((a, b) => `${a.p.name}@${a.p.version}`.localeCompare(`${b.p.name}@${b.p.version}`));
  const seen = new Set();
  for (const { d, p } of sorted) {
    const key = `${p.name}@${p.version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    blocks.push({ title: `${p.name} ${p.version}`, license: typeof p.license === 'string' ? p.license : JSON.stringify(p.license ?? 'see text'), texts: licenceTexts(d) });
  }
  blocks.push(...natives);
  const rule = '='.repeat(78);
  let out = `Third-party software in this firmware\n\nThe prepaid bundle (prepaid.mjs, www/) contains code from the packages below, and\nnative/ holds binaries built from the packages listed last. Each licence text follows\nits package.\n`;
  for (const b of blocks) {
    out += `\n${rule}\n${b.title}\nLicense: ${b.license}\n${rule}\n`;
    if (b.texts.length === 0) out += '\n(the package ships no licence file; see its License field)\n';
    for (const t of b.texts) out += `\n--- ${t.file}\n\n${t.text}\n`;
  }
  return out;
}

function walkFiles(dir, base = dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walkFiles(p, base, out);
    else out.push(relative(base, p).split(sep).join('/'));
  }
  return out;
}

function sha256(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function sourceDateEpoch() {
  if (process.env.SOURCE_DATE_EPOCH) return Number(process.env.SOURCE_DATE_EPOCH);
  const r = spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 && /^\d+$/.test(r.stdout.trim()) ? Number(r.stdout.trim()) : 0;
}

/** Writes (or replaces) `sha256  <hash>  <file>` lines in buildroot/package/prepaid/prepaid.hash. */
function pinInBuildroot(entries) {
  if (!existsSync(HASH_FILE)) return false;
  let lines = readFileSync(HASH_FILE, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const [file, hash] of entries) {
    const line = `sha256  ${hash}  ${file}`;
    const i = lines.findIndex((l) => l.split(/\s+/)[2] === file);
    if (i >= 0) lines[i] = line;
    else lines.push(line);
  }
  const comments = lines.filter((l) => l.startsWith('#') || l.trim() === '');
  const hashes = lines.filter((l) => !(l.startsWith('#') || l.trim() === '')).sort((a, b) => a.split(/\s+/)[2].localeCompare(b.split(/\s+/)[2]));
  writeFileSync(HASH_FILE, `${[...comments, ...hashes].join('\n')}\n`);
  return true;
}

/** Builds one firmware tarball; returns { tarball, sha256, bytes, natives: [{ name, to, size }] }. */
export async function buildFirmware({ arch, node = 20, outDir = join(ROOT, 'dist'), updatePins = false, log = console.log, entry }) {
  if (!ARCHES.includes(arch)) throw new Error(`unknown --arch ${arch}; one of ${ARCHES.join(', ')}`);
  if (!NODE_ABI[node]) throw new Error(`unknown --node ${node}; one of ${Object.keys(NODE_ABI).join(', ')}`);
  if (node >= 22 && arch === 'arm') throw new Error('no uWebSockets.js binary for 32-bit ARM on Node 22: build --arch arm with --node 20');
  const { bundle, buildWwwInto, stageNatives } = await import(pathToFileURL(join(ROOT, 'esbuild.config.mjs')).href);
  const { nativeFileResolver, UWS_NODE22 } = await import(pathToFileURL(join(ROOT, 'scripts', 'npm-fetch.mjs')).href);
  const version = packageJson(ROOT).version;
  const name = `prepaid-${version}-linux-${arch}-node${node}`;
  const top = `prepaid-${version}`;
  const work = join(outDir, `.${name}`);
  const stage = join(work, top);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });

  const built = await bundle({ entry, outfile: join(stage, 'prepaid.mjs') });
  const t = boxTarget(arch, node);
  const staged = await stageNatives(stage, { target: t, resolveFile: nativeFileResolver({ updatePins, log }) });
  const www = await buildWwwInto(join(stage, 'www'));
  if (!www) log('warning: scripts/build-www.mjs is missing: this firmware has no admin page');

  mkdirSync(join(stage, 'docs'));
  for (const doc of ['prompts.md', 'install.md', 'power-cut.md']) {
    const p = join(ROOT, 'docs', doc);
    if (existsSync(p)) copyFileSync(p, join(stage, 'docs', doc));
    else log(`warning: docs/${doc} is missing`);
  }
  mkdirSync(join(stage, 'init'));
  const initDir = join(ROOT, 'buildroot', 'package', 'prepaid');
  for (const f of ['S95prepaid', 'prepaid.service', 'prepaid.default']) {
    if (existsSync(join(initDir, f))) {
      copyFileSync(join(initDir, f), join(stage, 'init', f));
      chmodSync(join(stage, 'init', f), f.startsWith('S') ? 0o755 : 0o644);
    } else log(`warning: buildroot/package/prepaid/${f} is missing`);
  }
  const noticeText = notices({ bundleInputs: Object.keys(built.metafile.inputs), node, uws22: UWS_NODE22 });
  writeFileSync(join(stage, 'THIRD_PARTY_NOTICES.txt'), noticeText);
  const bundleBytes = statSync(join(stage, 'prepaid.mjs')).size;
  const wwwBytes = www ? walkFiles(join(stage, 'www')).reduce((n, f) => n + statSync(join(stage, 'www', f)).size, 0) : 0;

  const files = walkFiles(stage);
  let manifest = `# prepaid ${version} firmware for linux-${arch}, Node.js ${node}.x (ABI ${t.abi}), glibc\n# sha256  size  path\n`;
  let total = 0;
  for (const f of files) {
    const p = join(stage, f);
    const size = statSync(p).size;
    total += size;
    manifest += `${sha256(p)}  ${size}  ${f}\n`;
  }
  manifest += `# ${files.length} files, ${total} bytes\n`;
  writeFileSync(join(stage, 'MANIFEST'), manifest);

  const tarball = join(outDir, `${name}.tar.gz`);
  const epoch = sourceDateEpoch();
  const tar = execFileSync('tar', ['--sort=name', `--mtime=@${epoch}`, '--owner=0', '--group=0', '--numeric-owner',
    '--mode=u+rwX,go+rX,go-w', '--format=gnu', '-cf', '-', '-C', work, top], { maxBuffer: 1 << 30 });
  writeFileSync(tarball, execFileSync('gzip', ['-9', '-n'], { input: tar, maxBuffer: 1 << 30 }));
  rmSync(work, { recursive: true, force: true });
  const sum = sha256(tarball);
  const noticesHash = createHash('sha256').update(noticeText).digest('hex');
  return {
    tarball, sha256: sum, bytes: statSync(tarball).size, unpackedBytes: total, noticesHash, bundleBytes, wwwBytes,
    natives: staged.map((s) => ({ name: s.name, file: relative(stage, s.to).split(sep).join('/'), size: statSync(s.from).size })),
  };
}

async function main() {
  let v;
  try {
    ({ values: v } = parseArgs({ options: { arch: { type: 'string' }, node: { type: 'string' }, out: { type: 'string' }, 'update-pins': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (e) {
    usage(e.message.replace(/\s+/g, ' '));
  }
  if (v.help) {
    console.log(`usage: npm run firmware -- --arch <${ARCHES.join('|')}> [--node <20|22>] [--out <dir>] [--update-pins]`);
    return;
  }
  const arch = v.arch ?? process.arch;
  const node = Number(v.node ?? 20);
  if (!ARCHES.includes(arch)) usage(`--arch must be one of ${ARCHES.join(', ')}, not ${JSON.stringify(arch)}`);
  if (!NODE_ABI[node]) usage(`--node must be 20 or 22, not ${JSON.stringify(v.node)}`);
  const t0 = Date.now();
  const r = await buildFirmware({ arch, node, outDir: v.out ? resolve(v.out) : join(ROOT, 'dist'), updatePins: v['update-pins'] === true });
  const file = basenameOf(r.tarball);
  // Buildroot's nodejs is 22.x: only those tarballs are pinned in the BR2_EXTERNAL tree.
  const pinned = node === 22 && pinInBuildroot([[file, r.sha256], ['THIRD_PARTY_NOTICES.txt', r.noticesHash]]);
  console.log(`${relative(process.cwd(), r.tarball)}: ${r.bytes} bytes (${r.unpackedBytes} unpacked), sha256 ${r.sha256}, in ${Date.now() - t0} ms`);
  for (const n of r.natives) console.log(`  ${n.file}  ${n.size} bytes`);
  if (pinned) console.log(`  sha256 recorded in ${relative(process.cwd(), HASH_FILE)}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // src/native is TypeScript: run again with the tsx loader when it is not there.
  if (!process.execArgv.some((a) => a.includes('tsx'))) {
    const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
  main().catch((e) => {
    console.error(`firmware: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  });
}
