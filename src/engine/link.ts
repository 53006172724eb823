// The application's side of the engine link (spec: shared/spec/engine-link.md).
// Knows nothing of billing or of what calls mean: it turns lines into typed events and
// commands into lines, keeps the link alive and reconnects forever.
import { systemClock, type Clock, type Timer } from '../clock.ts';
import { AppError } from '../errors.ts';
import { log } from '../log.ts';
import { decode, encode, LineSplitter, MAX_LINE_BYTES, ProtocolError, type FieldValue } from './codec.ts';
import { connectTcp } from './tcp.ts';
import { openSerial } from './serial.ts';
import type { Transport, TransportFactory } from './transport.ts';

export type LinkState = 'down' | 'connecting' | 'handshake' | 'replay' | 'up';
export type ActiveState = 'offered' | 'ivr' | 'dialing' | 'connected';

export interface EngineEvents {
  offer: { call: string; from: string; to: string; at: number };
  digits: { call: string; digits: string; at: number };
  played: { call: string; ref: number; interrupted: boolean };
  ringing: { call: string; at: number };
  connected: { call: string; at: number };
  failed: { call: string; cause: string; at: number };
  ended: { call: string; by: string; cause: string; at: number; replayed: boolean };
  active: { call: string; from: string; to: string; state: ActiveState; connectedAt: number | null };
  synced: {};
  state: { state: LinkState };
}
export type EngineEventName = keyof EngineEvents;

export interface EngineLinkOptions {
  /** 'host:port' or 'serial:/dev/ttyS1?baud=115200'. */
  target: string;
  connectTimeoutMs: number;
  /** Sent as HELLO app=<appName>, e.g. 'prepaid/2.0.0'. */
  appName: string;
  clock?: Clock;
  transportFactory?: TransportFactory;
}

export interface LinkStats {
  malformed: number;
  overlong: number;
  invalidEvents: number;
  unknownVerbs: number;
  unknownRefs: number;
}

export const LINK_TIMING = {
  backoffFirstMs: 500,
  backoffMaxMs: 10_000,
  pingEveryMs: 5_000,
  deadAfterMs: 15_000,
  commandTimeoutMs: 5_000,
} as const;

/** An ERR answer from the engine; `engineCode`/`reason` are the engine's words. */
export class EngineCommandError extends AppError {
  constructor(
    readonly verb: string,
    readonly call: string,
    readonly engineCode: string,
    readonly reason: string,
  ) {
    super('ENGINE_ERROR', `engine refused ${verb} on ${call}: ${engineCode}${reason ? ` (${reason})` : ''}`);
  }
}

export const defaultTransportFactory: TransportFactory = (target, o) =>
  target.startsWith('serial:') ? openSerial(target, o) : connectTcp(target, o);

interface Pending {
  verb: string;
  call: string;
  resolve(): void;
  reject(e: Error): void;
  timer: Timer;
}

interface Connection {
  transport: Transport;
  splitter: LineSplitter;
  lastRx: number;
  pingTimer: Timer | null;
  deadTimer: Timer | null;
  /** Until the engine's HELLO: the attempt is given up after the connection timeout. */
  helloTimer: Timer | null;
  /** When the link reached SYNCED (null before): a link that stayed up earns a fresh backoff. */
  upSince: number | null;
  pingId: number;
}

const CALL_MAX_BYTES = 64;
const ACTIVE_STATES = new Set<string>(['offered', 'ivr', 'dialing', 'connected']);
const EVENT_VERBS = new Set(['ACTIVE', 'OFFER', 'DIGITS', 'PLAYED', 'RINGING', 'CONNECTED', 'FAILED', 'ENDED']);

type Fields = Record<string, string>;
type Listener<T> = (e: T) => void;

function intOf(s: string | undefined): number | null {
  return s !== undefined && /^\d{1,15}$/.test(s) ? Number(s) : null;
}

function callOf(f: Fields): string | null {
  const c = f.call;
  return c && Buffer.byteLength(c) <= CALL_MAX_BYTES ? c : null;
}

/** Positive whole seconds for the wire; Infinity/undefined → omitted, fractions → floor. */
function secondsOf(v: number | undefined): number | undefined {
  if (v === undefined || !Number.isFinite(v)) return undefined;
  return Math.max(0, Math.floor(v));
}

