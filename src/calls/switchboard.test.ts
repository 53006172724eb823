import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../clock.ts';
import { AppError } from '../errors.ts';
import type { EngineEvents } from '../engine/link.ts';
import { setLogSink } from '../log.ts';
import { Meter } from '../metering/index.ts';
import { RateTable, type CostRow } from '../rating/index.ts';
import type { Cdr, Config, OpenCall, User } from '../store/index.ts';
import { PIN_GUARD, PinGuard } from './pin-guard.ts';
import { supervisionOf } from '../appliance/supervision.ts';
import { Switchboard, type EngineSource } from './switchboard.ts';

setLogSink(() => {});

const row = (prefix: string, h1: number): CostRow => ({ prefix, h1, h2Begin: '00:00', h2End: '00:00', h2: 0, increment: 1, setup: 0 });

/** An engine double: records every command, acknowledges it, and lets the test send events. */
class FakeEngine implements EngineSource {
  sent: string[] = [];
  /** While true every command fails as on a lost link, and nothing reaches the engine. */
  down = false;
  private ref = 0;
  private handlers = new Map<string, ((e: never) => void)[]>();
  on<K extends keyof EngineEvents>(name: K, fn: (e: EngineEvents[K]) => void) {
    this.handlers.set(name, [...(this.handlers.get(name) ?? []), fn as (e: never) => void]);
  }
  emit<K extends keyof EngineEvents>(name: K, e: EngineEvents[K]) {
    for (const fn of this.handlers.get(name) ?? []) fn(e as never);
  }
  private log(line: string) {
    if (this.down) return Promise.reject(new AppError('LINK_DOWN', `link down: ${line} not sent`));
    this.sent.push(line);
    return Promise.resolve();
  }
  answer(call: string) {
    return this.log(`ANSWER ${call}`);
  }
  play(call: string, prompts: string[], bargein: boolean) {
    const ref = ++this.ref;
    return { ref, ack: this.log(`PLAY ${call} ref=${ref} ${prompts.join(',')}${bargein ? ' bargein' : ''}`) };
  }
  stopPlayback(call: string) {
    return this.log(`STOP ${call}`);
  }
  dial(call: string, o: { to: string; via?: string; limit?: number }) {
    return this.log(`DIAL ${call} to=${o.to}${o.via ? ` via=${o.via}` : ''}${o.limit !== undefined ? ` limit=${o.limit}` : ''}`);
  }
  limit(call: string, s: number) {
    return this.log(`LIMIT ${call} ${s}`);
  }
  hangup(call: string, o: { prompts?: string[] } = {}) {
    return this.log(`HANGUP ${call}${o.prompts ? ' ' + o.prompts.join(',') : ''}`);
  }
  last(prefix: string) {
    return [...this.sent].reverse().find((l) => l.startsWith(prefix));
  }
  lastPlayRef(call = ''): number {
    return Number(/ref=(\d+)/.exec(this.last(call ? `PLAY ${call} ` : 'PLAY')!)![1]);
  }
}

function world(units = 250000) {
  const clock = new FakeClock(Date.UTC(2026, 0, 15, 10, 0, 0));
  const users = new Map<string, User & { pin: string }>();
  users.set('1001', { id: '1001', name: '1001', callerId: '5173', units, pin: '2345' });
  const journal = new Map<string, OpenCall>();
  const cdrs: Cdr[] = [];
  const store = {
    user: (id: string) => users.get(id),
    userByPin: (pin: string) => [...users.values()].find((u) => u.pin === pin),
    userByCallerId: (c: string) => [...users.values()].find((u) => u.callerId === c),
    didRoute: (did: string) => (did === '0561500001' ? { userId: '1001', to: '0141587070' } : undefined),
    journal: (c: OpenCall) => void journal.set(c.callId, { ...c }),
    checkpoint: (at: number, ids: string[]) => ids.forEach((id) => journal.get(id) && (journal.get(id)!.checkpointAt = at)),
    settle: (s: { callId: string; userId: string; units: number; cdr: Cdr }) => {
      const u = users.get(s.userId)!;
      const units = Math.min(u.units, s.units);
      u.units -= units;
      cdrs.push({ ...s.cdr, cost: units });
      journal.delete(s.callId);
      return u;
    },
    recordCdr: (c: Cdr) => {
      cdrs.push(c);
      journal.delete(c.callId);
    },
    openCalls: () => [...journal.values()],
  };
  const config = { language: 'fr', ivrDid: '6000', unitPrice: '0.0001', currency: 'Euros', defaultCallingAddress: '', warningSeconds: 0 } as Config;
  const rates = new RateTable([row('DEFAULT', 200), row('38', 180)], 'Europe/Paris');
  const engine = new FakeEngine();
  const board = new Switchboard(engine, clock);
  const meter = new Meter({ store, rates: () => rates, clock, warningSeconds: () => 0, listener: board });
  board.attach({ meter, directory: store, config: () => config, guard: new PinGuard(clock), clock });
  return { clock, engine, board, meter, users, cdrs, journal, config };
}

