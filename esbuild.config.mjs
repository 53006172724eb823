// Builds the firmware bundle: ONE file dist/prepaid.mjs, plus dist/native/<platform>-<arch>/
// (the host's native binaries, found at run time by src/native) and dist/www/ (admin page).
// Usage: node esbuild.config.mjs            (needs tsx to read src/native; re-runs itself with it)
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

export const ROOT = dirname(fileURLToPath(import.meta.url));
const LOADER = join(ROOT, 'src', 'native', 'index.ts');

/** The src/native module (TypeScript): needs the tsx loader in this process. */
export async function nativeModule() {
  return import(pathToFileURL(LOADER).href);
}

// Packages whose node-gyp-build call is replaced by src/native: [folder in node_modules, addon name].
const ADDON_IMPORTERS = [
  [`${sep}node_modules${sep}lmdb${sep}`, 'lmdb'],
  [`${sep}node_modules${sep}msgpackr-extract${sep}`, 'msgpackr-extract'],
  [`${sep}node_modules${sep}@serialport${sep}bindings-cpp${sep}`, 'serialport'],
];

/** esbuild plugin: native loads go through src/native (the bundle has no node_modules). */
export const nativePlugin = {
  name: 'prepaid-native',
  setup(build) {
    build.onResolve({ filter: /^node-gyp-build(-optional-packages)?$/ }, (args) => {
      const hit = ADDON_IMPORTERS.find(([dir]) => args.importer.includes(dir));
      if (!hit) {
        return { errors: [{ text: `${relative(ROOT, args.importer)} loads a native addon through ${args.path}; route it through src/native (esbuild.config.mjs)` }] };
      }
      return { path: hit[1], namespace: 'prepaid-native' };
    });
    // ws (the node:http fallback's WebSocket server) tries bufferutil / utf-8-validate, two
    // optional native accelerators, inside try/catch. The bundle leaves them out: the stub
    // throws like a missing package would and ws runs its own JavaScript code.
    build.onResolve({ filter: /^(bufferutil|utf-8-validate)$/ }, (args) =>
      args.importer.includes(`${sep}node_modules${sep}ws${sep}`) ? { path: args.path, namespace: 'prepaid-absent' } : undefined);
    build.onLoad({ filter: /.*/, namespace: 'prepaid-absent' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} is not in the bundle (optional for ws)`)});`,
      loader: 'js',
    }));
    // uWS: its package falls back to a slow `ws` shim when the binary is missing; never that.
    build.onResolve({ filter: /^(@trufflesuite\/uws-js-unofficial|@btc-vision\/uwebsockets\.js)$/ }, () => ({ path: 'uws', namespace: 'prepaid-native' }));
    build.onLoad({ filter: /.*/, namespace: 'prepaid-native' }, (args) => ({
      // CommonJS so that both `require(x)(dir)` and `import load from x; load(dir)` get a function.
      contents: args.path === 'uws'
        ? `module.exports = require(${JSON.stringify(LOADER)}).loadUws();`
        : `const native = require(${JSON.stringify(LOADER)});\nmodule.exports = function loadAddon() { return native.loadNativeAddon(${JSON.stringify(args.path)}); };`,
      loader: 'js',
      resolveDir: ROOT,
    }));
  },
};

// ESM output has no require/__dirname/__filename; bundled CommonJS code uses them.
// Distinct names plus `define` keep them clear of modules that declare their own.
const BANNER = [
  '#!/usr/bin/env node',
  "import { createRequire as __prepaidCreateRequire } from 'node:module';",
  "import { fileURLToPath as __prepaidFileURLToPath } from 'node:url';",
  'const require = __prepaidCreateRequire(import.meta.url);',
  'const __prepaid_filename = __prepaidFileURLToPath(import.meta.url);',
  "const __prepaid_dirname = __prepaid_filename.slice(0, __prepaid_filename.lastIndexOf('/'));",
].join('\n');

