// The ENGINE side of the link, written from shared/spec/engine-link.md: a TCP server the
// application connects to. Used by end-to-end tests (scriptable, observable) and by
// `--engine demo`. It plays the caller's and callee's part only when told to.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { systemClock, type Clock, type Timer } from '../clock.ts';
import { AppError } from '../errors.ts';
import { log } from '../log.ts';
import { decode, encode, LineSplitter, ProtocolError, type FieldValue } from './codec.ts';
import { tcpTransportOf } from './tcp.ts';
import type { Transport } from './transport.ts';

export type DialBehaviour =
  /** RINGING after ringAfterMs (default min(100, afterMs/2)), CONNECTED after afterMs. */
  | { kind: 'answer'; afterMs: number; ringAfterMs?: number }
  /** FAILED with `cause` (busy, noanswer, congestion, invalid, rejected) after afterMs (default 200). */
  | { kind: 'fail'; cause: string; afterMs?: number }
  /** Rings until the DIAL timeout, then FAILED cause=noanswer. */
  | { kind: 'noanswer'; ringAfterMs?: number };

export interface EmulatorOptions {
  host?: string; // default 127.0.0.1
  port?: number; // default 0 (ephemeral)
  engineName?: string; // HELLO engine=, default 'emulator/1'
  proto?: number; // HELLO proto= announced, default 1 (set to 2 to test a mismatch)
  /** Playback time of one prompt; default 300 ms each. */
  promptMs?: number | ((prompt: string) => number);
  offerTimeoutMs?: number; // default 2000
  /** Default outgoing-leg behaviour; per call: offer({dial}) or setDial(). */
  dial?: DialBehaviour | ((c: { call: string; to: string }) => DialBehaviour);
  pingEveryMs?: number; // default 5000; 0 = never PING
  deadAfterMs?: number; // default 15000; 0 = never drop a silent app
  clock?: Clock; // default systemClock (real time; `at` = Date.now())
  /** Cap on the commands/sent logs (oldest dropped); default unbounded. */
  keepLines?: number;
  /** Log engine-side activity through log() (demo mode). */
  log?: boolean;
}

export interface ReceivedLine {
  at: number;
  line: string;
  verb: string | null; // null: the line did not parse
  fields: Record<string, string>;
}
export type SentLine = ReceivedLine;

export type EmulatedCallState = 'offered' | 'ivr' | 'dialing' | 'ringing' | 'connected' | 'releasing' | 'ended';

/** A snapshot of one call as the engine sees it. */
export interface EmulatedCall {
  call: string;
  from: string;
  to: string;
  state: EmulatedCallState;
  offerAt: number;
  answered: boolean;
  dialed: string | null;
  dialAt: number | null;
  dialFields: Record<string, string> | null;
  connectedAt: number | null;
  limit: number | null; // seconds after CONNECTED
  hangupAt: number | null; // receipt of HANGUP
  ended: { by: string; cause: string; at: number } | null;
  playing: { ref: number | null; prompts: string[] } | null;
}

interface CallRec {
  id: string;
  from: string;
  to: string;
  offerAt: number;
  delivered: boolean;
  answered: boolean;
  leg: 'none' | 'dialing' | 'ringing' | 'connected';
  dialTo: string | null;
  dialAt: number | null;
  dialFields: Record<string, string> | null;
  connectedAt: number | null;
  limitS: number | null;
  limitTimer: Timer | null;
  legTimers: Timer[];
  offerTimer: Timer | null;
  play: { ref: number | null; prompts: string[]; bargein: boolean; timer: Timer } | null;
  hangup: { at: number; cause: string } | null;
  ended: { by: string; cause: string; at: number } | null;
  dial: DialBehaviour | null;
}

interface Session {
  transport: Transport;
  hello: boolean;
  lastRx: number;
  pingTimer: Timer | null;
  deadTimer: Timer | null;
  pingId: number;
}

