// `--engine demo`: an engine emulator plus simulated callers that keep placing realistic
// calls, so the supervision, CDRs and statements come alive without a real engine.
// The callers only react to what the application asks for (prompt names in PLAY).
import { log } from '../log.ts';
import { EngineEmulator, type DialBehaviour, type ReceivedLine, type SentLine } from '../engine/emulator.ts';

export interface DemoUser {
  pin: string;
  callerId?: string;
  dids?: { did: string; to: string }[];
}

/** Relative weights of what the next demo call does. */
export interface DemoMix {
  ivrPin: number; // unknown caller → IVR number, types the PIN
  oneStep: number; // user's Caller ID → IVR number
  did: number; // user's Caller ID → one of their DIDs
  talk: number; // connected 10–60 s, then caller or callee hangs up
  untilCut: number; // connected and never hung up: runs until the credit cut
  fail: number; // the dialed number is busy / does not answer / congestion
  wrongPin: number; // probability (0..1) that an IVR caller first types a wrong PIN
}

export interface DemoOptions {
  /** The users callers pretend to be; a function is read at each new call (admin edits show up). */
  users: DemoUser[] | (() => DemoUser[]);
  ivrDid: string;
  host?: string;
  port?: number;
  /** Time compression: 1 = real pace; tests use e.g. 40. */
  speed?: number;
  /** Most simultaneous demo calls (default 4). */
  maxCalls?: number;
  mix?: Partial<DemoMix>;
  random?: () => number;
  log?: boolean;
}

export interface DemoEngine {
  /** 'host:port' for EngineLink. */
  address: string;
  emulator: EngineEmulator;
  /** Calls placed so far. */
  placed(): number;
  stop(): Promise<void>;
}

const DEFAULT_MIX: DemoMix = { ivrPin: 3, oneStep: 2, did: 2, talk: 14, untilCut: 2, fail: 3, wrongPin: 0.15 };
const DESTINATIONS = ['0141587070', '0388123456', '0561500000', '0478901234', '0033145678901', '3000', '5173', '0612345678'];
const FAIL_CAUSES = ['busy', 'busy', 'noanswer', 'congestion'];
const PROMPT_MS = 700;

type Scenario = 'ivrPin' | 'oneStep' | 'did';
type Outcome = 'talk' | 'untilCut' | 'fail';

interface DemoCall {
  id: string;
  scenario: Scenario;
  outcome: Outcome;
  user: DemoUser;
  dialNumber: string;
  wrongPinLeft: boolean;
  timers: NodeJS.Timeout[];
}