/** Bundles `entry` into `outfile` (one ESM file). */
export async function bundle({ entry = join(ROOT, 'src', 'cli', 'main.ts'), outfile = join(ROOT, 'dist', 'prepaid.mjs'), minify = false } = {}) {
  const pkg = (await import(pathToFileURL(join(ROOT, 'package.json')).href, { with: { type: 'json' } })).default;
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify,
    legalComments: 'linked',   // third-party licence comments kept in prepaid.mjs.LEGAL.txt
    sourcemap: false,
    banner: { js: BANNER },
    define: {
      __PREPAID_BUNDLE__: 'true',
      __PREPAID_VERSION__: JSON.stringify(pkg.version),
      __dirname: '__prepaid_dirname',
      __filename: '__prepaid_filename',
    },
    nodePaths: [join(ROOT, 'node_modules')],   // entries outside the tree (probes) resolve our deps
    // ordered-binary (lmdb's key codec) builds its string reader with a direct eval that
    // names its module variable `position`. Bundled as ESM, that variable is hoisted and
    // renamed, the eval'd reader advances another one, and range scans never end. Their
    // CommonJS builds keep each module in its own function scope, where the name holds.
    alias: {
      lmdb: join(ROOT, 'node_modules', 'lmdb', 'dist', 'index.cjs'),
      'ordered-binary': join(ROOT, 'node_modules', 'ordered-binary', 'dist', 'index.cjs'),
    },
    plugins: [nativePlugin],
    logLevel: 'warning',
    metafile: true,
  });
  // The same trap anywhere else fails the build rather than the box.
  const evalInEsm = Object.entries(result.metafile.inputs)
    .filter(([file, input]) => input.format === 'esm' && !file.includes(':') && /(^|[^.\w$])eval\s*\(/m.test(readFileSync(resolve(ROOT, file), 'utf8')))
    .map(([file]) => file);
  if (evalInEsm.length > 0) {
    throw new Error(`eval in ES modules, unsafe once bundled (alias them to their CommonJS build in esbuild.config.mjs): ${evalInEsm.join(', ')}`);
  }
  await asciiOnly(outfile);
  chmodSync(outfile, 0o755);   // `bin: prepaid` and the box run it directly (shebang)
  return result;
}

/**
 * Rewrites the non-ASCII characters esbuild leaves in the bundle (kept comments, a regex
 * class) as \u escapes. Node decodes a pure-ASCII source on its fast path and V8 keeps it
 * one byte per character: ~20 ms less at every start on the boxes. Proven harmless by
 * comparing both files minified (comments gone, escapes normalised): a difference, e.g. in a
 * String.raw template, fails the build.
 */
async function asciiOnly(outfile) {
  const source = readFileSync(outfile, 'utf8');
  const ascii = source.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (ascii === source) return;
  const canonical = async (code) => (await esbuild.transform(code, { minify: true, charset: 'ascii', format: 'esm', platform: 'node', target: 'node20' })).code;
  if ((await canonical(source)) !== (await canonical(ascii))) {
    throw new Error(`${outfile}: escaping its non-ASCII characters would change the code (a raw template?)`);
  }
  writeFileSync(outfile, ascii);
}

/**
 * Copies the binary that src/native would load for `target` (default: this host): the
 * first candidate that `resolveFile(source, file)` finds, to
 * `<outDir>/native/<platform>-<arch>/<name>/`. Returns [{ name, from, to }].
 */
export async function stageNatives(outDir, { target, resolveFile } = {}) {
  const native = await nativeModule();
  const t = target ?? native.hostTarget();
  const from = resolveFile ?? ((s, f) => join(ROOT, 'node_modules', s.pkg, s.dir, f));
  const staged = [];
  for (const name of native.NATIVE_NAMES) {
    const src = native.nativeSource(name, t);
    const file = src.files.find((f) => { const p = from(src, f); return p && existsSync(p); });
    if (!file) throw new Error(`no ${name} binary for ${native.targetDir(t)} ABI ${t.abi} ${t.libc ?? ''}: looked for ${src.files.join(', ')} in ${src.pkg}`);
    const to = native.bundlePath(outDir, name, t, file);
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from(src, file), to);
    staged.push({ name, pkg: src.pkg, from: from(src, file), to });
  }
  return staged;
}

/** The admin page, if its builder exists yet (scripts/build-www.mjs → buildWww(outDir)). */
export async function buildWwwInto(outDir) {
  const script = join(ROOT, 'scripts', 'build-www.mjs');
  if (!existsSync(script)) return false;
  const { buildWww } = await import(pathToFileURL(script).href);
  await buildWww(outDir);
  return true;
}

/** The full build: dist/prepaid.mjs + dist/native/<host> + dist/www (firmware tarballs in dist/ stay). */
export async function buildAll(dist = join(ROOT, 'dist')) {
  for (const old of ['prepaid.mjs', 'native', 'www']) rmSync(join(dist, old), { recursive: true, force: true });
  await bundle({ outfile: join(dist, 'prepaid.mjs') });
  // a host whose natives are not dependencies (uWS on Node 22) gets them like a firmware build
  const { nativeFileResolver } = await import(pathToFileURL(join(ROOT, 'scripts', 'npm-fetch.mjs')).href);
  const natives = await stageNatives(dist, { resolveFile: nativeFileResolver() });
  const www = await buildWwwInto(join(dist, 'www'));
  return { natives, www };
}

async function main() {
  try {
    await nativeModule();
  } catch {
    // Plain `node esbuild.config.mjs`: run again with the TypeScript loader.
    const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
  const t0 = Date.now();
  const { natives, www } = await buildAll();
  console.log(`built dist/prepaid.mjs, ${natives.length} native files${www ? ', www' : ' (no scripts/build-www.mjs yet: no www)'} in ${Date.now() - t0} ms`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