const tick = () => new Promise((r) => setImmediate(r));

/** `n` wrong PINs typed on an offered IVR call, each barging into its prompt. */
async function typeWrongPins(w: { engine: FakeEngine; clock: FakeClock }, call: string, n: number) {
  for (let i = 0; i < n; i++) {
    await tick();
    w.engine.emit('digits', { call, digits: '0000#', at: w.clock.now() });
    w.engine.emit('played', { call, ref: w.engine.lastPlayRef(), interrupted: true });
  }
  await tick();
  await tick();
}

describe('Switchboard call flows', () => {
  it('IVR: PIN, credit announced as 25 euros, number, DIAL, CONNECTED, ENDED → 7200 units', async () => {
    const w = world();
    const at = w.clock.now();
    w.engine.emit('offer', { call: 'A1', from: '9999', to: '6000', at });
    await tick();
    assert.equal(w.engine.sent[0], 'ANSWER A1');
    assert.match(w.engine.last('PLAY')!, /fr\/agent-pass bargein/);
    w.engine.emit('digits', { call: 'A1', digits: '23', at });
    w.engine.emit('digits', { call: 'A1', digits: '45#', at });
    w.engine.emit('played', { call: 'A1', ref: w.engine.lastPlayRef(), interrupted: true });
    await tick();
    const credit = w.engine.last('PLAY')!;
    assert.match(credit, /fr\/vm-youhave,fr\/digits\/20,fr\/digits\/5,fr\/currency-euros,fr\/vm-enter-num-to-call bargein/);
    w.engine.emit('played', { call: 'A1', ref: w.engine.lastPlayRef(), interrupted: false });
    await tick();
    w.engine.emit('digits', { call: 'A1', digits: '380141587070#', at });
    await tick();
    assert.equal(w.engine.last('DIAL'), `DIAL A1 to=380141587070 limit=${Math.floor(250000 / 180)}`);
    w.clock.advance(3000);
    const c = w.clock.now();
    w.engine.emit('connected', { call: 'A1', at: c });
    w.engine.emit('ended', { call: 'A1', by: 'caller', cause: '16', at: c + 40_000, replayed: false });
    await tick();
    assert.equal(w.users.get('1001')!.units, 250000 - 7200);
    assert.equal(w.cdrs[0].cost, 7200);
    assert.equal(w.cdrs[0].duration, 40);
    assert.equal(w.cdrs[0].connectDelay, 3);
    assert.equal(w.cdrs[0].offerAt, at);
  });

  it('one-step on the IVR number: the Caller ID skips the PIN', async () => {
    const w = world();
    w.engine.emit('offer', { call: 'B1', from: '5173', to: '6000', at: w.clock.now() });
    await tick();
    assert.match(w.engine.last('PLAY')!, /vm-youhave/);
  });

  it('three wrong PINs release the call with a goodbye and no DIAL', async () => {
    const w = world();
    w.engine.emit('offer', { call: 'C1', from: '9999', to: '6000', at: w.clock.now() });
    await typeWrongPins(w, 'C1', 3);
    assert.match(w.engine.last('HANGUP')!, /fr\/goodbye$/);
    assert.equal(w.engine.last('DIAL'), undefined);
  });

  it('a PIN typed ahead of its prompt and 5 s of silence end the number', async () => {
    const w = world();
    w.engine.emit('offer', { call: 'D1', from: '', to: '6000', at: w.clock.now() });
    w.engine.emit('digits', { call: 'D1', digits: '2345#0141587070', at: w.clock.now() });
    await tick();
    await tick();
    // the number was typed ahead too: prompts skipped; silence ends it
    w.clock.advance(5000);
    await tick();
    assert.match(w.engine.last('DIAL')!, /to=0141587070/);
  });

  it('DID: the owner is forwarded at once; anyone else is refused with a prompt', async () => {
    const w = world();
    w.engine.emit('offer', { call: 'E1', from: '5173', to: '0561500001', at: w.clock.now() });
    await tick();
    assert.match(w.engine.sent[0], /^DIAL E1 to=0141587070/);
    w.engine.emit('offer', { call: 'E2', from: '7777', to: '0561500001', at: w.clock.now() });
    await tick();
    await tick();
    assert.ok(w.engine.sent.includes('ANSWER E2'));
    assert.match(w.engine.last('HANGUP E2')!, /fr\/privacy-unident,fr\/goodbye/);
  });

  it('cuts at zero credit with the announcement; 1000 units at 200 u/s bill exactly 1000', async () => {
    const w = world(1000);
    w.engine.emit('offer', { call: 'F1', from: '5173', to: '0561500001', at: w.clock.now() });
    await tick();
    assert.match(w.engine.last('DIAL')!, /limit=5$/);
    const c = w.clock.now();
    w.engine.emit('connected', { call: 'F1', at: c });
    w.clock.advance(5000);
    await tick();
    assert.equal(w.engine.last('HANGUP'), 'HANGUP F1 fr/credit-exhausted,fr/goodbye');
    w.engine.emit('ended', { call: 'F1', by: 'app', cause: '16', at: c + 5030, replayed: false });
    await tick();
    assert.equal(w.users.get('1001')!.units, 0);
    assert.equal(w.cdrs[0].cost, 1000);
  });

  it('refuses a call it cannot pay before any DIAL', async () => {
    const w = world(100);
    w.engine.emit('offer', { call: 'G1', from: '5173', to: '0561500001', at: w.clock.now() });
    await tick();
    await tick();
    assert.equal(w.engine.last('DIAL'), undefined);
    assert.match(w.engine.last('HANGUP')!, /credit-insufficient/);
  });

  it('after a restart: a journaled call the replay does not mention is settled at its checkpoint, recovered', async () => {
    const w = world();
    const c = w.clock.now();
    journalled(w, 'H1', c, { connectedAt: c, checkpointAt: c + 12_000 });
    // a fresh board over the same journal, as after a restart
    restarted(w, w.engine);
    w.engine.emit('state', { state: 'replay' });
    w.engine.emit('synced', {});
    assert.equal(w.cdrs.at(-1)!.cost, 12 * 200);
    assert.equal(w.cdrs.at(-1)!.recovered, true);
  });

  it('after a restart: a replayed ENDED bills to the engine stamps; a replayed ivr call is released', async () => {
    const w = world();
    const c = w.clock.now();
    journalled(w, 'J1', c, { connectedAt: c, checkpointAt: c + 3000 });
    restarted(w, w.engine);
    w.engine.emit('state', { state: 'replay' });
    w.engine.emit('ended', { call: 'J1', by: 'caller', cause: '16', at: c + 7400, replayed: true });
    w.engine.emit('active', { call: 'K1', from: '1', to: '6000', state: 'ivr', connectedAt: null });
    w.engine.emit('synced', {});
    assert.equal(w.cdrs.at(-1)!.cost, 8 * 200);
    assert.equal(w.engine.last('HANGUP'), 'HANGUP K1');
  });
});

