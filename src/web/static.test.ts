// The built page: encodings, caching headers, SPA fallback, no way out of wwwDir.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { openBed, rawRequest, rawStatus, type Bed } from './testbed.ts';

let bed: Bed;
let www: string;
const INDEX = '<!doctype html><title>Prepaid</title><script src="/assets/app-3f9a1c2b.js"></script>';
const JS = 'console.log("prepaid");'.repeat(200);
const CSS = 'body{margin:0}';
// larger than one socket write: served with tryEnd/onWritable
const BIG = Buffer.from(Array.from({ length: 3 * 1024 * 1024 }, (_, i) => (i * 7919) % 251));

before(async () => {
  www = mkdtempSync(join(tmpdir(), 'prepaid-www-'));
  mkdirSync(join(www, 'assets'));
  writeFileSync(join(www, 'index.html'), INDEX);
  writeFileSync(join(www, 'index.html.gz'), gzipSync(INDEX));
  writeFileSync(join(www, 'assets/app-3f9a1c2b.js'), JS);
  writeFileSync(join(www, 'assets/app-3f9a1c2b.js.gz'), gzipSync(JS));
  writeFileSync(join(www, 'assets/app-3f9a1c2b.js.br'), brotliCompressSync(JS));
  writeFileSync(join(www, 'assets/style-7c1d2e3f.css'), CSS);
  writeFileSync(join(www, 'assets/blob-0a1b2c3d.png'), BIG);
  bed = await openBed({ wwwDir: www });
});
after(async () => {
  await bed.close();
  rmSync(www, { recursive: true, force: true });
});

/** GET without automatic decompression. */
function raw(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port: bed.server.port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

test('/ is index.html, no-cache, HTML type and framing refused', async () => {
  const r = await raw('/');
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), INDEX);
  assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(r.headers['cache-control'], 'no-cache');
  assert.equal(r.headers['x-frame-options'], 'DENY');
  assert.equal(r.headers['content-encoding'], undefined);
  const gz = await raw('/index.html', { 'accept-encoding': 'gzip, deflate, br' });
  assert.equal(gz.headers['content-encoding'], 'gzip', 'no .br sibling: gzip');
  assert.equal(gunzipSync(gz.body).toString(), INDEX);
});

test('hashed assets: br preferred, gzip next, identity otherwise; immutable caching; Vary', async () => {
  const br = await raw('/assets/app-3f9a1c2b.js', { 'accept-encoding': 'gzip, deflate, br' });
  assert.equal(br.headers['content-encoding'], 'br');
  assert.equal(brotliDecompressSync(br.body).toString(), JS);
  assert.equal(br.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(br.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(br.headers['vary'], 'Accept-Encoding');
  const gz = await raw('/assets/app-3f9a1c2b.js', { 'accept-encoding': 'br;q=0, gzip' });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(gz.body).toString(), JS);
  const plain = await raw('/assets/app-3f9a1c2b.js', { 'accept-encoding': 'identity' });
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(plain.body.toString(), JS);
  const none = await raw('/assets/app-3f9a1c2b.js');
  assert.equal(none.body.toString(), JS);
  const css = await raw('/assets/style-7c1d2e3f.css', { 'accept-encoding': 'br' });
  assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
  assert.equal(css.headers['content-encoding'], undefined);
  assert.equal(css.body.toString(), CSS);
});

test('a large file arrives whole (back-pressure path)', async () => {
  const r = await raw('/assets/blob-0a1b2c3d.png');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'image/png');
  assert.equal(Number(r.headers['content-length']), BIG.length);
  assert.ok(r.body.equals(BIG));
  // several at once, read concurrently
  const all = await Promise.all([1, 2, 3].map(() => raw('/assets/blob-0a1b2c3d.png')));
  for (const x of all) assert.ok(x.body.equals(BIG));
});

test('ETag per encoding; If-None-Match answers 304 without a body', async () => {
  const a = await raw('/assets/app-3f9a1c2b.js', { 'accept-encoding': 'br' });
  const b = await raw('/assets/app-3f9a1c2b.js', { 'accept-encoding': 'gzip' });
  assert.ok(a.headers.etag && b.headers.etag && a.headers.etag !== b.headers.etag);
  const again = await raw('/assets/app-3f9a1c2b.js', { 'accept-encoding': 'br', 'if-none-match': String(a.headers.etag) });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
});

test('missing files 404, client-side routes get the page, writes are 405', async () => {
  assert.equal((await raw('/assets/nope-12345678.js')).status, 404);
  const route = await raw('/users/1001');
  assert.equal(route.status, 200);
  assert.equal(route.body.toString(), INDEX);
  const r = await fetch(bed.url + '/', { method: 'POST', body: 'x' });
  assert.equal(r.status, 405);
});

test('no path escapes wwwDir, encoded or not', async () => {
  for (const path of [
    '/../../../../etc/passwd', '/assets/../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
    '/..%2f..%2fetc%2fpasswd', '/assets/..%5c..%5cetc%5cpasswd', '/%00index.html', '/assets/%', '/./index.html',
  ]) {
    const answer = await rawRequest(bed.server.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    const status = rawStatus(answer);
    assert.ok(status === 400 || status === 404, `${path} → ${status}`);
    assert.doesNotMatch(answer, /root:/);
  }
});

test('without a www dir the API still works and / is a 404', async () => {
  const bare = await openBed({ wwwDir: null });
  try {
    assert.equal((await fetch(bare.url + '/')).status, 404);
    assert.equal((await bare.api('/api/users')).status, 200);
  } finally {
    await bare.close();
  }
});
