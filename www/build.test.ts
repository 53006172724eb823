// The page build (scripts/build-www.mjs): hashed assets, index.html, .gz/.br siblings, budget.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { BUDGET_BYTES, buildWww } from '../scripts/build-www.mjs';

test('buildWww writes hashed, minified, precompressed assets within the budget', async () => {
  const out = mkdtempSync(join(tmpdir(), 'www-build-'));
  try {
    const r = await buildWww(out, { quiet: true });
    assert.match(r.js, /^assets\/app-[A-Z0-9]+\.js$/);
    assert.match(r.css, /^assets\/app-[A-Z0-9]+\.css$/);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    assert.ok(html.includes(`src="${r.js}"`), 'index.html loads the JS bundle by a relative URL');
    assert.ok(html.includes(`href="${r.css}"`), 'index.html loads the CSS by a relative URL');
    assert.doesNotMatch(html, /https?:\/\//, 'nothing from outside the box');
    for (const f of ['index.html', r.js, r.css]) {
      const raw = readFileSync(join(out, f));
      assert.deepEqual(gunzipSync(readFileSync(join(out, `${f}.gz`))), raw, `${f}.gz`);
      assert.deepEqual(brotliDecompressSync(readFileSync(join(out, `${f}.br`))), raw, `${f}.br`);
    }
    const js = readFileSync(join(out, r.js), 'utf8');
    // minified: comments and local names are gone (template text keeps its line breaks)
    assert.doesNotMatch(js, /the login calls answer 401/);
    assert.doesNotMatch(js, /focusFirstError/);
    assert.doesNotMatch(js, /https?:\/\/(?!www\.w3\.org)/, 'no CDN URL in the bundle');
    assert.ok(r.gzipBytes > 0 && r.gzipBytes <= BUDGET_BYTES, `first load ${r.gzipBytes} B gzip`);

    // a second build replaces the assets rather than piling them up
    await buildWww(out, { quiet: true });
    assert.ok(existsSync(join(out, r.js)));
    assert.equal(readFileSync(join(out, 'index.html'), 'utf8'), html, 'same sources, same names');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
