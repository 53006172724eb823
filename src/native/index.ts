// Native binary loader: one place decides which prebuilt .node file each native
// dependency loads, so the single-file bundle (which has no node_modules) and
// development (tsx over node_modules) pick binaries by the same rules, and a
// wrong CPU / Node ABI / C library fails with a message an installer can act on.
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as UwsTypes from '@trufflesuite/uws-js-unofficial';

export type UwsModule = typeof UwsTypes;
export type AddonName = 'lmdb' | 'msgpackr-extract' | 'serialport';
export type NativeName = 'uws' | AddonName;
export const NATIVE_NAMES: readonly NativeName[] = ['uws', 'lmdb', 'msgpackr-extract', 'serialport'];

/** Node ABI from which uWS comes from @btc-vision/uwebsockets.js (Node 22+). */
export const UWS_BTC_VISION_MIN_ABI = 127;

export interface NativeTarget {
  platform: string;            // process.platform
  arch: string;                // process.arch: x64, arm64, arm
  abi: number;                 // process.versions.modules: 115 = Node 20, 127 = Node 22
  libc: 'glibc' | 'musl' | null;   // null off Linux
  glibc: string | null;        // runtime glibc version, e.g. "2.36"
  armVersion: string | null;   // "6" / "7" on 32-bit ARM builds of Node
}

/** Where a binary lives inside its npm package, best file first. */
export interface NativeSource { pkg: string; dir: string; files: string[] }

// esbuild defines this as `true` in dist/prepaid.mjs; under tsx it does not exist.
declare const __PREPAID_BUNDLE__: boolean | undefined;
const bundled = typeof __PREPAID_BUNDLE__ !== 'undefined' && __PREPAID_BUNDLE__ === true;
const here = dirname(fileURLToPath(import.meta.url));
const requireNative = createRequire(import.meta.url);

let host: NativeTarget | undefined;

/** glibc or musl, from the loader mapped into this process (cheap, unlike the report). */
function hostLibc(): NativeTarget['libc'] {
  if (process.platform !== 'linux') return null;
  try {
    return /ld-musl|libc\.musl/.test(readFileSync('/proc/self/maps', 'utf8')) ? 'musl' : 'glibc';
  } catch {
    return glibcFromReport() ? 'glibc' : 'musl';
  }
}

function glibcFromReport(): string | null {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime ?? null;
}

/**
 * The running process's target, computed once. The glibc version is only read when asked
 * for (logs, /health, error messages): the process report that holds it costs ~15 ms at start.
 */
export function hostTarget(): NativeTarget {
  if (host) return host;
  const libc = hostLibc();
  const armVersion = process.arch === 'arm'
    ? String((process.config.variables as unknown as Record<string, unknown>).arm_version ?? '7')
    : null;
  let glibc: string | null | undefined;
  host = {
    platform: process.platform,
    arch: process.arch,
    abi: Number(process.versions.modules),
    libc,
    get glibc() {
      if (glibc === undefined) glibc = libc === 'glibc' ? glibcFromReport() : null;
      return glibc;
    },
    armVersion,
  };
  return host;
}

/** `linux-x64`: the folder name under `native/` in the bundle. */
export function targetDir(t: NativeTarget): string {
  return `${t.platform}-${t.arch}`;
}

/** The npm package, folder and candidate file names that hold `name` for target `t`. */
export function nativeSource(name: NativeName, t: NativeTarget): NativeSource {
  const tag = t.libc ? `.${t.libc}` : '';
  switch (name) {
    case 'uws': {
      const file = `uws_${t.platform}_${t.arch}_${t.abi}.node`;
      return t.abi >= UWS_BTC_VISION_MIN_ABI
        ? { pkg: '@btc-vision/uwebsockets.js', dir: '', files: [file] }
        : { pkg: '@trufflesuite/uws-js-unofficial', dir: 'binaries', files: [file] };
    }
    case 'lmdb':
      return { pkg: `@lmdb/lmdb-${t.platform}-${t.arch}`, dir: '', files: [`node.abi${t.abi}${tag}.node`, `node.napi${tag}.node`] };
    case 'msgpackr-extract':
      return {
        pkg: `@msgpackr-extract/msgpackr-extract-${t.platform}-${t.arch}`, dir: '',
        files: [`node.abi${t.abi}${tag}.node`, `node.napi${tag}.node`],
      };
    case 'serialport': {
      // N-API prebuilds; 32-bit ARM has an armv7 and an armv6 build (armv6 runs on v7).
      const cpus = t.arch === 'arm64' ? ['.armv8'] : t.arch === 'arm' ? (t.armVersion === '6' ? ['.armv6'] : ['.armv7', '.armv6']) : [''];
      return {
        pkg: '@serialport/bindings-cpp', dir: `prebuilds/${t.platform}-${t.arch}`,
        files: cpus.map((c) => `@serialport+bindings-cpp${c}${tag}.node`),
      };
    }
  }
}

/** Path of `name`'s folder inside a bundle's `native/<platform>-<arch>/`. */
export function bundlePath(bundleDir: string, name: NativeName, t: NativeTarget, file: string): string {
  return join(bundleDir, 'native', targetDir(t), name, file);
}

