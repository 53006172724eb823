// The link against the engine emulator over real TCP (real time, short delays).
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { isAppError } from '../errors.ts';
import { setLogSink } from '../log.ts';
import { EngineEmulator, type EmulatorOptions } from './emulator.ts';
import { EngineLink, type EngineEvents } from './link.ts';

let logs: string[] = [];
before(() => setLogSink((l) => logs.push(l)));
after(() => setLogSink((l) => process.stdout.write(l + '\n')));

function nextEvent<K extends keyof EngineEvents>(
  link: EngineLink,
  name: K,
  pred: (e: EngineEvents[K]) => boolean = () => true,
  timeoutMs = 3000,
): Promise<EngineEvents[K]> {
  return new Promise((resolve, reject) => {
    const fn = (e: EngineEvents[K]) => {
      if (!pred(e)) return;
      clearTimeout(t);
      link.off(name, fn);
      resolve(e);
    };
    const t = setTimeout(() => {
      link.off(name, fn);
      reject(new Error(`no ${name} event within ${timeoutMs} ms`));
    }, timeoutMs);
    link.on(name, fn);
  });
}

async function rig(t: TestContext, o: EmulatorOptions = {}) {
  const emu = await EngineEmulator.start({ promptMs: 40, offerTimeoutMs: 2000, dial: { kind: 'answer', afterMs: 80 }, ...o });
  const link = new EngineLink({ target: emu.address, connectTimeoutMs: 1000, appName: 'prepaid/test' });
  const synced = nextEvent(link, 'synced');
  link.start();
  t.after(async () => {
    await link.stop();
    await emu.close();
  });
  await synced;
  return {
    emu,
    link,
    async close() {
      await link.stop();
      await emu.close();
    },
  };
}

test('an IVR call end to end: offer, answer, barge-in, dial, connect, engine limit', async (t) => {
  const { emu, link, close } = await rig(t);
  assert.equal(link.state, 'up');
  assert.ok(emu.port > 0);
  assert.match(emu.commands[0].line, /^HELLO proto=1 app=prepaid\/test$/);

  const offered = nextEvent(link, 'offer');
  const call = emu.offer({ from: '5173', to: '6000' });
  assert.match(call, /^A\d{17}$/);
  const offer = await offered;
  assert.equal(offer.call, call);
  assert.equal(offer.from, '5173');
  assert.ok(Math.abs(offer.at - Date.now()) < 1000);

  await link.answer(call);
  const order: string[] = [];
  link.on('digits', (e) => order.push(`digits:${e.digits}`));
  link.on('played', (e) => order.push(`played:${e.ref}:${e.interrupted}`));
  const { ref, ack } = link.play(call, ['fr/agent-pass'], true);
  await ack;
  emu.sendDigits(call, '2345#');
  await emu.waitFor(() => order.length === 2);
  assert.deepEqual(order, ['digits:2345#', `played:${ref}:true`]);

  const p2 = link.play(call, ['fr/vm-youhave', 'fr/digits/20'], true);
  await p2.ack;
  const played = await nextEvent(link, 'played', (e) => e.ref === p2.ref);
  assert.equal(played.interrupted, false);

  const ringing = nextEvent(link, 'ringing');
  const connected = nextEvent(link, 'connected');
  const ended = nextEvent(link, 'ended');
  await link.dial(call, { to: '0141587070', from: '5173', timeout: 60, limit: 1 });
  const dialCmd = await emu.waitForCommand('DIAL');
  assert.equal(dialCmd.fields.limit, '1');
  await ringing;
  const c = await connected;
  const e = await ended;
  assert.equal(e.by, 'engine');
  assert.equal(e.replayed, false);
  assert.ok(e.at - c.at >= 1000 && e.at - c.at < 3000, `released ${e.at - c.at} ms after CONNECTED`);
  assert.equal(emu.call(call)?.state, 'ended');
  await assert.rejects(link.hangup(call), (err: unknown) => isAppError(err) && err.code === 'ENGINE_ERROR' && /call-gone/.test(err.message));
  await close();
});

test('LIMIT replaces the engine-side limit, counted from CONNECTED', async (t) => {
  const { emu, link, close } = await rig(t);
  const call = emu.offer({ from: '5173', to: '0561500001' });
  await nextEvent(link, 'offer');
  const connected = nextEvent(link, 'connected');
  await link.dial(call, { to: '0141587070', limit: 30 });
  const c = await connected;
  const ended = nextEvent(link, 'ended');
  await link.limit(call, 1);
  const e = await ended;
  assert.ok(e.at - c.at >= 1000 && e.at - c.at < 3000, `released ${e.at - c.at} ms after CONNECTED, not 30 s`);
  await close();
});

