import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bundlePath, hostTarget, loadNativeAddon, loadUws, nativeSource, nativesReport, type NativeTarget } from './index.ts';

const t = (o: Partial<NativeTarget>): NativeTarget => ({ platform: 'linux', arch: 'x64', abi: 115, libc: 'glibc', glibc: '2.36', armVersion: null, ...o });

test('uWS comes from trufflesuite below Node 22, from btc-vision from ABI 127', () => {
  assert.deepEqual(nativeSource('uws', t({})), { pkg: '@trufflesuite/uws-js-unofficial', dir: 'binaries', files: ['uws_linux_x64_115.node'] });
  assert.deepEqual(nativeSource('uws', t({ arch: 'arm64', abi: 127 })), { pkg: '@btc-vision/uwebsockets.js', dir: '', files: ['uws_linux_arm64_127.node'] });
});

test('lmdb and msgpackr-extract prefer the ABI build, then N-API, for the C library', () => {
  assert.deepEqual(nativeSource('lmdb', t({ arch: 'arm' })).files, ['node.abi115.glibc.node', 'node.napi.glibc.node']);
  assert.equal(nativeSource('lmdb', t({ arch: 'arm' })).pkg, '@lmdb/lmdb-linux-arm');
  assert.deepEqual(nativeSource('msgpackr-extract', t({ libc: 'musl', abi: 127 })).files, ['node.abi127.musl.node', 'node.napi.musl.node']);
});

test('serialport picks the CPU-tagged prebuild', () => {
  assert.deepEqual(nativeSource('serialport', t({})).files, ['@serialport+bindings-cpp.glibc.node']);
  assert.deepEqual(nativeSource('serialport', t({ arch: 'arm64' })).files, ['@serialport+bindings-cpp.armv8.glibc.node']);
  assert.deepEqual(nativeSource('serialport', t({ arch: 'arm', armVersion: '7' })).files,
    ['@serialport+bindings-cpp.armv7.glibc.node', '@serialport+bindings-cpp.armv6.glibc.node']);
  assert.equal(nativeSource('serialport', t({ arch: 'arm' })).dir, 'prebuilds/linux-arm');
  assert.equal(bundlePath('/opt/p', 'serialport', t({ arch: 'arm' }), 'f.node'), '/opt/p/native/linux-arm/serialport/f.node');
});

test('on this host every native loads and the report names its file', () => {
  const uws = loadUws();
  assert.equal(typeof uws.App, 'function');
  assert.equal(loadUws(), uws, 'loaded once');
  assert.equal(typeof (loadNativeAddon('msgpackr-extract') as { extractStrings?: unknown }).extractStrings, 'function');
  const r = nativesReport();
  assert.match(r.uws!, /uws_linux_.*\.node$/);
  assert.match(r['msgpackr-extract']!, /\.node$/);
  assert.match(r.lmdb!, /\.node \(resolved\)$/);
  assert.equal(r.mode, 'development');
  assert.equal(hostTarget().abi, Number(process.versions.modules));
  assert.throws(() => loadNativeAddon('sqlite' as never), /unknown native addon/);
});
