// The demo engine against a minimal scripted application over a real EngineLink.
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setLogSink } from '../log.ts';
import { EngineLink } from '../engine/link.ts';
import { startDemoEngine, type DemoOptions, type DemoUser } from './demo-engine.ts';

before(() => setLogSink(() => {}));
after(() => setLogSink((l) => process.stdout.write(l + '\n')));

const USERS: DemoUser[] = [
  { pin: '2345', callerId: '0561500000', dids: [{ did: '0561500001', to: '0141587070' }] },
  { pin: '98765', callerId: '0561509999' },
  { pin: '1111' },
];
const IVR = '6000';

interface Seen {
  pinsOk: string[];
  pinsBad: string[];
  dials: { call: string; from: string; to: string; via: 'pin' | 'one-step' | 'did' }[];
}

/** Just enough of an application: PIN, one-step and DID services, limit on every DIAL. */
function miniApp(link: EngineLink, limit: number): Seen {
  const seen: Seen = { pinsOk: [], pinsBad: [], dials: [] };
  const calls = new Map<string, { from: string; buf: string; want: 'pin' | 'number' | null; via: 'pin' | 'one-step' }>();
  const ignore = () => {};
  link.on('offer', (e) => {
    const u = USERS.find((x) => x.callerId && x.callerId === e.from);
    if (e.to === IVR) {
      const oneStep = !!u;
      calls.set(e.call, { from: e.from, buf: '', want: oneStep ? 'number' : 'pin', via: oneStep ? 'one-step' : 'pin' });
      link.answer(e.call).then(() => {
        const prompts = oneStep ? ['fr/vm-youhave', 'fr/digits/5', 'fr/vm-enter-num-to-call'] : ['fr/agent-pass'];
        link.play(e.call, prompts, true).ack.catch(ignore);
      }, ignore);
      return;
    }
    const m = u?.dids?.find((d) => d.did === e.to);
    if (!m) return void link.hangup(e.call).catch(ignore);
    seen.dials.push({ call: e.call, from: e.from, to: m.to, via: 'did' });
    link.dial(e.call, { to: m.to, from: e.from, limit }).catch(ignore);
  });
  link.on('digits', (e) => {
    const s = calls.get(e.call);
    if (!s) return;
    s.buf += e.digits;
    let i: number;
    while ((i = s.buf.indexOf('#')) >= 0) {
      const entry = s.buf.slice(0, i);
      s.buf = s.buf.slice(i + 1);
      if (s.want === 'pin') {
        if (USERS.some((u) => u.pin === entry)) {
          seen.pinsOk.push(entry);
          s.want = 'number';
          link.play(e.call, ['fr/vm-youhave', 'fr/digits/20', 'fr/vm-enter-num-to-call'], true).ack.catch(ignore);
        } else {
          seen.pinsBad.push(entry);
          link.play(e.call, ['fr/auth-incorrect'], true).ack.catch(ignore);
        }
      } else if (s.want === 'number') {
        s.want = null;
        seen.dials.push({ call: e.call, from: s.from, to: entry, via: s.via });
        link.dial(e.call, { to: entry, from: s.from, limit }).catch(ignore);
      }
    }
  });
  link.on('failed', (e) => void link.hangup(e.call, { prompts: ['fr/vm-nobodyavail'] }).catch(ignore));
  link.on('ended', (e) => calls.delete(e.call));
  return seen;
}

let seed = 1;
const seeded = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);

async function demoRig(t: TestContext, o: Partial<DemoOptions>, limit: number) {
  const demo = await startDemoEngine({ users: USERS, ivrDid: IVR, speed: 40, maxCalls: 6, random: seeded, ...o });
  const link = new EngineLink({ target: demo.address, connectTimeoutMs: 1000, appName: 'prepaid/test' });
  const seen = miniApp(link, limit);
  link.start();
  t.after(async () => {
    await link.stop();
    await demo.stop();
  });
  return { demo, link, seen, emu: demo.emulator };
}

test('demo callers use the three services and react to the prompts they hear', async (t) => {
  const { demo, seen, emu } = await demoRig(t, { mix: { wrongPin: 0.5 } }, 5);
  const byCallerOrCallee = () => emu.sent.some((l) => l.verb === 'ENDED' && (l.fields.by === 'caller' || l.fields.by === 'callee') && emu.sent.some((c) => c.verb === 'CONNECTED' && c.fields.call === l.fields.call));
  await emu.waitFor(
    () =>
      seen.dials.some((d) => d.via === 'pin') &&
      seen.dials.some((d) => d.via === 'one-step') &&
      seen.dials.some((d) => d.via === 'did') &&
      seen.pinsBad.length > 0 &&
      byCallerOrCallee(),
    20_000,
    'every demo scenario',
  );
  // PIN callers come from numbers that are not a user's Caller ID, typed a real PIN, then a number with '#'.
  for (const d of seen.dials.filter((x) => x.via === 'pin')) assert.ok(!USERS.some((u) => u.callerId && u.callerId === d.from));
  for (const p of seen.pinsOk) assert.ok(USERS.some((u) => u.pin === p));
  for (const d of seen.dials.filter((x) => x.via !== 'did')) assert.match(d.to, /^\d+$/);
  // DID calls come from the owner's Caller ID and dial the mapped number.
  for (const d of seen.dials.filter((x) => x.via === 'did')) {
    assert.equal(d.from, '0561500000');
    assert.equal(d.to, '0141587070');
  }
  assert.ok(demo.placed() >= 3);
  assert.ok(emu.liveCalls().length <= 6, 'never more calls than maxCalls');
});

test('demo: failed dials now and then, released after the failure', async (t) => {
  const { emu } = await demoRig(t, { mix: { talk: 0, untilCut: 0, fail: 1 } }, 5);
  const failed = await emu.waitForSent('FAILED', () => true, { timeoutMs: 15_000 });
  assert.match(failed.fields.cause, /^(busy|noanswer|congestion)$/);
  await emu.waitForSent('ENDED', (f) => f.call === failed.fields.call, { timeoutMs: 5000 });
  assert.ok(!emu.sent.some((l) => l.verb === 'CONNECTED'));
});

test('demo: a call nobody hangs up runs until the limit cuts it', async (t) => {
  const { emu } = await demoRig(t, { mix: { talk: 0, untilCut: 1, fail: 0 }, maxCalls: 1 }, 1);
  const connected = await emu.waitForSent('CONNECTED', () => true, { timeoutMs: 15_000 });
  const ended = await emu.waitForSent('ENDED', (f) => f.call === connected.fields.call, { timeoutMs: 5000 });
  assert.equal(ended.fields.by, 'engine');
  assert.ok(Number(ended.fields.at) - Number(connected.fields.at) >= 1000);
});

test('demo with no usable user places no call and does not crash', async (t) => {
  const { demo } = await demoRig(t, { users: [] }, 5);
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(demo.placed(), 0);
});
