// Fetches exact package versions from the npm registry with `npm pack` into a cache
// (.cache/npm), checks each tarball against the sha256 pinned in scripts/firmware-pins.json
// and unpacks it once. Used for foreign-CPU natives (firmware) and Node runtimes (test:arm).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CACHE = process.env.PREPAID_CACHE_DIR || join(ROOT, '.cache', 'npm');
export const PINS_FILE = join(ROOT, 'scripts', 'firmware-pins.json');

export function sha256File(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function readPins() {
  return JSON.parse(readFileSync(PINS_FILE, 'utf8'));
}

/** The version package-lock.json pins for `pkg` (optional deps of every CPU are listed). */
export function lockedVersion(pkg) {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
  const v = lock.packages?.[`node_modules/${pkg}`]?.version;
  if (!v) throw new Error(`${pkg} is not in package-lock.json`);
  return v;
}

/**
 * `name@version` unpacked in the cache; returns its folder (the tarball's `package/`).
 * A tarball whose sha256 differs from the pin is refused; an unpinned one is refused
 * unless `updatePins` (then its sha256 is written to the pins file for review and commit).
 */
export function fetchPackage(name, version, { updatePins = false, log = console.log } = {}) {
  const spec = `${name}@${version}`;
  const safe = spec.replace(/^@/, '').replace(/\//g, '+');
  const dir = join(CACHE, safe);
  const tgz = join(CACHE, `${safe}.tgz`);
  const pins = readPins();
  const pinned = pins.packages[spec];
  if (!existsSync(tgz)) {
    mkdirSync(CACHE, { recursive: true });
    log(`fetching ${spec} from the npm registry`);
    const out = execFileSync('npm', ['pack', spec, '--pack-destination', CACHE, '--json', '--silent'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const packed = join(CACHE, JSON.parse(out)[0].filename);
    renameSync(packed, tgz);
    rmSync(dir, { recursive: true, force: true });
  }
  const sum = sha256File(tgz);
  if (!pinned) {
    if (!updatePins) throw new Error(`${spec} has no sha256 pin in ${PINS_FILE}; rerun with --update-pins after checking it (sha256 ${sum})`);
    pins.packages[spec] = sum;
    pins.packages = Object.fromEntries(Object.entries(pins.packages).sort(([a], [b]) => a.localeCompare(b)));
    writeFileSync(PINS_FILE, `${JSON.stringify(pins, null, 2)}\n`);
    log(`pinned ${spec} sha256 ${sum}`);
  } else if (pinned !== sum) {
    rmSync(tgz, { force: true });
    throw new Error(`${spec}: sha256 ${sum} does not match the pin ${pinned} (${PINS_FILE}); the cached copy was removed`);
  }
  if (!existsSync(join(dir, '.complete'))) {
    rmSync(dir, { recursive: true, force: true });
    const tmp = `${dir}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    execFileSync('tar', ['-xzf', tgz, '-C', tmp, '--no-same-owner']);
    const top = readdirSync(tmp);
    // npm tarballs hold one top folder, usually `package/`
    renameSync(top.length === 1 ? join(tmp, top[0]) : tmp, dir);
    rmSync(tmp, { recursive: true, force: true });
    writeFileSync(join(dir, '.complete'), `${sum}\n`);
  }
  return dir;
}

/** uWS for Node 22+ (needs glibc >= 2.38); src/native takes it from ABI 127. Not a dependency (41 MB). */
export const UWS_NODE22 = { pkg: '@btc-vision/uwebsockets.js', version: '20.57.0' };

/**
 * resolveFile for stageNatives: an installed package from node_modules (it is the locked
 * version, so a file it lacks does not exist upstream either), else the locked (or, for
 * uWS on Node 22, pinned) version fetched from the registry.
 */
export function nativeFileResolver({ updatePins = false, log = console.log } = {}) {
  const fetched = new Map();
  return (src, file) => {
    const installed = join(ROOT, 'node_modules', src.pkg);
    if (existsSync(join(installed, 'package.json'))) return join(installed, src.dir, file);
    if (!fetched.has(src.pkg)) {
      const version = src.pkg === UWS_NODE22.pkg ? UWS_NODE22.version : lockedVersion(src.pkg);
      fetched.set(src.pkg, fetchPackage(src.pkg, version, { updatePins, log }));
    }
    return join(fetched.get(src.pkg), src.dir, file);
  };
}