/** The world's store functions again, for a second board over the same data. */
function storeOf(w: ReturnType<typeof world>) {
  const users = w.users;
  return {
    user: (id: string) => users.get(id),
    userByPin: (pin: string) => [...users.values()].find((u) => u.pin === pin),
    userByCallerId: (c: string) => [...users.values()].find((u) => u.callerId === c),
    didRoute: () => undefined,
    journal: (c: OpenCall) => void w.journal.set(c.callId, { ...c }),
    checkpoint: (at: number, ids: string[]) => ids.forEach((id) => w.journal.get(id) && (w.journal.get(id)!.checkpointAt = at)),
    settle: (s: { callId: string; userId: string; units: number; cdr: Cdr }) => {
      const u = users.get(s.userId)!;
      u.units -= Math.min(u.units, s.units);
      w.cdrs.push({ ...s.cdr, cost: Math.min(u.units + s.units, s.units) });
      w.journal.delete(s.callId);
      return u;
    },
    recordCdr: (c: Cdr) => void w.cdrs.push(c),
    openCalls: () => [...w.journal.values()],
  };
}

describe('Switchboard and engine errors', () => {
  it('an ERR on LIMIT ends the call with a HANGUP', async () => {
    const w = world(1000);
    const engine = w.engine as FakeEngine & { limit: (c: string, s: number) => Promise<void> };
    engine.limit = (call: string) => {
      engine.sent.push(`LIMIT ${call}`);
      return Promise.reject(new AppError('ENGINE_ERROR', 'engine refused LIMIT: bad-state'));
    };
    w.engine.emit('offer', { call: 'L1', from: '5173', to: '0561500001', at: w.clock.now() });
    await tick();
    w.engine.emit('connected', { call: 'L1', at: w.clock.now() });
    await tick();
    await tick();
    assert.equal(w.engine.last('HANGUP'), 'HANGUP L1');
  });

  it('an ERR on that HANGUP too (the engine has no such call): settled at once, billed to the HANGUP', async () => {
    const w = world(100_000);
    const engine = w.engine as FakeEngine & {
      limit: (c: string, s: number) => Promise<void>;
      hangup: (c: string, o?: { prompts?: string[] }) => Promise<void>;
    };
    const noSuchCall = (verb: string) => (call: string) => {
      engine.sent.push(`${verb} ${call}`);
      return Promise.reject(new AppError('ENGINE_ERROR', `engine refused ${verb}: no-such-call`));
    };
    engine.limit = noSuchCall('LIMIT');
    engine.hangup = noSuchCall('HANGUP');
    w.engine.emit('offer', { call: 'K1', from: '5173', to: '0561500001', at: w.clock.now() });
    await tick();
    const c = w.clock.now();
    w.engine.emit('connected', { call: 'K1', at: c });
    await tick();
    await tick();
    assert.equal(w.engine.last('HANGUP'), 'HANGUP K1');
    assert.equal(w.cdrs.length, 1, 'settled without waiting for an ENDED that will not come');
    assert.equal(w.cdrs[0]!.duration, 0);
    assert.equal(w.users.get('1001')!.units, 100_000);
    w.clock.advance(60_000);
    assert.equal(w.board.sessionsList().length, 0);
    assert.equal(w.cdrs.length, 1);
  });
});

