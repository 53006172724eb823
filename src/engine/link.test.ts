import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../clock.ts';
import { isAppError } from '../errors.ts';
import { setLogSink } from '../log.ts';
import { LineSplitter } from './codec.ts';
import { EngineLink, type EngineEvents, type LinkState } from './link.ts';
import { memoryPair, type MemoryTransport } from './memory.ts';
import type { TransportFactory } from './transport.ts';

const tick = () => new Promise<void>((r) => setImmediate(r));

let logs: string[] = [];
beforeEach(() => {
  logs = [];
  setLogSink((l) => logs.push(l));
});
afterEach(() => setLogSink((l) => process.stdout.write(l + '\n')));

/** A mock engine behind the memory transport, plus a FakeClock-driven link. */
class Rig {
  clock = new FakeClock(1_700_000_000_000);
  mode: 'accept' | 'refuse' | 'hang' = 'accept';
  attemptsAt: number[] = [];
  ends: { eng: MemoryTransport; lines: string[]; closed: boolean }[] = [];
  events: [string, unknown][] = [];
  states: LinkState[] = [];
  link: EngineLink;

  constructor() {
    const factory: TransportFactory = (_target, o) => {
      this.attemptsAt.push(this.clock.now());
      if (this.mode === 'refuse') return Promise.reject(new Error('ECONNREFUSED'));
      if (this.mode === 'hang')
        return new Promise((_, reject) => o.signal.addEventListener('abort', () => reject(new Error('aborted'))));
      const [app, eng] = memoryPair();
      const end = { eng, lines: [] as string[], closed: false };
      const sp = new LineSplitter((l) => end.lines.push(l.toString('utf8')));
      eng.attach({ data: (d) => sp.push(d), closed: () => (end.closed = true) });
      this.ends.push(end);
      return Promise.resolve(app);
    };
    this.link = new EngineLink({ target: '127.0.0.1:15749', connectTimeoutMs: 2000, appName: 'prepaid/2.0.0', clock: this.clock, transportFactory: factory });
    const names: (keyof EngineEvents)[] = ['offer', 'digits', 'played', 'ringing', 'connected', 'failed', 'ended', 'active', 'synced'];
    for (const n of names) this.link.on(n, (e) => this.events.push([n, e]));
    this.link.on('state', (e) => this.states.push(e.state));
  }
  get end() {
    return this.ends[this.ends.length - 1];
  }
  send(line: string) {
    this.end.eng.write(line + '\n');
  }
  async advance(ms: number) {
    this.clock.advance(ms);
    await tick();
  }
  /** Starts and completes HELLO + empty replay. */
  async up() {
    this.link.start();
    await tick();
    this.send('HELLO proto=1 engine=mock/1');
    this.send('SYNCED');
    await tick();
    assert.equal(this.link.state, 'up');
  }
  linkLogs() {
    return logs.filter((l) => / engine\.link /.test(l));
  }
}

test('handshake: HELLO first, replay of ACTIVE and ENDED, then SYNCED → up', async () => {
  const r = new Rig();
  r.link.start();
  assert.equal(r.link.state, 'connecting');
  await tick();
  assert.equal(r.link.state, 'handshake');
  assert.deepEqual(r.end.lines, ['HELLO proto=1 app=prepaid/2.0.0']);
  r.send('HELLO proto=1 engine=A6000/5.2');
  await tick();
  assert.equal(r.link.state, 'replay');
  r.send('ACTIVE call=A1 from=5173 to=6000 state=connected connected_at=1699999990000');
  r.send('ACTIVE call=A2 from= to=0561500001 state=ivr');
  r.send('ENDED call=A3 by=engine cause=16 at=1699999995000');
  r.send('SYNCED');
  r.send('ENDED call=A1 by=caller cause=16 at=1700000001000');
  await tick();
  assert.equal(r.link.state, 'up');
  assert.deepEqual(r.events, [
    ['active', { call: 'A1', from: '5173', to: '6000', state: 'connected', connectedAt: 1699999990000 }],
    ['active', { call: 'A2', from: '', to: '0561500001', state: 'ivr', connectedAt: null }],
    ['ended', { call: 'A3', by: 'engine', cause: '16', at: 1699999995000, replayed: true }],
    ['synced', {}],
    ['ended', { call: 'A1', by: 'caller', cause: '16', at: 1700000001000, replayed: false }],
  ]);
  assert.deepEqual(r.states, ['connecting', 'handshake', 'replay', 'up']);
  assert.equal(r.linkLogs().length, 4, 'each state change logged once');
  assert.match(r.linkLogs()[3], /state=up/);
  await r.link.stop();
});