export class EngineLink {
  private readonly clock: Clock;
  private readonly factory: TransportFactory;
  private readonly listeners = new Map<EngineEventName, Set<Listener<never>>>();
  private readonly pending = new Map<number, Pending>();
  private _state: LinkState = 'down';
  private running = false;
  private conn: Connection | null = null;
  private attemptGen = 0;
  private attemptTimer: Timer | null = null;
  private attemptAbort: AbortController | null = null;
  private retryTimer: Timer | null = null;
  private backoffMs: number = LINK_TIMING.backoffFirstMs;
  /** True while consecutive attempts fail: their state flips are not logged again. */
  private failing = false;
  private nextRef = 1;
  private readonly counters: LinkStats = { malformed: 0, overlong: 0, invalidEvents: 0, unknownVerbs: 0, unknownRefs: 0 };

  constructor(private opts: EngineLinkOptions) {
    this.clock = opts.clock ?? systemClock;
    this.factory = opts.transportFactory ?? defaultTransportFactory;
  }

  get state(): LinkState {
    return this._state;
  }

  stats(): LinkStats {
    return { ...this.counters };
  }

  on<K extends EngineEventName>(name: K, fn: Listener<EngineEvents[K]>): this {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(fn as Listener<never>);
    return this;
  }

  off<K extends EngineEventName>(name: K, fn: Listener<EngineEvents[K]>): this {
    this.listeners.get(name)?.delete(fn as Listener<never>);
    return this;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.backoffMs = LINK_TIMING.backoffFirstMs;
    this.failing = false;
    this.attempt();
  }

  /**
   * Follows a new engine address or connection timeout (the general parameters): a running
   * link leaves its engine and connects to the new one at once. Calls the new engine does
   * not replay are settled by the replay rules, as after any lost link.
   */
  retarget(target: string, connectTimeoutMs: number): void {
    if (target === this.opts.target && connectTimeoutMs === this.opts.connectTimeoutMs) return;
    log('engine.retarget', { from: this.opts.target, target, timeout_ms: connectTimeoutMs });
    this.opts = { ...this.opts, target, connectTimeoutMs };
    if (!this.running) return;
    this.abortAttempt();
    if (this.conn) this.drop(this.conn, 'engine address changed');
    this.retryTimer?.cancel();
    this.retryTimer = null;
    this.backoffMs = LINK_TIMING.backoffFirstMs;
    this.failing = false;
    this.attempt();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.retryTimer?.cancel();
    this.retryTimer = null;
    this.abortAttempt();
    if (this.conn) this.drop(this.conn, 'stopped');
    this.setState('down', { reason: 'stopped' });
  }

  // ---- commands ---------------------------------------------------------------------

  answer(call: string): Promise<void> {
    return this.command('ANSWER', call, {}).ack;
  }

  play(call: string, prompts: string[], bargein: boolean): { ref: number; ack: Promise<void> } {
    if (prompts.length === 0) return this.refused(new AppError('BAD_REQUEST', 'PLAY needs at least one prompt'));
    return this.command('PLAY', call, { prompts: prompts.join(','), bargein: bargein ? 1 : undefined });
  }

  stopPlayback(call: string): Promise<void> {
    return this.command('STOP', call, {}).ack;
  }

  dial(call: string, o: { to: string; via?: string; from?: string; timeout?: number; limit?: number }): Promise<void> {
    return this.command('DIAL', call, {
      to: o.to,
      via: o.via || undefined,
      from: o.from,
      timeout: secondsOf(o.timeout),
      limit: secondsOf(o.limit),
    }).ack;
  }

  limit(call: string, seconds: number): Promise<void> {
    const s = secondsOf(seconds);
    if (s === undefined) return this.refused(new AppError('BAD_REQUEST', 'LIMIT needs a finite number of seconds')).ack;
    return this.command('LIMIT', call, { seconds: s }).ack;
  }

  hangup(call: string, o: { cause?: number; prompts?: string[] } = {}): Promise<void> {
    return this.command('HANGUP', call, {
      cause: o.cause,
      prompts: o.prompts && o.prompts.length > 0 ? o.prompts.join(',') : undefined,
    }).ack;
  }