/** A board started over the world's data, as after a restart; an engine of its own unless given. */
function restarted(w: ReturnType<typeof world>, engine = new FakeEngine()) {
  const board = new Switchboard(engine, w.clock);
  const meter = new Meter({ store: storeOf(w), rates: () => new RateTable([row('DEFAULT', 200)], 'UTC'), clock: w.clock, warningSeconds: () => 0, listener: board });
  board.attach({ meter, directory: storeOf(w), config: () => w.config, guard: new PinGuard(w.clock), clock: w.clock });
  return { engine, board, meter };
}

/** A journal entry of user 1001's call to 0141587070 at 200 u/s, dialled 5 s before `c`, as a crash leaves it. */
function journalled(w: ReturnType<typeof world>, callId: string, c: number, o: { connectedAt: number | null; checkpointAt: number | null }) {
  w.journal.set(callId, {
    callId, userId: '1001', from: '5173', dialed: '0141587070', offerAt: c - 9000, dialAt: c - 5000,
    row: row('DEFAULT', 200), ...o,
  });
}

/** Wrong PINs from a number, each call its three tries, `n` calls. */
async function wrongPinCalls(w: ReturnType<typeof world>, from: string, calls: number, pins = 3) {
  for (let c = 0; c < calls; c++) {
    const call = `P${from}-${c}`;
    w.engine.emit('offer', { call, from, to: '6000', at: w.clock.now() });
    await typeWrongPins(w, call, pins);
    w.engine.emit('ended', { call, by: 'app', cause: '16', at: w.clock.now(), replayed: false });
  }
}