test('tolerates an engine with no replay lines, and live events before SYNCED', async () => {
  const r = new Rig();
  r.link.start();
  await tick();
  r.send('HELLO proto=1');
  r.send('OFFER call=A9 from=5173 to=6000 at=1700000000500');
  r.send('SYNCED');
  await tick();
  assert.equal(r.link.state, 'up');
  assert.deepEqual(r.events, [
    ['offer', { call: 'A9', from: '5173', to: '6000', at: 1700000000500 }],
    ['synced', {}],
  ]);
  await r.link.stop();
});

test('every live event is typed, at= parsed as integer milliseconds', async () => {
  const r = new Rig();
  await r.up();
  r.events = [];
  r.send('OFFER call=A1 from=5173 to=6000 at=1700000000000');
  r.send('DIGITS call=A1 digits=2345# at=1700000001000');
  r.send('PLAYED call=A1 ref=2 interrupted=1');
  r.send('PLAYED call=A1 ref=3');
  r.send('RINGING call=A1 at=1700000002000');
  r.send('CONNECTED call=A1 at=1700000003000');
  r.send('FAILED call=A2 cause=busy at=1700000004000');
  r.send('ENDED call=A1 by=app cause=16 at=1700000005000 extra=ignored');
  await tick();
  assert.deepEqual(r.events, [
    ['offer', { call: 'A1', from: '5173', to: '6000', at: 1700000000000 }],
    ['digits', { call: 'A1', digits: '2345#', at: 1700000001000 }],
    ['played', { call: 'A1', ref: 2, interrupted: true }],
    ['played', { call: 'A1', ref: 3, interrupted: false }],
    ['ringing', { call: 'A1', at: 1700000002000 }],
    ['connected', { call: 'A1', at: 1700000003000 }],
    ['failed', { call: 'A2', cause: 'busy', at: 1700000004000 }],
    ['ended', { call: 'A1', by: 'app', cause: '16', at: 1700000005000, replayed: false }],
  ]);
  await r.link.stop();
});

test('commands carry increasing refs; OK resolves, ERR rejects with ENGINE_ERROR and the engine words', async () => {
  const r = new Rig();
  await r.up();
  const answered = r.link.answer('A1');
  const played = r.link.play('A1', ['fr/agent-pass'], true);
  const dialed = r.link.dial('A1', { to: '0141587070', from: '5173', timeout: 60, limit: 1179.8 });
  const limited = r.link.limit('A1', 30);
  const stopped = r.link.stopPlayback('A1');
  const hung = r.link.hangup('A1', { cause: 16, prompts: ['fr/credit-exhausted', 'fr/goodbye'] });
  const bare = r.link.hangup('A2');
  const inf = r.link.dial('A3', { to: '3000', via: '', limit: Infinity });
  await tick();
  assert.deepEqual(r.end.lines.slice(1), [
    'ANSWER call=A1 ref=1',
    'PLAY call=A1 ref=2 prompts=fr/agent-pass bargein=1',
    'DIAL call=A1 ref=3 to=0141587070 from=5173 timeout=60 limit=1179',
    'LIMIT call=A1 ref=4 seconds=30',
    'STOP call=A1 ref=5',
    'HANGUP call=A1 ref=6 cause=16 prompts=fr/credit-exhausted,fr/goodbye',
    'HANGUP call=A2 ref=7',
    'DIAL call=A3 ref=8 to=3000',
  ]);
  assert.equal(played.ref, 2);
  for (const ref of [1, 2, 4, 5, 6, 7, 8]) r.send(`OK ref=${ref}`);
  r.send('ERR ref=3 code=busy-leg reason=already%20dialing');
  await tick();
  await answered;
  await played.ack;
  await limited;
  await stopped;
  await hung;
  await bare;
  await inf;
  await assert.rejects(dialed, (e: unknown) => {
    assert.ok(isAppError(e));
    assert.equal(e.code, 'ENGINE_ERROR');
    assert.match(e.message, /busy-leg/);
    assert.match(e.message, /already dialing/);
    return true;
  });
  // refs keep counting on one link
  const next = r.link.play('A1', ['fr/goodbye'], false);
  assert.equal(next.ref, 9);
  await tick();
  assert.equal(r.end.lines.at(-1), 'PLAY call=A1 ref=9 prompts=fr/goodbye');
  await r.link.stop();
});