const DEFAULT_DIAL: DialBehaviour = { kind: 'answer', afterMs: 300 };
const FAIL_CAUSES = new Set(['busy', 'noanswer', 'congestion', 'invalid', 'rejected']);

function intOf(s: string | undefined): number | null {
  return s !== undefined && /^\d{1,15}$/.test(s) ? Number(s) : null;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export class EngineEmulator extends EventEmitter {
  readonly commands: ReceivedLine[] = [];
  readonly sent: SentLine[] = [];
  readonly stats = { malformed: 0, connections: 0 };
  private readonly clock: Clock;
  private readonly opts: EmulatorOptions;
  private server: net.Server | null = null;
  private session: Session | null = null;
  private readonly calls = new Map<string, CallRec>();
  /** ENDED lines for delivered calls that ended while no application was connected. */
  private readonly undelivered: Record<string, string>[] = [];
  private seq = 0;
  private silent = false;
  private _port = 0;

  constructor(opts: EmulatorOptions = {}) {
    super();
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
  }

  static async start(opts: EmulatorOptions = {}): Promise<EngineEmulator> {
    const e = new EngineEmulator(opts);
    await e.listen();
    return e;
  }

  get port(): number {
    return this._port;
  }

  /** 'host:port', ready for EngineLink's target. */
  get address(): string {
    return `${this.opts.host ?? '127.0.0.1'}:${this._port}`;
  }

  /** True while an application is connected and has said HELLO. */
  get connected(): boolean {
    return this.session?.hello === true;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((sock) => this.accept(sock));
      server.once('error', reject);
      server.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        server.on('error', (e) => this.note('emulator.server-error', { error: e.message }));
        this.server = server;
        this._port = (server.address() as net.AddressInfo).port;
        resolve(this._port);
      });
    });
  }

  async close(): Promise<void> {
    for (const c of this.calls.values()) this.clearTimers(c);
    if (this.session) this.endSession(this.session, 'emulator closed');
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  // ---- scripting: the caller's and callee's side --------------------------------------

  /** Presents a new inbound call to the application; returns its call id. */
  offer(o: { from: string; to: string; call?: string; dial?: DialBehaviour }): string {
    if (!this.connected) throw new AppError('LINK_DOWN', 'no application connected to the engine emulator');
    const id = o.call ?? this.newCallId();
    if (this.calls.get(id)?.ended === null) throw new AppError('CONFLICT', `call ${id} already exists`);
    const now = this.clock.now();
    const c: CallRec = {
      id, from: o.from, to: o.to, offerAt: now, delivered: true, answered: false, leg: 'none',
      dialTo: null, dialAt: null, dialFields: null, connectedAt: null, limitS: null, limitTimer: null,
      legTimers: [], offerTimer: null, play: null, hangup: null, ended: null, dial: o.dial ?? null,
    };
    this.calls.set(id, c);
    this.prune();
    c.offerTimer = this.after(this.opts.offerTimeoutMs ?? 2000, () => {
      c.offerTimer = null;
      this.note('emulator.offer-timeout', { call: id });
      this.end(c, 'engine', '102');
    });
    this.event('OFFER', { call: id, from: o.from, to: o.to, at: now });
    return id;
  }

  /** DTMF from the caller; stops a barge-in playback (DIGITS, then PLAYED interrupted=1). */
  sendDigits(call: string, digits: string): void {
    if (!/^[0-9*#]+$/.test(digits)) throw new AppError('BAD_REQUEST', `bad digits ${JSON.stringify(digits)}`);
    const c = this.live(call);
    this.event('DIGITS', { call, digits, at: this.clock.now() });
    if (c.play && c.play.bargein && !c.hangup) this.stopPlay(c, true);
  }

  hangupByCaller(call: string, cause = '16'): void {
    this.end(this.live(call), 'caller', cause);
  }

  /** The callee hangs up a connected call; while it rings, it rejects it (FAILED rejected). */
  hangupByCallee(call: string, cause = '16'): void {
    const c = this.live(call);
    if (c.leg === 'connected') return this.end(c, 'callee', cause);
    if (c.leg === 'dialing' || c.leg === 'ringing') return this.failLeg(c, 'rejected');
    throw new AppError('BAD_REQUEST', `call ${call} has no outgoing leg`);
  }

  /** How the outgoing leg of this call will behave on its next DIAL. */
  setDial(call: string, b: DialBehaviour): void {
    this.live(call).dial = b;
  }

  /** Closes the application's connection; calls go on, their ENDED kept for the replay. */
  dropLink(): void {
    if (this.session) this.endSession(this.session, 'dropLink');
  }

  /** While on, the emulator sends nothing at all (a black-holed link). */
  silence(on: boolean): void {
    this.silent = on;
  }

  /** Sends a line as is (LF appended), for fuzzing; before HELLO too. */
  rawSend(line: string): void {
    this.session?.transport.write(line + '\n');
  }

  /** Sends raw bytes (invalid UTF-8, split lines, ...). */
  rawWrite(bytes: Buffer): void {
    this.session?.transport.write(bytes);
  }

  call(id: string): EmulatedCall | undefined {
    const c = this.calls.get(id);
    return c && this.view(c);
  }

  liveCalls(): EmulatedCall[] {
    return [...this.calls.values()].filter((c) => !c.ended).map((c) => this.view(c));
  }

  /** Resolves once pred() holds (checked on every line and every 5 ms). */
  waitFor(pred: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    return new Promise((resolve, reject) => {
      if (pred()) return resolve();
      const check = () => {
        let ok = false;
        try {
          ok = pred();
        } catch {
          ok = false;
        }
        if (!ok) return;
        done();
        resolve();
      };
      const done = () => {
        clearInterval(poll);
        clearTimeout(limit);
        this.off('command', check);
        this.off('sent', check);
      };
      const poll = setInterval(check, 5);
      const limit = setTimeout(() => {
        done();
        reject(new Error(`engine emulator: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.on('command', check);
      this.on('sent', check);
    });
  }

  /** The first received command `verb` (from index `since` of `commands`) matching `match`. */
  async waitForCommand(
    verb: string,
    match: (f: Record<string, string>) => boolean = () => true,
    o: { timeoutMs?: number; since?: number } = {},
  ): Promise<ReceivedLine> {
    let found: ReceivedLine | undefined;
    await this.waitFor(
      () => (found = this.commands.slice(o.since ?? 0).find((l) => l.verb === verb && match(l.fields))) !== undefined,
      o.timeoutMs ?? 5000,
      `command ${verb}`,
    );
    return found as ReceivedLine;
  }

  /** The first line the engine sent (event) `verb` matching `match`. */
  async waitForSent(
    verb: string,
    match: (f: Record<string, string>) => boolean = () => true,
    o: { timeoutMs?: number; since?: number } = {},
  ): Promise<SentLine> {
    let found: SentLine | undefined;
    await this.waitFor(
      () => (found = this.sent.slice(o.since ?? 0).find((l) => l.verb === verb && match(l.fields))) !== undefined,
      o.timeoutMs ?? 5000,
      `event ${verb}`,
    );
    return found as SentLine;
  }

  // ---- connection ---------------------------------------------------------------------

  private accept(sock: net.Socket): void {
    if (!this.server) return void sock.destroy();
    this.serve(tcpTransportOf(sock));
  }

  /** Serves the application over any transport (e.g. a serial line); replaces the current one. */
  serve(transport: Transport): void {
    // One application at a time: a new connection replaces the old one.
    if (this.session) this.endSession(this.session, 'replaced by a new connection');
    this.stats.connections++;
    const s: Session = { transport, hello: false, lastRx: this.clock.now(), pingTimer: null, deadTimer: null, pingId: 0 };
    this.session = s;
    const splitter = new LineSplitter(
      (line) => this.onLine(s, line),
      () => {
        this.stats.malformed++;
        this.note('emulator.line-too-long', {});
      },
    );
    this.armDead(s);
    s.transport.attach({
      data: (d) => {
        if (this.session === s) splitter.push(d);
      },
      closed: (reason) => {
        if (this.session === s) this.endSession(s, reason);
      },
    });
    this.note('emulator.app-connected', { peer: s.transport.peer });
  }

  private endSession(s: Session, reason: string): void {
    s.pingTimer?.cancel();
    s.deadTimer?.cancel();
    if (this.session === s) this.session = null;
    s.transport.close();
    this.note('emulator.app-disconnected', { reason });
    this.emit('disconnect', reason);
  }

  private schedulePing(s: Session): void {
    const every = this.opts.pingEveryMs ?? 5000;
    if (every <= 0) return;
    s.pingTimer = this.after(every, () => {
      if (this.session !== s) return;
      this.write(s, 'PING', { id: ++s.pingId });
      this.schedulePing(s);
    });
  }

  private armDead(s: Session): void {
    const dead = this.opts.deadAfterMs ?? 15000;
    if (dead <= 0) return;
    s.deadTimer = this.clock.at(s.lastRx + dead, () => {
      if (this.session !== s) return;
      if (this.clock.now() - s.lastRx >= dead) this.endSession(s, 'application silent');
      else this.armDead(s);
    });
  }

  private write(s: Session, verb: string, fields: Record<string, FieldValue>): void {
    if (this.silent) return;
    const line = encode(verb, fields);
    s.transport.write(line + '\n');
    const rec: SentLine = { at: this.clock.now(), line, verb, fields: stringFields(fields) };
    this.sent.push(rec);
    this.trim(this.sent);
    this.emit('sent', rec);
  }

  /** An event for the application; ENDED of a delivered call is kept while none is connected. */
  private event(verb: string, fields: Record<string, FieldValue>): void {
    const s = this.session;
    if (s?.hello) return this.write(s, verb, fields);
    if (verb === 'ENDED') this.undelivered.push(stringFields(fields));
  }

  private reply(s: Session, ref: number, err?: { code: string; reason: string }): void {
    if (err) this.write(s, 'ERR', { ref, code: err.code, reason: err.reason });
    else this.write(s, 'OK', { ref });
  }

  private onLine(s: Session, raw: Buffer): void {
    s.lastRx = this.clock.now();
    const m = decode(raw);
    const rec: ReceivedLine = {
      at: s.lastRx,
      line: raw.toString('utf8'),
      verb: m instanceof ProtocolError ? null : m.verb,
      fields: m instanceof ProtocolError ? {} : { ...m.fields },
    };
    this.commands.push(rec);
    this.trim(this.commands);
    if (m instanceof ProtocolError) {
      if (m.kind !== 'empty') this.stats.malformed++;
      this.emit('command', rec);
      return;
    }
    try {
      this.handle(s, m.verb, m.fields);
    } finally {
      this.emit('command', rec);
    }
  }

  private handle(s: Session, verb: string, f: Record<string, string>): void {
    switch (verb) {
      case 'HELLO':
        return this.onHello(s, f);
      case 'PING':
        return this.write(s, 'PONG', { id: f.id });
      case 'PONG':
      case 'OK':
      case 'ERR':
        return;
    }
    const ref = intOf(f.ref);
    const commands: Record<string, (c: CallRec, f: Record<string, string>, ref: number) => { code: string; reason: string } | void> = {
      ANSWER: (c) => this.cmdAnswer(c),
      PLAY: (c, f, ref) => this.cmdPlay(c, f, ref),
      STOP: (c) => void this.stopPlay(c, true),
      DIAL: (c, f) => this.cmdDial(c, f),
      LIMIT: (c, f) => this.cmdLimit(c, f),
      HANGUP: (c, f) => this.cmdHangup(c, f),
    };
    const run = commands[verb];
    if (!run) {
      if (ref !== null) this.reply(s, ref, { code: 'unknown-verb', reason: `unknown verb ${verb}` });
      return;
    }
    if (ref === null) {
      this.stats.malformed++; // a command without ref cannot be answered
      return;
    }
    const c = f.call ? this.calls.get(f.call) : undefined;
    if (!c) return this.reply(s, ref, { code: 'unknown-call', reason: `no call ${f.call ?? ''}` });
    if (c.ended) return this.reply(s, ref, { code: 'call-gone', reason: `call ${c.id} has ended` });
    c.offerTimer?.cancel(); // the application took the call in hand
    c.offerTimer = null;
    // OK goes out before the command's consequences (PLAYED of a replaced prompt, ENDED...).
    const deferred: (() => void)[] = [];
    this.deferring = deferred;
    let err: { code: string; reason: string } | void;
    try {
      err = run(c, f, ref);
    } finally {
      this.deferring = null;
    }
    this.reply(s, ref, err || undefined);
    if (!err) for (const fn of deferred) fn();
  }

  /** Consequences of the command being handled run after its OK. */
  private deferring: (() => void)[] | null = null;
  private later(fn: () => void): void {
    if (this.deferring) this.deferring.push(fn);
    else fn();
  }

  private onHello(s: Session, f: Record<string, string>): void {
    this.write(s, 'HELLO', { proto: this.opts.proto ?? 1, engine: this.opts.engineName ?? 'emulator/1' });
    if (f.proto !== '1') this.note('emulator.app-proto', { proto: f.proto ?? null });
    if (s.hello) return;
    s.hello = true;
    for (const c of this.calls.values()) {
      if (c.ended || !c.delivered) continue;
      this.write(s, 'ACTIVE', {
        call: c.id,
        from: c.from,
        to: c.to,
        state: c.leg === 'connected' ? 'connected' : c.leg !== 'none' ? 'dialing' : c.answered || c.hangup ? 'ivr' : 'offered',
        connected_at: c.connectedAt ?? undefined,
      });
    }
    for (const ended of this.undelivered.splice(0)) this.write(s, 'ENDED', ended);
    this.write(s, 'SYNCED', {});
    this.schedulePing(s);
    this.emit('session');
  }

  // ---- commands -----------------------------------------------------------------------

  private cmdAnswer(c: CallRec): { code: string; reason: string } | void {
    if (c.hangup) return { code: 'bad-state', reason: 'call is being released' };
    c.answered = true;
  }

  private cmdPlay(c: CallRec, f: Record<string, string>, ref: number): { code: string; reason: string } | void {
    const prompts = (f.prompts ?? '').split(',').filter((p) => p !== '');
    if (prompts.length === 0) return { code: 'bad-request', reason: 'no prompts' };
    if (c.hangup) return { code: 'bad-state', reason: 'call is being released' };
    if (!c.answered && c.leg !== 'connected') return { code: 'not-answered', reason: 'ANSWER the call first' };
    this.later(() => {
      this.stopPlay(c, true);
      this.startPlay(c, ref, prompts, f.bargein === '1', () => this.event('PLAYED', { call: c.id, ref }));
    });
  }

  private cmdDial(c: CallRec, f: Record<string, string>): { code: string; reason: string } | void {
    if (!f.to) return { code: 'bad-request', reason: 'DIAL needs to=' };
    const timeout = f.timeout === undefined ? 60 : intOf(f.timeout);
    const limit = f.limit === undefined ? null : intOf(f.limit);
    if (timeout === null || (f.limit !== undefined && limit === null)) return { code: 'bad-request', reason: 'bad timeout or limit' };
    if (c.hangup) return { code: 'bad-state', reason: 'call is being released' };
    if (c.leg !== 'none') return { code: 'bad-state', reason: 'the call already has an outgoing leg' };
    c.leg = 'dialing';
    c.dialTo = f.to;
    c.dialAt = this.session?.lastRx ?? this.clock.now();
    c.dialFields = { ...f };
    c.limitS = limit;
    const b = c.dial ?? this.defaultDial(c.id, f.to);
    const timeoutMs = timeout * 1000;
    this.later(() => {
      if (b.kind === 'fail') {
        c.legTimers.push(this.after(Math.min(b.afterMs ?? 200, timeoutMs), () => this.failLeg(c, b.cause)));
        return;
      }
      const ringAfter = b.ringAfterMs ?? (b.kind === 'answer' ? Math.min(100, Math.floor(b.afterMs / 2)) : 100);
      if (ringAfter < timeoutMs && (b.kind === 'noanswer' || ringAfter < b.afterMs)) {
        c.legTimers.push(
          this.after(ringAfter, () => {
            if (c.leg !== 'dialing') return;
            c.leg = 'ringing';
            this.event('RINGING', { call: c.id, at: this.clock.now() });
          }),
        );
      }
      if (b.kind === 'answer' && b.afterMs < timeoutMs) c.legTimers.push(this.after(b.afterMs, () => this.connect(c)));
      else c.legTimers.push(this.after(timeoutMs, () => this.failLeg(c, 'noanswer')));
    });
  }

  private defaultDial(call: string, to: string): DialBehaviour {
    const d = this.opts.dial;
    if (typeof d === 'function') return d({ call, to });
    return d ?? DEFAULT_DIAL;
  }

  private cmdLimit(c: CallRec, f: Record<string, string>): { code: string; reason: string } | void {
    const s = intOf(f.seconds);
    if (s === null) return { code: 'bad-request', reason: 'LIMIT needs seconds=' };
    c.limitS = s;
    if (c.leg === 'connected') this.later(() => this.armLimit(c));
  }

  private cmdHangup(c: CallRec, f: Record<string, string>): { code: string; reason: string } | void {
    if (c.hangup) return; // already releasing: nothing more to do
    const cause = f.cause && /^\d{1,3}$/.test(f.cause) ? f.cause : '16';
    c.hangup = { at: this.session?.lastRx ?? this.clock.now(), cause }; // the line's receipt time
    const prompts = (f.prompts ?? '').split(',').filter((p) => p !== '');
    this.later(() => {
      // The callee leg goes at once; the caller hears the prompts, then is released.
      this.dropLeg(c);
      this.stopPlay(c, true);
      if (prompts.length === 0) return this.end(c, 'app', cause);
      this.startPlay(c, null, prompts, false, (due) => this.end(c, 'app', cause, due));
    });
  }

  // ---- call mechanics -----------------------------------------------------------------

  private startPlay(c: CallRec, ref: number | null, prompts: string[], bargein: boolean, done: (due: number) => void): void {
    const per = this.opts.promptMs ?? 300;
    const ms = prompts.reduce((sum, p) => sum + (typeof per === 'function' ? per(p) : per), 0);
    const due = this.clock.now() + ms;
    const play = {
      ref,
      prompts,
      bargein,
      timer: this.clock.at(due, () => {
        if (c.play !== play) return;
        c.play = null;
        done(due);
      }),
    };
    c.play = play;
  }

  /** Stops the playback; a PLAY's stop is reported with PLAYED interrupted=1. */
  private stopPlay(c: CallRec, report: boolean): void {
    const p = c.play;
    if (!p) return;
    c.play = null;
    p.timer.cancel();
    if (report && p.ref !== null && !c.ended) this.event('PLAYED', { call: c.id, ref: p.ref, interrupted: 1 });
  }

  private connect(c: CallRec): void {
    if (c.leg !== 'dialing' && c.leg !== 'ringing') return;
    c.leg = 'connected';
    c.answered = true;
    c.connectedAt = this.clock.now();
    this.event('CONNECTED', { call: c.id, at: c.connectedAt });
    this.armLimit(c);
  }

  private armLimit(c: CallRec): void {
    c.limitTimer?.cancel();
    c.limitTimer = null;
    if (c.limitS === null || c.connectedAt === null) return;
    const due = c.connectedAt + c.limitS * 1000;
    c.limitTimer = this.clock.at(due, () => {
      c.limitTimer = null;
      this.note('emulator.limit-reached', { call: c.id, limit: c.limitS ?? undefined });
      // A timer may fire a hair early on the wall clock; the release is never before the limit.
      this.end(c, 'engine', '16', due);
    });
  }

  private failLeg(c: CallRec, cause: string): void {
    if (c.leg !== 'dialing' && c.leg !== 'ringing') return;
    this.dropLeg(c);
    this.event('FAILED', { call: c.id, cause: FAIL_CAUSES.has(cause) ? cause : cause || 'congestion', at: this.clock.now() });
  }

  private dropLeg(c: CallRec): void {
    for (const t of c.legTimers.splice(0)) t.cancel();
    c.limitTimer?.cancel();
    c.limitTimer = null;
    c.leg = 'none';
  }

  private end(c: CallRec, by: string, cause: string, notBefore = 0): void {
    if (c.ended) return;
    const at = Math.max(this.clock.now(), notBefore);
    this.clearTimers(c);
    c.play = null;
    c.leg = 'none';
    c.ended = { by, cause, at };
    this.note('emulator.call-ended', { call: c.id, by, cause });
    if (c.delivered) this.event('ENDED', { call: c.id, by, cause, at });
  }

  private clearTimers(c: CallRec): void {
    c.offerTimer?.cancel();
    c.offerTimer = null;
    c.play?.timer.cancel();
    for (const t of c.legTimers.splice(0)) t.cancel();
    c.limitTimer?.cancel();
    c.limitTimer = null;
  }

  private live(call: string): CallRec {
    const c = this.calls.get(call);
    if (!c) throw new AppError('NOT_FOUND', `no call ${call}`);
    if (c.ended) throw new AppError('CONFLICT', `call ${call} has ended`);
    return c;
  }

  private view(c: CallRec): EmulatedCall {
    const state: EmulatedCallState = c.ended
      ? 'ended'
      : c.hangup
        ? 'releasing'
        : c.leg !== 'none'
          ? c.leg
          : c.answered
            ? 'ivr'
            : 'offered';
    return {
      call: c.id, from: c.from, to: c.to, state, offerAt: c.offerAt, answered: c.answered,
      dialed: c.dialTo, dialAt: c.dialAt, dialFields: c.dialFields, connectedAt: c.connectedAt,
      limit: c.limitS, hangupAt: c.hangup?.at ?? null, ended: c.ended,
      playing: c.play ? { ref: c.play.ref, prompts: [...c.play.prompts] } : null,
    };
  }

  /** Ids in the engine's style: A + yyMMddHHmmss (UTC) + 5-digit sequence. */
  private newCallId(): string {
    const d = new Date(this.clock.now());
    this.seq = (this.seq + 1) % 100000;
    return (
      'A' + pad(d.getUTCFullYear() % 100) + pad(d.getUTCMonth() + 1) + pad(d.getUTCDate()) +
      pad(d.getUTCHours()) + pad(d.getUTCMinutes()) + pad(d.getUTCSeconds()) + pad(this.seq, 5)
    );
  }

  private after(ms: number, fn: () => void): Timer {
    return this.clock.at(this.clock.now() + ms, fn);
  }

  /** Forget long-ended calls so a demo running for days stays small. */
  private prune(): void {
    if (this.calls.size < 2000) return;
    for (const [id, c] of this.calls) {
      if (this.calls.size < 1000) break;
      if (c.ended) this.calls.delete(id);
    }
  }

  private trim(list: unknown[]): void {
    const cap = this.opts.keepLines;
    if (cap !== undefined && list.length > cap * 2) list.splice(0, list.length - cap);
  }

  private note(event: string, fields: Record<string, string | number | null | undefined>): void {
    if (this.opts.log) log(event, fields);
  }
}

function stringFields(f: Record<string, FieldValue>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) if (v !== undefined) out[k] = String(v);
  return out;
}