  private refused(e: AppError, ref = this.nextRef++): { ref: number; ack: Promise<void> } {
    const ack = Promise.reject(e);
    ack.catch(() => {}); // a caller that ignores the ack must not crash the process
    return { ref, ack };
  }

  private command(verb: string, call: string, fields: Record<string, FieldValue>): { ref: number; ack: Promise<void> } {
    const conn = this.conn;
    if (!conn) return this.refused(new AppError('LINK_DOWN', `engine link is ${this._state}: ${verb} not sent`));
    const ref = this.nextRef++;
    const line = encode(verb, { call, ref, ...fields });
    if (Buffer.byteLength(line) > MAX_LINE_BYTES) {
      return this.refused(new AppError('BAD_REQUEST', `${verb} line too long for the engine link`), ref);
    }
    const ack = new Promise<void>((resolve, reject) => {
      const timer = this.clock.at(this.clock.now() + LINK_TIMING.commandTimeoutMs, () => {
        if (!this.pending.delete(ref)) return;
        log('engine.command-timeout', { verb, call, ref });
        reject(new AppError('TIMEOUT', `engine did not answer ${verb} on ${call} within ${LINK_TIMING.commandTimeoutMs} ms`));
      });
      this.pending.set(ref, { verb, call, resolve, reject, timer });
    });
    ack.catch(() => {});
    conn.transport.write(line + '\n');
    return { ref, ack };
  }

  // ---- connection life --------------------------------------------------------------

  private setState(s: LinkState, fields: Record<string, string | number | undefined> = {}, quiet = false): void {
    if (s === this._state) return;
    this._state = s;
    if (!quiet) log('engine.link', { state: s, target: this.opts.target, ...fields });
    this.emit('state', { state: s });
  }

  private attempt(): void {
    this.retryTimer = null;
    if (!this.running) return;
    const gen = ++this.attemptGen;
    const ac = new AbortController();
    this.attemptAbort = ac;
    this.setState('connecting', {}, this.failing);
    this.attemptTimer = this.clock.at(this.clock.now() + this.opts.connectTimeoutMs, () => {
      if (gen !== this.attemptGen) return;
      this.abortAttempt();
      this.failed(`connect timeout after ${this.opts.connectTimeoutMs} ms`);
    });
    let p: Promise<Transport>;
    try {
      p = this.factory(this.opts.target, { connectTimeoutMs: this.opts.connectTimeoutMs, signal: ac.signal });
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      (t) => {
        if (gen !== this.attemptGen || !this.running || ac.signal.aborted) {
          t.close();
          return;
        }
        this.clearAttempt();
        this.opened(t);
      },
      (e: unknown) => {
        if (gen !== this.attemptGen || ac.signal.aborted) return;
        this.clearAttempt();
        this.failed(e instanceof Error ? e.message : String(e));
      },
    );
  }

  private clearAttempt(): void {
    this.attemptTimer?.cancel();
    this.attemptTimer = null;
    this.attemptAbort = null;
  }

  private abortAttempt(): void {
    const ac = this.attemptAbort;
    this.attemptGen++;
    this.clearAttempt();
    ac?.abort();
  }