test('a command unanswered for 5 s is rejected with TIMEOUT; a late answer is only counted', async () => {
  const r = new Rig();
  await r.up();
  const p = r.link.answer('A1');
  let settled = false;
  p.catch(() => {}).finally(() => (settled = true));
  await r.advance(4999);
  assert.equal(settled, false);
  r.clock.advance(1);
  await assert.rejects(p, (e: unknown) => isAppError(e) && e.code === 'TIMEOUT');
  r.send('OK ref=1');
  r.send('ERR ref=77 code=x reason=y');
  await tick();
  assert.equal(r.link.stats().unknownRefs, 2);
  assert.equal(r.link.state, 'up');
  await r.link.stop();
});

test('sending while not connected rejects at once with LINK_DOWN; link loss rejects what is pending', async () => {
  const r = new Rig();
  await assert.rejects(r.link.answer('A1'), (e: unknown) => isAppError(e) && e.code === 'LINK_DOWN');
  const played = r.link.play('A1', ['fr/x'], false);
  assert.equal(typeof played.ref, 'number');
  await assert.rejects(played.ack, (e: unknown) => isAppError(e) && e.code === 'LINK_DOWN');
  await r.up();
  const p = r.link.hangup('A1');
  await tick();
  r.end.eng.close();
  await assert.rejects(p, (e: unknown) => isAppError(e) && e.code === 'LINK_DOWN');
  assert.equal(r.link.state, 'down');
  await assert.rejects(r.link.answer('A1'), (e: unknown) => isAppError(e) && e.code === 'LINK_DOWN');
  await r.link.stop();
});

test('refs count per link: each new connection starts again at ref=1', async () => {
  const r = new Rig();
  await r.up();
  r.link.answer('A1').catch(() => {});
  r.link.hangup('A1').catch(() => {});
  await tick();
  assert.deepEqual(r.end.lines.slice(1), ['ANSWER call=A1 ref=1', 'HANGUP call=A1 ref=2']);
  r.end.eng.close();
  await tick();
  await r.advance(500); // first reconnect attempt
  r.send('HELLO proto=1 engine=mock/1');
  r.send('SYNCED');
  await tick();
  assert.equal(r.link.state, 'up');
  const again = r.link.hangup('B1');
  await tick();
  assert.equal(r.end.lines.at(-1), 'HANGUP call=B1 ref=1');
  r.send('OK ref=1');
  await again;
  await r.link.stop();
});

test('bad command arguments are refused without touching the link', async () => {
  const r = new Rig();
  await r.up();
  const before = r.end.lines.length;
  await assert.rejects(r.link.play('A1', [], true).ack, (e: unknown) => isAppError(e) && e.code === 'BAD_REQUEST');
  await assert.rejects(r.link.limit('A1', Infinity), (e: unknown) => isAppError(e) && e.code === 'BAD_REQUEST');
  await assert.rejects(r.link.play('A1', Array(600).fill('fr/digits/100'), true).ack, (e: unknown) => isAppError(e) && e.code === 'BAD_REQUEST');
  await tick();
  assert.equal(r.end.lines.length, before);
  assert.equal(r.link.state, 'up');
  await r.link.stop();
});

test('keepalive: PING every 5 s, PING answered with PONG of the same id', async () => {
  const r = new Rig();
  await r.up();
  r.send('PING id=42');
  await tick();
  assert.equal(r.end.lines.at(-1), 'PONG id=42');
  await r.advance(4999);
  assert.ok(!r.end.lines.some((l) => l.startsWith('PING')));
  await r.advance(1);
  assert.equal(r.end.lines.at(-1), 'PING id=1');
  r.send('PONG id=1');
  await r.advance(5000);
  assert.equal(r.end.lines.at(-1), 'PING id=2');
  await r.link.stop();
});