describe('Switchboard: the PIN lock-out', () => {
  it('the call in which the number reaches five failures is released with the lock-out; the next call is refused', async () => {
    const w = world();
    await wrongPinCalls(w, '9999', 2); // failures 1-3, then 4-5: the lock falls at the 2nd try of the 2nd call
    const second = w.engine.sent.filter((l) => l.startsWith('HANGUP P9999-1'));
    assert.equal(second.length, 1);
    assert.match(second[0]!, /vm-incorrect,fr\/please-try-call-later,fr\/goodbye/);
    assert.equal(w.engine.sent.filter((l) => l.startsWith('PLAY P9999-1 ')).length, 2, 'no third try for a locked number');
    w.engine.emit('offer', { call: 'Q1', from: '9999', to: '6000', at: w.clock.now() });
    await tick();
    assert.match(w.engine.last('HANGUP')!, /^HANGUP Q1 .*please-try-call-later/);
    assert.equal(w.engine.last('PLAY Q1'), undefined);
    w.clock.advance(PIN_GUARD.lockMs);
    w.engine.emit('offer', { call: 'Q2', from: '9999', to: '6000', at: w.clock.now() });
    await tick();
    assert.match(w.engine.last('PLAY Q2')!, /agent-pass/, 'the lock lifts after its 15 minutes');
  });

  it('a number locked by one of its calls gets no PIN checked on another, not even the right one', async () => {
    const w = world();
    w.engine.emit('offer', { call: 'K1', from: '9999', to: '6000', at: w.clock.now() });
    await tick();
    await wrongPinCalls(w, '9999', 2); // K1 waits at its PIN prompt while two other calls lock the number
    w.engine.emit('digits', { call: 'K1', digits: '2345#', at: w.clock.now() });
    w.engine.emit('played', { call: 'K1', ref: w.engine.lastPlayRef('K1'), interrupted: true });
    await tick();
    await tick();
    assert.match(w.engine.last('HANGUP K1')!, /please-try-call-later/);
    assert.equal(w.engine.sent.filter((l) => l.startsWith('DIAL K1') || /^PLAY K1 .*vm-youhave/.test(l)).length, 0);
  });

  it('a right PIN forgives the number; withheld callers are never locked out', async () => {
    const w = world();
    await wrongPinCalls(w, '', 3);
    w.engine.emit('offer', { call: 'R1', from: '', to: '6000', at: w.clock.now() });
    await tick();
    assert.match(w.engine.last('PLAY R1')!, /agent-pass/);
    await wrongPinCalls(w, '8888', 1, 3);
    // 4th failure, then the right PIN: the count starts again, so 4 more failures lock nothing
    w.engine.emit('offer', { call: 'S1', from: '8888', to: '6000', at: w.clock.now() });
    await tick();
    w.engine.emit('digits', { call: 'S1', digits: '0000#', at: w.clock.now() });
    w.engine.emit('played', { call: 'S1', ref: w.engine.lastPlayRef(), interrupted: true });
    await tick();
    w.engine.emit('digits', { call: 'S1', digits: '2345#', at: w.clock.now() });
    w.engine.emit('played', { call: 'S1', ref: w.engine.lastPlayRef(), interrupted: true });
    await tick();
    assert.match(w.engine.last('PLAY S1')!, /vm-youhave/);
    w.engine.emit('ended', { call: 'S1', by: 'caller', cause: '16', at: w.clock.now(), replayed: false });
    await wrongPinCalls(w, '8888', 1, 3);
    await wrongPinCalls(w, '8888', 1, 1);
    w.engine.emit('offer', { call: 'T1', from: '8888', to: '6000', at: w.clock.now() });
    await tick();
    assert.match(w.engine.last('PLAY T1')!, /agent-pass/);
  });
});