test('HANGUP with prompts: callee released at once, prompts played, ENDED when the caller is gone', async (t) => {
  const { emu, link, close } = await rig(t, { promptMs: 100 });
  const call = emu.offer({ from: '5173', to: '6000' });
  await nextEvent(link, 'offer');
  await link.answer(call);
  const connected = nextEvent(link, 'connected');
  await link.dial(call, { to: '3000' });
  await connected;
  const ended = nextEvent(link, 'ended');
  await link.hangup(call, { cause: 16, prompts: ['fr/credit-exhausted', 'fr/goodbye'] });
  const cmd = await emu.waitForCommand('HANGUP');
  assert.equal(emu.call(call)?.state, 'releasing');
  assert.equal(emu.call(call)?.hangupAt, cmd.at, JSON.stringify(emu.commands.map((l) => [l.at, l.line])));
  const e = await ended;
  assert.equal(e.by, 'app');
  assert.equal(e.cause, '16');
  assert.ok(e.at - cmd.at >= 200, 'ENDED comes after the two prompts');
  // The OK of the HANGUP went out before the ENDED.
  const okIdx = emu.sent.findIndex((l) => l.verb === 'OK' && l.fields.ref === cmd.fields.ref);
  const endIdx = emu.sent.findIndex((l) => l.verb === 'ENDED' && l.fields.call === call);
  assert.ok(okIdx >= 0 && okIdx < endIdx);
  await close();
});

test('an OFFER left unanswered is released by the engine; PLAY before ANSWER is refused', async (t) => {
  const { emu, link, close } = await rig(t, { offerTimeoutMs: 150 });
  const a = emu.offer({ from: '', to: '6000' });
  const offer = await nextEvent(link, 'offer');
  assert.equal(offer.from, '');
  const e = await nextEvent(link, 'ended', (x) => x.call === a);
  assert.equal(e.by, 'engine');
  assert.equal(e.cause, '102');
  const b = emu.offer({ from: '5173', to: '6000' });
  await nextEvent(link, 'offer', (x) => x.call === b);
  await assert.rejects(link.play(b, ['fr/x'], false).ack, (err: unknown) => isAppError(err) && /not-answered/.test(err.message));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(emu.call(b)?.state, 'offered', 'any command for the call stops the 2 s release');
  await assert.rejects(link.answer('NOPE'), (err: unknown) => isAppError(err) && /unknown-call/.test(err.message));
  await close();
});

test('dial behaviours: fail with a cause, ring until the DIAL timeout, callee rejects', async (t) => {
  const { emu, link, close } = await rig(t);
  const a = emu.offer({ from: '1', to: '6000', dial: { kind: 'fail', cause: 'busy', afterMs: 50 } });
  await nextEvent(link, 'offer');
  await link.answer(a);
  await link.dial(a, { to: '3000' });
  const f = await nextEvent(link, 'failed');
  assert.equal(f.cause, 'busy');
  assert.equal(emu.call(a)?.state, 'ivr', 'the caller leg is still up');

  const b = emu.offer({ from: '1', to: '6000' });
  emu.setDial(b, { kind: 'noanswer', ringAfterMs: 20 });
  await nextEvent(link, 'offer', (x) => x.call === b);
  const ringing = nextEvent(link, 'ringing', (x) => x.call === b);
  await link.dial(b, { to: '3000', timeout: 1 });
  await ringing;
  const g = await nextEvent(link, 'failed', (x) => x.call === b, 2000);
  assert.equal(g.cause, 'noanswer');

  const c = emu.offer({ from: '1', to: '6000', dial: { kind: 'noanswer' } });
  await nextEvent(link, 'offer', (x) => x.call === c);
  await link.dial(c, { to: '3000' });
  await nextEvent(link, 'ringing', (x) => x.call === c);
  const rejected = nextEvent(link, 'failed', (x) => x.call === c);
  emu.hangupByCallee(c);
  assert.equal((await rejected).cause, 'rejected');
  const ended = nextEvent(link, 'ended', (x) => x.call === c);
  emu.hangupByCaller(c);
  assert.equal((await ended).by, 'caller');
  await close();
});