test('dead link: 15 s without any line closes it; any line resets the count; reconnect after 0.5 s', async () => {
  const r = new Rig();
  await r.up(); // last line at t0
  await r.advance(10_000);
  r.send('PONG id=1'); // t0+10s
  await tick();
  await r.advance(14_999);
  assert.equal(r.link.state, 'up');
  assert.equal(r.end.closed, false);
  await r.advance(1);
  assert.equal(r.link.state, 'down');
  assert.equal(r.end.closed, true, 'the link closed the transport');
  assert.ok(logs.some((l) => / engine\.link-dead /.test(l)));
  assert.equal(r.attemptsAt.length, 1);
  await r.advance(499);
  assert.equal(r.attemptsAt.length, 1);
  await r.advance(1);
  assert.equal(r.attemptsAt.length, 2);
  assert.equal(r.link.state, 'handshake');
  assert.equal(r.end.lines[0], 'HELLO proto=1 app=prepaid/2.0.0');
  await r.link.stop();
});

test('reconnect backoff: 0.5 s doubling capped at 10 s, forever; reset once a link stayed up; retries logged once', async () => {
  const r = new Rig();
  r.mode = 'refuse';
  r.link.start();
  await tick();
  // small steps: each failed attempt is handled (a microtask) before time moves on
  for (let i = 0; i < 200; i++) await r.advance(500);
  const deltas = r.attemptsAt.slice(1).map((t, i) => t - r.attemptsAt[i]);
  assert.deepEqual(deltas.slice(0, 8), [500, 1000, 2000, 4000, 8000, 10000, 10000, 10000]);
  assert.ok(deltas.every((d) => d <= 10000));
  assert.equal(r.link.state, 'down');
  const ll = r.linkLogs();
  assert.equal(ll.length, 2, `one connecting + one down line for the whole failing streak:\n${ll.join('\n')}`);
  assert.match(ll[1], /state=down.*ECONNREFUSED/);

  r.mode = 'accept';
  const handshake = async () => {
    for (let i = 0; i < 40 && r.link.state !== 'handshake'; i++) await r.advance(500);
    assert.equal(r.link.state, 'handshake');
    r.send('HELLO proto=1');
    r.send('SYNCED');
    await tick();
    assert.equal(r.link.state, 'up');
  };
  // an engine that closes right after each handshake: the delay keeps its 10 s
  await handshake();
  r.end.eng.close();
  await tick();
  let n = r.attemptsAt.length;
  await r.advance(9500);
  assert.equal(r.attemptsAt.length, n, 'no quick retry after a link that was up for no time');
  await handshake();
  // a link that stayed up: the next loss is retried at 0.5 s
  for (let i = 0; i < 4; i++) {
    await r.advance(3000);
    r.send('PONG id=1');
  }
  r.end.eng.close();
  await tick();
  n = r.attemptsAt.length;
  await r.advance(500);
  assert.equal(r.attemptsAt.length, n + 1, 'backoff restarted at 0.5 s after a link that stayed up');
  await r.link.stop();
});

test('an engine that accepts the connection but never says HELLO: the attempt ends after the connection timeout', async () => {
  const r = new Rig();
  r.mode = 'accept';
  r.link.start();
  await tick();
  await r.advance(1);
  assert.equal(r.link.state, 'handshake');
  await r.advance(1999);
  assert.equal(r.link.state, 'down');
  assert.ok(r.linkLogs().some((l) => /state=down.*no HELLO from the engine within 2000 ms/.test(l)), r.linkLogs().join('\n'));
  await r.link.stop();
});

test('connect timeout: an attempt that hangs is abandoned after connectTimeoutMs', async () => {
  const r = new Rig();
  r.mode = 'hang';
  r.link.start();
  await r.advance(1999);
  assert.equal(r.link.state, 'connecting');
  await r.advance(1);
  assert.equal(r.link.state, 'down');
  assert.ok(r.linkLogs().some((l) => /connect timeout/.test(l)));
  await r.advance(500);
  assert.equal(r.attemptsAt.length, 2);
  await r.link.stop();
});

test('an engine HELLO with proto≠1 closes the link with a logged error, and retrying goes on with backoff', async () => {
  const r = new Rig();
  r.link.start();
  await tick();
  r.send('HELLO proto=2 engine=future/9');
  await tick();
  assert.equal(r.end.closed, true);
  assert.equal(r.link.state, 'down');
  assert.ok(logs.some((l) => / engine\.proto-mismatch .*proto=2/.test(l)));
  await r.advance(500);
  assert.equal(r.attemptsAt.length, 2);
  r.send('HELLO engine=noproto');
  await tick();
  assert.equal(r.end.closed, true, 'a HELLO without proto is a mismatch too');
  await r.advance(999);
  assert.equal(r.attemptsAt.length, 2, 'backoff was not reset: next retry after 1 s');
  await r.advance(1);
  assert.equal(r.attemptsAt.length, 3);
  await r.link.stop();
});