/** A call from the Caller ID 5173 (no PIN) on the IVR number that dials `number` (typed, then `#`). */
async function dialFromIvr(w: ReturnType<typeof world>, call: string, number: string) {
  w.engine.emit('offer', { call, from: '5173', to: '6000', at: w.clock.now() });
  await tick();
  w.engine.emit('digits', { call, digits: `${number}#`, at: w.clock.now() });
  w.engine.emit('played', { call, ref: w.engine.lastPlayRef(call), interrupted: true });
  await tick();
  await tick();
}

describe('Switchboard: failed and refused dials', () => {
  it('a CONNECTED after the FAILED that ended the attempt is not metered: the caller is asked again', async () => {
    const w = world();
    await dialFromIvr(w, 'V1', '0141587070');
    assert.match(w.engine.last('DIAL V1')!, /to=0141587070/);
    const c = w.clock.now();
    w.engine.emit('failed', { call: 'V1', cause: 'busy', at: c });
    w.engine.emit('connected', { call: 'V1', at: c });
    await tick();
    await tick();
    assert.equal(w.engine.last('LIMIT V1'), undefined);
    assert.match(w.engine.last('PLAY V1')!, /vm-nobodyavail,fr\/please-try-call-later,fr\/vm-enter-num-to-call/);
    w.engine.emit('ended', { call: 'V1', by: 'caller', cause: '16', at: c + 20_000, replayed: false });
    await tick();
    assert.equal(w.cdrs.length, 1);
    assert.equal(w.cdrs[0]!.cost, 0);
    assert.equal(w.cdrs[0]!.duration, 0);
    assert.equal(w.users.get('1001')!.units, 250000);
  });

  it('after the third failed dial the caller hears why, then goodbye', async () => {
    const w = world();
    await dialFromIvr(w, 'V2', '0141587070');
    for (let i = 0; i < 3; i++) {
      w.engine.emit('failed', { call: 'V2', cause: i < 2 ? 'busy' : 'invalid', at: w.clock.now() });
      await tick();
      await tick();
      if (i === 2) break;
      w.engine.emit('digits', { call: 'V2', digits: '0141587070#', at: w.clock.now() });
      w.engine.emit('played', { call: 'V2', ref: w.engine.lastPlayRef('V2'), interrupted: true });
      await tick();
      await tick();
    }
    assert.equal(w.engine.sent.filter((l) => l.startsWith('DIAL V2')).length, 3);
    assert.equal(w.engine.last('HANGUP V2'), 'HANGUP V2 fr/ss-noservice,fr/goodbye');
  });

  it('a call refused for its credit names the number it wanted in its CDR', async () => {
    const w = world(100);
    await dialFromIvr(w, 'V3', '0141587070');
    assert.match(w.engine.last('HANGUP V3')!, /credit-insufficient/);
    assert.equal(w.engine.last('DIAL V3'), undefined);
    w.engine.emit('ended', { call: 'V3', by: 'app', cause: '16', at: w.clock.now(), replayed: false });
    await tick();
    assert.equal(w.cdrs.length, 1);
    assert.equal(w.cdrs[0]!.dialed, '0141587070');
    assert.equal(w.cdrs[0]!.cost, 0);
  });
});