export async function startDemoEngine(o: DemoOptions): Promise<DemoEngine> {
  const speed = o.speed && o.speed > 0 ? o.speed : 1;
  const rnd = o.random ?? Math.random;
  const mix: DemoMix = { ...DEFAULT_MIX, ...o.mix };
  const maxCalls = o.maxCalls ?? 4;
  const ms = (realMs: number) => Math.max(1, Math.round(realMs / speed));
  const between = (lo: number, hi: number) => lo + rnd() * (hi - lo);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length) % xs.length];
  const users = () => (typeof o.users === 'function' ? o.users() : o.users);

  const emu = await EngineEmulator.start({
    host: o.host,
    port: o.port,
    engineName: 'demo/1',
    promptMs: ms(PROMPT_MS),
    keepLines: 2000,
    log: o.log,
  });
  const calls = new Map<string, DemoCall>();
  let placed = 0;
  let stopped = false;
  let loop: NodeJS.Timeout | null = null;
  let warnedNoUsers = false;

  const later = (c: DemoCall, delay: number, fn: () => void) => {
    c.timers.push(setTimeout(() => {
      if (!stopped && calls.has(c.id)) fn();
    }, delay));
  };
  const alive = (id: string) => {
    const s = emu.call(id)?.state;
    return s !== undefined && s !== 'ended';
  };
  const hangup = (c: DemoCall, side: 'caller' | 'callee') => {
    if (!alive(c.id)) return;
    try {
      if (side === 'callee' && emu.call(c.id)?.state === 'connected') emu.hangupByCallee(c.id);
      else emu.hangupByCaller(c.id);
    } catch {
      // the call went away meanwhile
    }
  };
  const type = (c: DemoCall, digits: string, delay: number) => {
    // People type in bursts: the digits arrive in one to three DIGITS lines.
    const cut1 = Math.floor(rnd() * digits.length);
    const parts = cut1 > 0 ? [digits.slice(0, cut1), digits.slice(cut1)] : [digits];
    let t = delay;
    for (const p of parts) {
      later(c, t, () => {
        if (alive(c.id)) emu.sendDigits(c.id, p);
      });
      t += ms(between(300, 1200));
    }
  };

  function weighted<T extends string>(entries: [T, number][]): T | null {
    const total = entries.reduce((s, [, w]) => s + Math.max(0, w), 0);
    if (total <= 0) return null;
    let r = rnd() * total;
    for (const [k, w] of entries) {
      r -= Math.max(0, w);
      if (r < 0) return k;
    }
    return entries[entries.length - 1][0];
  }

  function placeCall(): void {
    const all = users().filter((u) => u.pin);
    const withCid = all.filter((u) => u.callerId);
    const withDid = withCid.filter((u) => u.dids && u.dids.length > 0);
    const scenario = weighted<Scenario>([
      ['ivrPin', all.length ? mix.ivrPin : 0],
      ['oneStep', withCid.length ? mix.oneStep : 0],
      ['did', withDid.length ? mix.did : 0],
    ]);
    const outcome = weighted<Outcome>([
      ['talk', mix.talk],
      ['untilCut', mix.untilCut],
      ['fail', mix.fail],
    ]);
    if (!scenario || !outcome) {
      if (!warnedNoUsers) log('demo.idle', { reason: 'no demo user to call as' });
      warnedNoUsers = true;
      return;
    }
    warnedNoUsers = false;
    const user = pick(scenario === 'ivrPin' ? all : scenario === 'oneStep' ? withCid : withDid);
    let from = user.callerId ?? '';
    let to = o.ivrDid;
    let dialNumber = pick(DESTINATIONS);
    if (scenario === 'ivrPin') {
      // A caller the application does not know, or a withheld number now and then.
      const known = new Set(all.map((u) => u.callerId));
      do from = rnd() < 0.1 ? '' : '05' + String(Math.floor(rnd() * 1e8)).padStart(8, '0');
      while (from && known.has(from));
    } else if (scenario === 'did') {
      const m = pick(user.dids!);
      to = m.did;
      dialNumber = m.to;
    }
    let dial: DialBehaviour;
    if (outcome === 'fail') {
      const cause = pick(FAIL_CAUSES);
      dial = { kind: 'fail', cause, afterMs: ms(cause === 'noanswer' ? between(8000, 15000) : between(1000, 4000)) };
    } else dial = { kind: 'answer', afterMs: ms(between(1500, 6000)), ringAfterMs: ms(between(300, 900)) };

    let id: string;
    try {
      id = emu.offer({ from, to, dial });
    } catch {
      return; // no application connected right now
    }
    placed++;
    const c: DemoCall = { id, scenario, outcome, user, dialNumber, wrongPinLeft: scenario === 'ivrPin' && rnd() < mix.wrongPin, timers: [] };
    calls.set(id, c);
    if (o.log) log('demo.call', { call: id, scenario, outcome, from, to });
    // Nobody waits forever: hang up if the call never connects, and cap the longest call.
    later(c, ms(90_000), () => {
      if (emu.call(id)?.state !== 'connected') hangup(c, 'caller');
    });
    later(c, ms(20 * 60_000), () => hangup(c, 'caller'));
  }

  function onPlay(line: ReceivedLine): void {
    const c = calls.get(line.fields.call ?? '');
    if (!c || line.verb !== 'PLAY') return;
    const prompts = (line.fields.prompts ?? '').split(',');
    // React to the last question in the list: the PIN, or the number to call.
    let ask: 'pin' | 'number' | null = null;
    for (const p of prompts) {
      if (/(^|\/)(agent-pass|auth-incorrect|vm-reenterpassword)$/.test(p)) ask = 'pin';
      else if (/(^|\/)vm-enter-num-to-call$/.test(p)) ask = 'number';
    }
    if (!ask) return;
    const heard = prompts.length * ms(PROMPT_MS);
    // Most callers wait for the prompt to end; some type over it (barge-in).
    const delay = rnd() < 0.2 ? ms(between(200, 800)) : heard + ms(between(400, 1800));
    if (ask === 'pin') {
      let pin = c.user.pin;
      if (c.wrongPinLeft) {
        c.wrongPinLeft = false;
        pin = pin.split('').reverse().join('') === pin ? pin + '1' : pin.split('').reverse().join('');
      }
      type(c, pin + '#', delay);
    } else type(c, c.dialNumber + '#', delay);
  }

  function onSent(line: SentLine): void {
    const c = calls.get(line.fields.call ?? '');
    if (!c) return;
    if (line.verb === 'CONNECTED' && c.outcome === 'talk') {
      later(c, ms(between(10_000, 60_000)), () => hangup(c, rnd() < 0.5 ? 'caller' : 'callee'));
    } else if (line.verb === 'FAILED') {
      // The application may announce the failure and release; if not, the caller gives up.
      later(c, ms(between(4000, 8000)), () => hangup(c, 'caller'));
    } else if (line.verb === 'ENDED') {
      for (const t of c.timers) clearTimeout(t);
      calls.delete(c.id);
    }
  }

  emu.on('command', onPlay);
  emu.on('sent', onSent);

  const tick = () => {
    loop = null;
    if (stopped) return;
    if (emu.connected && calls.size < maxCalls) placeCall();
    loop = setTimeout(tick, ms(between(2000, 6000)));
  };
  loop = setTimeout(tick, ms(1000));

  return {
    address: emu.address,
    emulator: emu,
    placed: () => placed,
    async stop() {
      stopped = true;
      if (loop) clearTimeout(loop);
      for (const c of calls.values()) for (const t of c.timers) clearTimeout(t);
      calls.clear();
      emu.off('command', onPlay);
      emu.off('sent', onSent);
      await emu.close();
    },
  };
}
