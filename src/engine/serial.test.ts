// The link over a serial line: a pty pair made by socat stands in for the UART.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setLogSink } from '../log.ts';
import { EngineEmulator } from './emulator.ts';
import { EngineLink, type EngineEvents } from './link.ts';
import { openSerial, parseSerialTarget } from './serial.ts';

function haveSocat(): boolean {
  if (spawnSync('socat', ['-V']).status === 0) return true;
  spawnSync('apt-get', ['install', '-y', 'socat'], { stdio: 'ignore', timeout: 120_000 });
  return spawnSync('socat', ['-V']).status === 0;
}
const socatOk = haveSocat();
const skip = socatOk ? false : 'socat is not installed and `apt-get install -y socat` failed: serial test skipped';

let logs: string[] = [];
before(() => setLogSink((l) => logs.push(l)));
after(() => setLogSink((l) => process.stdout.write(l + '\n')));

test('serial targets parse: path and baud, 115200 by default', () => {
  assert.deepEqual(parseSerialTarget('serial:/dev/ttyS1?baud=115200'), { path: '/dev/ttyS1', baudRate: 115200 });
  assert.deepEqual(parseSerialTarget('serial:/dev/ttyUSB0'), { path: '/dev/ttyUSB0', baudRate: 115200 });
  assert.deepEqual(parseSerialTarget('serial:/dev/ttyS0?baud=9600'), { path: '/dev/ttyS0', baudRate: 9600 });
  assert.equal(parseSerialTarget('serial:/dev/ttyS0?baud=fast'), null);
  assert.equal(parseSerialTarget('serial:ttyS0'), null);
  assert.equal(parseSerialTarget('/dev/ttyS0'), null);
});

test('opening a missing serial device fails with a clear error', async () => {
  await assert.rejects(openSerial('serial:/dev/does-not-exist-prepaid?baud=115200', { connectTimeoutMs: 1000, signal: new AbortController().signal }), /does-not-exist-prepaid/);
});

test('the link runs over a pty pair (socat): handshake, events and commands', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'prepaid-serial-'));
  const appSide = join(dir, 'x1');
  const engineSide = join(dir, 'x2');
  const socat: ChildProcess = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${appSide}`, `pty,raw,echo=0,link=${engineSide}`], { stdio: 'ignore' });
  const emu = new EngineEmulator({ promptMs: 30 });
  let link: EngineLink | null = null;
  t.after(async () => {
    await link?.stop();
    await emu.close();
    socat.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  for (let i = 0; i < 100 && !(existsSync(appSide) && existsSync(engineSide)); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(existsSync(appSide) && existsSync(engineSide), 'socat made the pty pair');

  emu.serve(await openSerial(`serial:${engineSide}?baud=115200`, { connectTimeoutMs: 1000, signal: new AbortController().signal }));
  link = new EngineLink({ target: `serial:${appSide}?baud=115200`, connectTimeoutMs: 1000, appName: 'prepaid/test' });
  const l = link;
  const next = <K extends keyof EngineEvents>(name: K) =>
    new Promise<EngineEvents[K]>((resolve) => {
      const fn = (e: EngineEvents[K]) => {
        l.off(name, fn);
        resolve(e);
      };
      l.on(name, fn);
    });
  const synced = next('synced');
  l.start();
  await synced;
  assert.equal(l.state, 'up');
  assert.match(emu.commands[0].line, /^HELLO proto=1 app=prepaid\/test$/);

  const offered = next('offer');
  const call = emu.offer({ from: 'Zoé 5173', to: '6000' });
  const o = await offered;
  assert.equal(o.call, call);
  assert.equal(o.from, 'Zoé 5173', 'UTF-8 crosses the line intact');
  await l.answer(call);
  const played = next('played');
  const p = l.play(call, ['fr/agent-pass'], true);
  await p.ack;
  assert.equal((await played).ref, p.ref);
  const ended = next('ended');
  await l.hangup(call);
  assert.equal((await ended).by, 'app');
});
