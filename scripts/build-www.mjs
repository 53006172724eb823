// Builds the admin page: www/main.(ts|js) + its CSS → dist/www/ with content-hashed asset
// names, an index.html referencing them, and .gz/.br siblings for the web server to send.
// Usage: node scripts/build-www.mjs [outDir]     (default dist/www)
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** First load (index.html + JS + CSS) must stay under this, compressed with gzip. */
export const BUDGET_BYTES = 60 * 1024;

function compress(buf) {
  return {
    gz: gzipSync(buf, { level: 9 }),
    br: brotliCompressSync(buf, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: buf.length,
      },
    }),
  };
}

function page(jsName, cssName, version) {
  // relative asset URLs: the page works behind any path prefix, like its api/ calls
  return `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="same-origin">
<meta name="generator" content="prepaid ${version}">
<title>Prepaid</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="assets/${cssName}">
<script type="module" src="assets/${jsName}"></script>
</head>
<body>
<div id="app"></div>
<noscript>This page needs JavaScript. / Cette page nécessite JavaScript.</noscript>
</body>
</html>
`;
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

/**
 * Builds into `outDir` (replacing the previous index.html and assets/). Returns the files
 * written and the first-load weight; throws when the gzip weight exceeds BUDGET_BYTES.
 */
export async function buildWww(outDir = join(ROOT, 'dist', 'www'), opts = {}) {
  const out = resolve(outDir);
  const entry = ['main.ts', 'main.js'].map((f) => join(ROOT, 'www', f)).find((f) => existsSync(f));
  if (!entry) throw new Error('www/main.ts (or main.js) not found');
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;

  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2020',
    entryNames: 'assets/app-[hash]',
    assetNames: 'assets/[name]-[hash]',
    outdir: out,
    write: false,
    define: { __VERSION__: JSON.stringify(version) },
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  });

  const outputs = result.outputFiles.map((f) => ({ rel: relative(out, f.path).split('\\').join('/'), contents: Buffer.from(f.contents) }));
  const js = outputs.find((f) => f.rel.endsWith('.js'));
  const css = outputs.find((f) => f.rel.endsWith('.css'));
  if (!js || !css) throw new Error('esbuild produced no JS or no CSS bundle');

  rmSync(join(out, 'assets'), { recursive: true, force: true });
  for (const f of ['index.html', 'index.html.gz', 'index.html.br']) rmSync(join(out, f), { force: true });
  mkdirSync(join(out, 'assets'), { recursive: true });

  const html = { rel: 'index.html', contents: Buffer.from(page(basename(js.rel), basename(css.rel), version)) };
  const files = [];
  const sizes = { raw: 0, gzip: 0, brotli: 0 };
  for (const f of [html, ...outputs]) {
    const { gz, br } = compress(f.contents);
    const p = join(out, f.rel);
    writeFileSync(p, f.contents);
    writeFileSync(`${p}.gz`, gz);
    writeFileSync(`${p}.br`, br);
    files.push(f.rel, `${f.rel}.gz`, `${f.rel}.br`);
    if (f === html || f === js || f === css) {
      sizes.raw += f.contents.length;
      sizes.gzip += gz.length;
      sizes.brotli += br.length;
    }
  }

  const report = {
    outDir: out,
    files,
    js: js.rel,
    css: css.rel,
    rawBytes: sizes.raw,
    gzipBytes: sizes.gzip,
    brotliBytes: sizes.brotli,
  };
  if (!opts.quiet) {
    console.log(
      `www: ${relative(process.cwd(), out) || '.'} — first load ${kb(sizes.gzip)} gzip, ${kb(sizes.brotli)} brotli ` +
        `(${kb(sizes.raw)} raw: index.html + ${js.rel} + ${css.rel}; budget ${kb(BUDGET_BYTES)})`,
    );
  }
  if (sizes.gzip > BUDGET_BYTES) throw new Error(`www first load ${kb(sizes.gzip)} gzip exceeds the ${kb(BUDGET_BYTES)} budget`);
  return report;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  buildWww(process.argv[2] ?? join(ROOT, 'dist', 'www')).catch((e) => {
    console.error(`build-www: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  });
}