test('dropLink: calls go on; after reconnection the replay lists ACTIVE calls and ENDED ones, then SYNCED', async (t) => {
  const { emu, link, close } = await rig(t);
  const a = emu.offer({ from: '5173', to: '6000' });
  const b = emu.offer({ from: '5174', to: '6000' });
  await nextEvent(link, 'offer', (x) => x.call === b);
  await link.answer(a);
  await link.answer(b);
  const connected = nextEvent(link, 'connected', (x) => x.call === a);
  await link.dial(a, { to: '3000', limit: 60 });
  const c = await connected;
  const down = nextEvent(link, 'state', (s) => s.state === 'down');
  emu.dropLink();
  await down;
  emu.hangupByCaller(b); // ends while no application is connected
  const actives: EngineEvents['active'][] = [];
  const endeds: EngineEvents['ended'][] = [];
  link.on('active', (x) => actives.push(x));
  link.on('ended', (x) => endeds.push(x));
  await nextEvent(link, 'synced', () => true, 3000);
  assert.deepEqual(actives, [{ call: a, from: '5173', to: '6000', state: 'connected', connectedAt: c.at }]);
  assert.equal(endeds.length, 1);
  assert.equal(endeds[0].call, b);
  assert.equal(endeds[0].by, 'caller');
  assert.equal(endeds[0].replayed, true);
  assert.equal(emu.stats.connections, 2);
  // Delivered once: a further reconnection replays no ENDED.
  emu.dropLink();
  const again: EngineEvents['ended'][] = [];
  link.on('ended', (x) => again.push(x));
  await nextEvent(link, 'synced', () => true, 3000);
  assert.deepEqual(again, []);
  await close();
});

test('fuzz from the engine side: garbage never drops the link; the emulator survives garbage too', async (t) => {
  const { emu, link, close } = await rig(t);
  emu.rawSend('garbage line');
  emu.rawSend('OFFER call=%ZZ');
  emu.rawWrite(Buffer.from([0xff, 0xfe, 0x0a, 0x00, 0x0d, 0x0a]));
  emu.rawSend('Y'.repeat(10_000));
  emu.rawSend('WHAT ref=4');
  emu.rawSend('OFFER call=A1 from=1 to=6000 at=1.5');
  await emu.waitForCommand('ERR', (f) => f.ref === '4');
  assert.equal(link.state, 'up');
  const call = emu.offer({ from: '1', to: '6000' });
  assert.equal((await nextEvent(link, 'offer')).call, call);
  const s = link.stats();
  assert.ok(s.malformed >= 3 && s.overlong === 1 && s.invalidEvents === 1 && s.unknownVerbs === 1, JSON.stringify(s));

  // A raw client sending junk to the emulator gets answers, not a crash.
  await close();
  const emu2 = await EngineEmulator.start();
  const sock = net.connect(emu2.port, '127.0.0.1');
  let got = '';
  sock.on('data', (d) => (got += d.toString()));
  sock.write('junk\n\xff\xfe\nFROB ref=3\nANSWER call=none ref=4\nANSWER ref=x\nHELLO proto=1 app=raw\nPING id=5\n');
  await emu2.waitFor(() => /SYNCED/.test(got) && /PONG id=5/.test(got), 2000);
  assert.match(got, /ERR ref=3 code=unknown-verb/);
  assert.match(got, /ERR ref=4 code=unknown-call/);
  assert.match(got, /HELLO proto=1 engine=emulator\/1/);
  sock.destroy();
  await emu2.close();
});

test('an engine announcing another proto is refused by the link, which keeps retrying', async () => {
  const emu = await EngineEmulator.start({ proto: 2 });
  const link = new EngineLink({ target: emu.address, connectTimeoutMs: 1000, appName: 'prepaid/test' });
  logs = [];
  link.start();
  await emu.waitFor(() => emu.stats.connections >= 2, 3000);
  assert.notEqual(link.state, 'up');
  assert.ok(logs.some((l) => /engine\.proto-mismatch/.test(l)));
  await link.stop();
  await emu.close();
});

test('TCP connect failure is retried until the engine appears', async () => {
  const probe = await EngineEmulator.start();
  const port = probe.port;
  await probe.close();
  const link = new EngineLink({ target: `127.0.0.1:${port}`, connectTimeoutMs: 500, appName: 'prepaid/test' });
  link.start();
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(link.state, 'down');
  const emu = await EngineEmulator.start({ port });
  await nextEvent(link, 'synced', () => true, 4000);
  assert.equal(link.state, 'up');
  await link.stop();
  await emu.close();
});

test('retarget: a running link leaves its engine for the new address at once', async () => {
  const a = await EngineEmulator.start();
  const b = await EngineEmulator.start();
  const link = new EngineLink({ target: `127.0.0.1:${a.port}`, connectTimeoutMs: 500, appName: 'prepaid/test' });
  link.start();
  await nextEvent(link, 'synced', () => true, 4000);
  link.retarget(`127.0.0.1:${a.port}`, 500); // unchanged: the link stays where it is
  assert.equal(link.state, 'up');
  assert.equal(a.stats.connections, 1);
  link.retarget(`127.0.0.1:${b.port}`, 800);
  await nextEvent(link, 'synced', () => true, 4000);
  assert.equal(b.stats.connections, 1);
  await a.waitFor(() => !a.connected, 3000, "the old engine was left");
  await link.stop();
  await a.close();
  await b.close();
});