test('unknown verb: answered ERR unknown-verb when it carries a ref, ignored otherwise', async () => {
  const r = new Rig();
  await r.up();
  const n = r.end.lines.length;
  r.send('FROB call=A1 ref=17');
  r.send('FROB call=A1');
  r.send('ANSWER call=A1 ref=18'); // an app command coming back is unknown to the app
  await tick();
  const sent = r.end.lines.slice(n);
  assert.equal(sent.length, 2);
  assert.match(sent[0], /^ERR ref=17 code=unknown-verb reason=\S+$/);
  assert.match(sent[1], /^ERR ref=18 code=unknown-verb /);
  assert.equal(r.link.state, 'up');
  await r.link.stop();
});

test('malformed lines and invalid events are counted and logged; the link stays up', async () => {
  const r = new Rig();
  await r.up();
  r.events = [];
  r.send('this is not a message');
  r.send('OFFER call=%ZZ from=1 to=2 at=1');
  r.end.eng.write(Buffer.from([0x4f, 0x46, 0x46, 0x45, 0x52, 0x20, 0x63, 0x61, 0x6c, 0x6c, 0x3d, 0xff, 0x0a]));
  r.send('OFFER call=A1 from=1 to=6000 at=abc');
  r.send('OFFER call=A1 from=1 to=6000');
  r.send('OFFER from=1 to=6000 at=1');
  r.send(`OFFER call=${'x'.repeat(65)} from=1 to=6000 at=1`);
  r.send('DIGITS call=A1 digits=12x at=1');
  r.send('PLAYED call=A1 ref=two');
  r.send('ENDED call=A1 cause=16 at=1');
  r.send('ACTIVE call=A1 from=1 to=2 state=flying');
  r.send('ACTIVE call=A1 from=1 to=2 state=connected connected_at=soon');
  r.send('OK');
  r.send('X'.repeat(5000));
  r.send('OFFER call=A2 from=5173 to=6000 at=1700000000000');
  await tick();
  assert.deepEqual(r.events, [['offer', { call: 'A2', from: '5173', to: '6000', at: 1700000000000 }]]);
  const s = r.link.stats();
  assert.equal(s.malformed, 3);
  assert.equal(s.invalidEvents, 9);
  assert.equal(s.overlong, 1);
  assert.equal(s.unknownRefs, 1);
  assert.equal(r.link.state, 'up');
  assert.equal(r.end.closed, false);
  assert.ok(logs.some((l) => / engine\.bad-event .*at=abc|why="missing or bad at"/.test(l)));
  assert.ok(logs.some((l) => / engine\.line-too-long /.test(l)));
  await r.link.stop();
});

test('a listener that throws does not break the link', async () => {
  const r = new Rig();
  r.link.on('offer', () => {
    throw new Error('bug in a listener');
  });
  await r.up();
  r.send('OFFER call=A1 from=1 to=6000 at=1');
  r.send('OFFER call=A2 from=1 to=6000 at=2');
  await tick();
  assert.equal(r.events.filter(([n]) => n === 'offer').length, 2);
  assert.ok(logs.some((l) => / engine\.listener-error /.test(l)));
  assert.equal(r.link.state, 'up');
  await r.link.stop();
});

test('off() removes a listener', async () => {
  const r = new Rig();
  const got: unknown[] = [];
  const fn = (e: EngineEvents['offer']) => got.push(e);
  r.link.on('offer', fn);
  await r.up();
  r.send('OFFER call=A1 from=1 to=6000 at=1');
  await tick();
  r.link.off('offer', fn);
  r.send('OFFER call=A2 from=1 to=6000 at=1');
  await tick();
  assert.equal(got.length, 1);
  await r.link.stop();
});

test('stop(): pending commands rejected, transport closed, no more attempts or timers', async () => {
  const r = new Rig();
  await r.up();
  const p = r.link.answer('A1');
  await r.link.stop();
  await assert.rejects(p, (e: unknown) => isAppError(e) && e.code === 'LINK_DOWN');
  await tick();
  assert.equal(r.end.closed, true);
  assert.equal(r.link.state, 'down');
  await r.advance(120_000);
  assert.equal(r.attemptsAt.length, 1);
  assert.equal(r.clock.pending(), 0);
});