describe('Switchboard across a lost link', () => {
  it('an IVR call whose command was lost with the link is released once the replay lists it; its CDR ends when that HANGUP reached the engine', async () => {
    const w = world();
    const engine = w.engine as FakeEngine & { play: FakeEngine['play'] };
    const play = engine.play.bind(engine);
    engine.play = () => {
      engine.down = true; // the link drops before the PLAY is answered
      const ack = Promise.reject(new AppError('LINK_DOWN', 'engine link lost before PLAY was answered'));
      ack.catch(() => {});
      return { ref: 99, ack };
    };
    w.engine.emit('offer', { call: 'M1', from: '9999', to: '6000', at: w.clock.now() });
    await tick();
    await tick();
    w.engine.emit('state', { state: 'down' });
    assert.equal(w.engine.last('HANGUP M1'), undefined);
    w.clock.advance(8000);
    engine.down = false;
    engine.play = play;
    w.engine.emit('state', { state: 'replay' });
    w.engine.emit('active', { call: 'M1', from: '9999', to: '6000', state: 'ivr', connectedAt: null });
    w.engine.emit('synced', {});
    await tick();
    assert.equal(w.engine.last('HANGUP M1'), 'HANGUP M1');
    const released = w.clock.now(); // the HANGUP that reached the engine, not the lost one 8 s before
    w.clock.advance(300);
    w.engine.emit('ended', { call: 'M1', by: 'app', cause: '16', at: w.clock.now(), replayed: false });
    await tick();
    const cdr = w.cdrs.find((c) => c.callId === 'M1')!;
    assert.equal(cdr.endAt, released);
    assert.equal(cdr.cost, 0);
  });

  it('a release the engine already has (its goodbye still playing) is not sent again after a replay', async () => {
    const w = world();
    w.engine.emit('offer', { call: 'G7', from: '9999', to: '6000', at: w.clock.now() });
    await typeWrongPins(w, 'G7', 3);
    assert.match(w.engine.last('HANGUP G7')!, /goodbye/);
    const sent = w.engine.sent.length;
    w.engine.emit('state', { state: 'down' });
    w.engine.emit('state', { state: 'replay' });
    w.engine.emit('active', { call: 'G7', from: '9999', to: '6000', state: 'ivr', connectedAt: null });
    w.engine.emit('synced', {});
    await tick();
    assert.equal(w.engine.sent.length, sent);
  });

  it('a dial whose FAILED was lost with the link: the replay shows the caller back in the IVR, who is asked again', async () => {
    const w = world();
    w.engine.emit('offer', { call: 'F9', from: '5173', to: '6000', at: w.clock.now() });
    await tick();
    w.engine.emit('digits', { call: 'F9', digits: '0141587070#', at: w.clock.now() });
    await tick();
    await tick();
    assert.match(w.engine.last('DIAL F9')!, /to=0141587070/);
    const plays = w.engine.sent.filter((l) => l.startsWith('PLAY F9')).length;
    w.engine.emit('state', { state: 'down' });
    w.engine.emit('state', { state: 'replay' });
    w.engine.emit('active', { call: 'F9', from: '5173', to: '6000', state: 'ivr', connectedAt: null });
    w.engine.emit('synced', {});
    await tick();
    await tick();
    assert.equal(w.engine.sent.filter((l) => l.startsWith('PLAY F9')).length, plays + 1);
    assert.match(w.engine.last('PLAY F9')!, /vm-enter-num-to-call/);
    assert.equal(w.engine.last('HANGUP F9'), undefined);
  });

  it('a replayed connected call with no connect instant is metered from the replay, not hung up', async () => {
    const w = world();
    const c = w.clock.now();
    journalled(w, 'AC', c, { connectedAt: null, checkpointAt: null });
    const { engine, meter } = restarted(w);
    engine.emit('state', { state: 'replay' });
    engine.emit('active', { call: 'AC', from: '5173', to: '0141587070', state: 'connected', connectedAt: null });
    engine.emit('synced', {});
    assert.equal(meter.isLive('AC'), true);
    assert.equal(engine.last('HANGUP AC'), undefined);
    engine.emit('ended', { call: 'AC', by: 'caller', cause: '16', at: c + 4000, replayed: false });
    assert.equal(w.cdrs.at(-1)!.cost, 4 * 200);
  });

  it('no command follows an ENDED that came in the same read as the OK a step awaited', async () => {
    const w = world();
    const engine = w.engine as FakeEngine & { answer: FakeEngine['answer'] };
    let ok!: () => void;
    engine.answer = (call: string) => {
      engine.sent.push(`ANSWER ${call}`);
      return new Promise<void>((r) => (ok = r));
    };
    w.engine.emit('offer', { call: 'N1', from: '9999', to: '6000', at: w.clock.now() });
    await tick();
    ok();
    w.engine.emit('ended', { call: 'N1', by: 'caller', cause: '16', at: w.clock.now(), replayed: false });
    await tick();
    await tick();
    assert.deepEqual(w.engine.sent.filter((l) => / N1\b/.test(l)), ['ANSWER N1']);
    assert.equal(w.cdrs.find((c) => c.callId === 'N1')?.cost, 0);
  });

  it('checkpoints stop while the link is down and start again after the replay', () => {
    const w = world();
    const c = w.clock.now();
    journalled(w, 'CP', c, { connectedAt: c, checkpointAt: c });
    const { engine, meter } = restarted(w);
    engine.emit('state', { state: 'replay' });
    engine.emit('active', { call: 'CP', from: '5173', to: '0141587070', state: 'connected', connectedAt: c });
    engine.emit('synced', {});
    w.clock.advance(2000);
    meter.checkpointNow();
    assert.equal(w.journal.get('CP')!.checkpointAt, c + 2000);
    engine.emit('state', { state: 'down' });
    w.clock.advance(7000);
    meter.checkpointNow();
    assert.equal(w.journal.get('CP')!.checkpointAt, c + 2000);
    // the engine forgot the call: settled at the last instant it was known to be up
    engine.emit('state', { state: 'replay' });
    engine.emit('synced', {});
    assert.equal(w.cdrs.at(-1)!.callId, 'CP');
    assert.equal(w.cdrs.at(-1)!.cost, 2 * 200);
    assert.equal(w.cdrs.at(-1)!.recovered, true);
  });

  it('a call the engine replays as ivr after a restart is released and leaves a CDR costing nothing', async () => {
    const w = world();
    w.engine.emit('state', { state: 'replay' });
    w.engine.emit('active', { call: 'K4', from: '5175', to: '6000', state: 'ivr', connectedAt: null });
    w.engine.emit('synced', {});
    await tick();
    assert.equal(w.engine.last('HANGUP K4'), 'HANGUP K4');
    w.engine.emit('ended', { call: 'K4', by: 'app', cause: '16', at: w.clock.now(), replayed: false });
    await tick();
    const cdr = w.cdrs.find((x) => x.callId === 'K4')!;
    assert.equal(cdr.cost, 0);
    assert.equal(cdr.from, '5175');
    assert.equal(cdr.cause, 'RECOVERED');
  });
});