  private failed(reason: string): void {
    if (!this.running) return;
    const quiet = this.failing;
    this.failing = true;
    this.setState('down', { reason, retry_ms: this.backoffMs }, quiet);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, LINK_TIMING.backoffMaxMs);
    this.retryTimer = this.clock.at(this.clock.now() + delay, () => this.attempt());
  }

  private opened(t: Transport): void {
    const conn: Connection = {
      transport: t,
      splitter: null as unknown as LineSplitter,
      lastRx: this.clock.now(),
      pingTimer: null,
      deadTimer: null,
      helloTimer: null,
      upSince: null,
      pingId: 0,
    };
    conn.splitter = new LineSplitter(
      (line) => this.onLine(conn, line),
      (n) => {
        this.counters.overlong++;
        log('engine.line-too-long', { count: n, max: MAX_LINE_BYTES });
      },
    );
    this.conn = conn;
    this.failing = false;
    // refs count per link (spec): each connection starts at 1; the previous one's pending
    // commands were all failed when it was lost, so no answer can be taken for another's
    this.nextRef = 1;
    this.setState('handshake', { peer: t.peer });
    t.write(encode('HELLO', { proto: 1, app: this.opts.appName }) + '\n');
    this.schedulePing(conn);
    this.armDead(conn);
    // the attempt is not over until the engine says HELLO: the connection timeout covers it
    conn.helloTimer = this.clock.at(this.clock.now() + this.opts.connectTimeoutMs, () => {
      if (this.conn === conn && this._state === 'handshake') this.drop(conn, `no HELLO from the engine within ${this.opts.connectTimeoutMs} ms`);
    });
    t.attach({
      data: (chunk) => {
        if (this.conn === conn) conn.splitter.push(chunk);
      },
      closed: (reason) => this.lost(conn, reason),
    });
  }

  private schedulePing(conn: Connection): void {
    conn.pingTimer = this.clock.at(this.clock.now() + LINK_TIMING.pingEveryMs, () => {
      if (this.conn !== conn) return;
      conn.transport.write(encode('PING', { id: ++conn.pingId }) + '\n');
      this.schedulePing(conn);
    });
  }

  /** One timer per connection, re-armed lazily from the last receipt time. */
  private armDead(conn: Connection): void {
    conn.deadTimer = this.clock.at(conn.lastRx + LINK_TIMING.deadAfterMs, () => {
      if (this.conn !== conn) return;
      if (this.clock.now() - conn.lastRx >= LINK_TIMING.deadAfterMs) {
        log('engine.link-dead', { silent_ms: this.clock.now() - conn.lastRx });
        this.drop(conn, `no line for ${LINK_TIMING.deadAfterMs} ms`);
      } else this.armDead(conn);
    });
  }

  /** We close the connection ourselves (dead, proto mismatch, stop), logged with our reason. */
  private drop(conn: Connection, reason: string): void {
    this.lost(conn, reason);
    conn.transport.close();
  }

  private lost(conn: Connection, reason: string): void {
    if (this.conn !== conn) return;
    this.conn = null;
    conn.pingTimer?.cancel();
    conn.deadTimer?.cancel();
    conn.helloTimer?.cancel();
    // an engine that closes soon after each handshake is retried with a growing delay too
    if (conn.upSince !== null && this.clock.now() - conn.upSince >= LINK_TIMING.backoffMaxMs) this.backoffMs = LINK_TIMING.backoffFirstMs;
    for (const [ref, p] of this.pending) {
      this.pending.delete(ref);
      p.timer.cancel();
      p.reject(new AppError('LINK_DOWN', `engine link lost before ${p.verb} on ${p.call} was answered`));
    }
    if (!this.running) return;
    this.setState('down', { reason, retry_ms: this.backoffMs });
    this.scheduleRetry();
  }

  // ---- receiving ----------------------------------------------------------------------

  private send(verb: string, fields: Record<string, FieldValue>): void {
    this.conn?.transport.write(encode(verb, fields) + '\n');
  }

  private onLine(conn: Connection, raw: Buffer): void {
    if (this.conn !== conn) return;
    conn.lastRx = this.clock.now();
    const m = decode(raw);
    if (m instanceof ProtocolError) {
      if (m.kind === 'empty') return;
      this.counters.malformed++;
      log('engine.bad-line', { kind: m.kind, detail: m.detail });
      return;
    }
    const f = m.fields;
    switch (m.verb) {
      case 'HELLO':
        return this.onHello(conn, f);
      case 'PING':
        return this.send('PONG', { id: f.id });
      case 'PONG':
        return;
      case 'OK':
      case 'ERR':
        return this.onAnswer(m.verb, f);
      case 'SYNCED':
        if (this._state === 'handshake') log('engine.no-hello', {});
        if (this._state === 'handshake' || this._state === 'replay') {
          conn.helloTimer?.cancel();
          conn.upSince = this.clock.now();
          this.setState('up');
          this.emit('synced', {});
        }
        return;
      default:
        if (EVENT_VERBS.has(m.verb)) return this.onEvent(m.verb, f);
        this.counters.unknownVerbs++;
        if (f.ref !== undefined) {
          log('engine.unknown-verb', { verb: m.verb, ref: f.ref });
          this.send('ERR', { ref: f.ref, code: 'unknown-verb', reason: `unknown verb ${m.verb}` });
        }
    }
  }

  private onHello(conn: Connection, f: Fields): void {
    if (f.proto !== '1') {
      log('engine.proto-mismatch', { level: 'error', proto: f.proto ?? null, engine: f.engine, expected: 1 });
      this.drop(conn, `engine speaks proto ${f.proto ?? '(none)'}, not 1`);
      return;
    }
    if (this._state !== 'handshake') return; // a repeated HELLO changes nothing
    conn.helloTimer?.cancel();
    this.setState('replay', { engine: f.engine });
  }

  private onAnswer(verb: string, f: Fields): void {
    const ref = intOf(f.ref);
    const p = ref === null ? undefined : this.pending.get(ref);
    if (!p || ref === null) {
      this.counters.unknownRefs++;
      log('engine.unexpected-answer', { verb, ref: f.ref ?? null, code: f.code, reason: f.reason });
      return;
    }
    this.pending.delete(ref);
    p.timer.cancel();
    if (verb === 'OK') p.resolve();
    else {
      const e = new EngineCommandError(p.verb, p.call, f.code ?? 'unknown', f.reason ?? '');
      log('engine.err', { verb: p.verb, call: p.call, ref, code: f.code, reason: f.reason });
      p.reject(e);
    }
  }

  private invalid(verb: string, f: Fields, why: string): void {
    this.counters.invalidEvents++;
    log('engine.bad-event', { verb, call: f.call, why });
  }

  private onEvent(verb: string, f: Fields): void {
    const call = callOf(f);
    if (call === null) return this.invalid(verb, f, 'missing or bad call');
    const at = intOf(f.at);
    const needAt = verb !== 'ACTIVE' && verb !== 'PLAYED';
    if (needAt && at === null) return this.invalid(verb, f, 'missing or bad at');
    const t = at as number;
    switch (verb) {
      case 'OFFER':
        if (f.to === undefined) return this.invalid(verb, f, 'missing to');
        return this.emit('offer', { call, from: f.from ?? '', to: f.to, at: t });
      case 'DIGITS':
        if (!f.digits || !/^[0-9*#]+$/.test(f.digits)) return this.invalid(verb, f, 'bad digits');
        return this.emit('digits', { call, digits: f.digits, at: t });
      case 'PLAYED': {
        const ref = intOf(f.ref);
        if (ref === null) return this.invalid(verb, f, 'missing or bad ref');
        return this.emit('played', { call, ref, interrupted: f.interrupted === '1' || f.interrupted === 'true' });
      }
      case 'RINGING':
        return this.emit('ringing', { call, at: t });
      case 'CONNECTED':
        return this.emit('connected', { call, at: t });
      case 'FAILED':
        if (!f.cause) return this.invalid(verb, f, 'missing cause');
        return this.emit('failed', { call, cause: f.cause, at: t });
      case 'ENDED':
        if (!f.by || !f.cause) return this.invalid(verb, f, 'missing by or cause');
        return this.emit('ended', { call, by: f.by, cause: f.cause, at: t, replayed: this._state !== 'up' });
      case 'ACTIVE': {
        if (f.to === undefined) return this.invalid(verb, f, 'missing to');
        if (!ACTIVE_STATES.has(f.state ?? '')) return this.invalid(verb, f, 'bad state');
        let connectedAt: number | null = null;
        if (f.connected_at !== undefined && f.connected_at !== '') {
          connectedAt = intOf(f.connected_at);
          if (connectedAt === null) return this.invalid(verb, f, 'bad connected_at');
        }
        return this.emit('active', { call, from: f.from ?? '', to: f.to, state: f.state as ActiveState, connectedAt });
      }
    }
  }

  private emit<K extends EngineEventName>(name: K, e: EngineEvents[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        (fn as Listener<EngineEvents[K]>)(e);
      } catch (err) {
        // A listener's bug must not take the link (and every other call) down with it.
        log('engine.listener-error', { event: name, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
}