/**
 * The installed package folder, and the project folder whose node_modules holds it; else
 * the copy the firmware/build scripts fetched into .cache/npm (uWS for Node 22 is not a
 * dependency: `npm run build` fetches it, and development then finds it there).
 */
function installed(pkg: string): { root: string; dir: string } | null {
  for (let d = here; ; d = dirname(d)) {
    const p = join(d, 'node_modules', pkg);
    if (existsSync(p)) return { root: d, dir: p };
    const cache = join(d, '.cache', 'npm');
    const safe = `${pkg.replace(/^@/, '').replace(/\//g, '+')}@`;
    if (existsSync(cache)) {
      const hit = readdirSync(cache).filter((f) => f.startsWith(safe) && existsSync(join(cache, f, '.complete'))).sort().pop();
      if (hit) return { root: d, dir: join(cache, hit) };
    }
    if (dirname(d) === d) return null;
  }
}

/**
 * The target in words. The glibc version costs a process report (~5-10 ms), so only the
 * messages of a binary that failed to load carry it, not the /health report of a healthy start.
 */
function describe(t: NativeTarget, glibcVersion = true): string {
  const libc = t.libc === 'glibc' ? (glibcVersion ? `glibc ${t.glibc}` : 'glibc') : t.libc ?? 'no libc tag';
  return `${targetDir(t)}${t.armVersion ? ` (armv${t.armVersion})` : ''}, Node ${process.versions.node} (ABI ${t.abi}), ${libc}`;
}

interface Located { path: string; shown: string }

/** Finds the binary for `name` on this host, or throws a message naming what was looked for. */
function locate(name: NativeName): Located {
  const t = hostTarget();
  const src = nativeSource(name, t);
  const tried: string[] = [];
  if (bundled) {
    for (const f of src.files) {
      const p = bundlePath(here, name, t, f);
      if (existsSync(p)) return { path: p, shown: relative(here, p).split(sep).join('/') };
      tried.push(p);
    }
    throw new Error(`no ${name} binary for ${describe(t)}: looked for ${tried.join(', ')}. `
      + `This firmware holds natives only for the targets it was built for (see MANIFEST); `
      + `build one for this box with \`npm run firmware -- --arch ${t.arch}${t.abi >= UWS_BTC_VISION_MIN_ABI ? ' --node 22' : ''}\`.`);
  }
  const pkg = installed(src.pkg);
  if (pkg) {
    for (const f of src.files) {
      const p = join(pkg.dir, src.dir, f);
      if (existsSync(p)) return { path: p, shown: relative(pkg.root, p).split(sep).join('/') };
      tried.push(p);
    }
  }
  const hint = name === 'uws' && t.abi >= UWS_BTC_VISION_MIN_ABI
    ? `run \`npm run build\` once (it fetches ${src.pkg} into .cache/npm) or use Node 20`
    : `run \`npm ci\` on this host (the package is an optional dependency for this CPU)`;
  throw new Error(`no ${name} binary for ${describe(t)}: ${pkg ? `looked for ${tried.join(', ')}` : `package ${src.pkg} is not installed`}; ${hint}.`);
}

const loaded = new Map<NativeName, { module: unknown; shown: string }>();

function load(name: NativeName): unknown {
  const done = loaded.get(name);
  if (done) return done.module;
  const at = locate(name);
  let module: unknown;
  try {
    // require() caches by path, so the addon is dlopen'ed once per process.
    module = requireNative(at.path);
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    const floor = name === 'lmdb'
      ? ' (lmdb needs glibc >= 2.34 and the libstdc++ of GCC >= 11)'
      : name === 'uws' && hostTarget().abi >= UWS_BTC_VISION_MIN_ABI ? ' (uWebSockets.js for Node 22+ needs glibc >= 2.38; use Node 20 on older systems)' : '';
    throw new Error(`cannot load the ${name} binary ${at.path} on ${describe(hostTarget())}${floor}: ${why}`);
  }
  loaded.set(name, { module, shown: at.shown });
  return module;
}

/** The uWebSockets.js native module. Missing or unloadable → throws; never a JS fallback. */
export function loadUws(): UwsModule {
  return load('uws') as UwsModule;
}

/** The native addon object that `name`'s own loader (node-gyp-build) would have returned. */
export function loadNativeAddon(name: AddonName): unknown {
  if (name !== 'lmdb' && name !== 'msgpackr-extract' && name !== 'serialport') throw new Error(`unknown native addon ${String(name)}`);
  return load(name);
}

/**
 * Which file each native comes from, for logs and /health: the loaded path (relative
 * to the bundle or project folder), `<path> (resolved)` when it was not loaded through
 * this loader (in development the packages load their own), or `missing: <why>`.
 */
export function nativesReport(): Record<string, string> {
  const out: Record<string, string> = { target: describe(hostTarget(), false), mode: bundled ? 'bundle' : 'development' };
  for (const name of NATIVE_NAMES) {
    const done = loaded.get(name);
    if (done) { out[name] = done.shown; continue; }
    try {
      out[name] = `${locate(name).shown} (resolved)`;
    } catch (e) {
      out[name] = `missing: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  return out;
}