describe('Switchboard shutdown', () => {
  it('a call offered while stopping is answered, then released with its prompt', async () => {
    const w = world();
    const stopped = w.board.shutdown(10);
    w.engine.emit('offer', { call: 'SD2', from: '5173', to: '6000', at: w.clock.now() });
    await tick();
    assert.deepEqual(w.engine.sent.filter((l) => l.includes(' SD2')).map((l) => l.split(' ')[0]), ['ANSWER', 'HANGUP']);
    assert.match(w.engine.last('HANGUP SD2')!, /please-try-call-later/);
    await stopped;
  });
});

describe('Supervision of a live call', () => {
  it('shows duration and consumption that agree: consumption = duration × rate, as on the seed screen', async () => {
    const w = world();
    const live = supervisionOf(w.board, w.meter, w.clock, () => w.config);
    w.engine.emit('offer', { call: 'V1', from: '5173', to: '0561500001', at: w.clock.now() });
    await tick();
    w.engine.emit('connected', { call: 'V1', at: w.clock.now() });
    for (const ms of [7200, 800, 37_000]) {
      w.clock.advance(ms);
      const [row] = live.list();
      assert.equal(row!.consumptionUnits, row!.duration * 200, `after ${ms} ms more`);
    }
    const [row] = live.list();
    assert.deepEqual([row!.duration, row!.consumptionUnits, row!.creditUnits], [45, 9000, 250000 - 9000]);
  });
});
