// Routes the engine's events to call sessions, starts the right flow on each OFFER, turns
// metering's verdicts (warn, cut, limit) into commands, and reconciles the engine's replay
// after every HELLO so that no call is lost or billed twice across a dropped link or a crash.
import type { Clock } from '../clock.ts';
import type { EngineEvents } from '../engine/link.ts';
import { log, serviceLog } from '../log.ts';
import type { Meter, MeterListener } from '../metering/index.ts';
import { PROMPTS } from '../speech/index.ts';
import { runDid, runOneStep } from './direct.ts';
import { codeOf, say, type FlowContext } from './flow.ts';
import { runIvr } from './ivr.ts';
import { CallSession, CallGone, type CallCommands, type CallStatus } from './session.ts';
import { Answer } from './steps/answer.ts';
import { Hangup, NORMAL_CLEARING } from './steps/hangup.ts';
import { Play } from './steps/play.ts';

/** The engine side the switchboard listens to (EngineLink satisfies it). */
export interface EngineSource extends CallCommands {
  on<K extends keyof EngineEvents>(name: K, fn: (e: EngineEvents[K]) => void): unknown;
}

/** How long after our HANGUP we wait for ENDED before settling on our own clock. */
const ENDED_GRACE_MS = 30_000;

export interface LiveSession {
  callId: string;
  from: string;
  status: CallStatus;
  userId: string | null;
  dialed: string;
  connectedAt: number | null;
}

export class Switchboard implements MeterListener {
  private sessions = new Map<string, CallSession>();
  private replaySeen: Set<string> | null = null;
  private stopping = false;
  private changeListeners = new Set<() => void>();
  private ctx!: FlowContext;

  constructor(
    private readonly engine: EngineSource,
    private readonly clock: Clock,
  ) {}

  /** Wires the flows' context (the meter needs the switchboard as its listener first). */
  attach(ctx: FlowContext): void {
    this.ctx = ctx;
    const e = this.engine;
    e.on('offer', (ev) => this.onOffer(ev));
    e.on('digits', (ev) => this.sessions.get(ev.call)?.onDigits(ev.digits));
    e.on('played', (ev) => this.sessions.get(ev.call)?.onPlayed(ev.ref, ev.interrupted));
    e.on('ringing', (ev) => this.touch(this.sessions.get(ev.call)?.onRinging(ev.at)));
    e.on('connected', (ev) => this.onConnected(ev.call, ev.at));
    e.on('failed', (ev) => this.sessions.get(ev.call)?.onFailed(ev.cause, ev.at));
    e.on('ended', (ev) => this.onEnded(ev));
    e.on('active', (ev) => this.onActive(ev));
    e.on('state', (ev) => {
      if (ev.state === 'replay' || ev.state === 'handshake') this.replaySeen = new Set();
      if (ev.state === 'down') this.meter.pauseCheckpoints();
    });
    e.on('synced', () => this.onSynced());
  }

  private get meter(): Meter {
    return this.ctx.meter;
  }

  sessionsList(): LiveSession[] {
    return [...this.sessions.values()].filter((s) => !s.ended);
  }

  hasLiveCall(userId: string): boolean {
    for (const s of this.sessions.values()) if (!s.ended && s.userId === userId) return true;
    return this.meter.hasCalls(userId);
  }

  onChange(fn: () => void): () => void {
    this.changeListeners.add(fn);
    return () => this.changeListeners.delete(fn);
  }

  private touch(_?: unknown): void {
    for (const fn of this.changeListeners) {
      try {
        fn();
      } catch {
        // a listener's fault is its own
      }
    }
  }

  // ---- metering verdicts ----
  warn(callId: string): void {
    const s = this.sessions.get(callId);
    if (!s || s.ended) return;
    serviceLog('CALL_CREDIT_WARNING', { call: callId });
    new Play(say(this.ctx, PROMPTS.creditWarning), false).run(s).catch((e) => this.refusedBy(callId, 'PLAY', e));
  }

  cut(callId: string, at: number): void {
    const s = this.sessions.get(callId);
    serviceLog('CALL_CUT', { call: callId, at });
    if (!s) {
      // a call adopted from the journal with no session: release it all the same
      this.engine.hangup(callId, { cause: NORMAL_CLEARING, prompts: this.cutPrompts() }).catch(() => {});
      return;
    }
    if (s.ended) return;
    s.outcome = 'INSUFFICIENT_CREDIT';
    s.hangupSentAt = at;
    this.release(s, this.cutPrompts());
  }

  limit(callId: string, seconds: number): void {
    this.engine.limit(callId, seconds).catch((e) => this.refusedBy(callId, 'LIMIT', e));
  }

  /**
   * A command outside the flow failed. An ERR from the engine ends our handling of the call
   * with a HANGUP (spec); a timeout or a lost link is only logged (the replay reconciles).
   */
  private refusedBy(callId: string, verb: string, e: unknown): void {
    if (e instanceof CallGone) return;
    const code = codeOf(e);
    log('CALL_COMMAND_FAILED', { call: callId, verb, code, error: (e as Error).message });
    const s = this.sessions.get(callId);
    if (code !== 'ENGINE_ERROR' || !s || s.ended) return;
    s.outcome = code;
    this.release(s, []);
  }

  private cutPrompts(): string[] {
    return say(this.ctx, [...PROMPTS.creditExhausted, ...PROMPTS.goodbye]);
  }

  // ---- engine events ----
  private onOffer(ev: EngineEvents['offer']): void {
    if (this.sessions.has(ev.call)) return;
    const s = new CallSession(ev.call, ev.from, ev.to, ev.at, this.engine, this.clock);
    this.sessions.set(ev.call, s);
    this.replaySeen?.add(ev.call);
    serviceLog('CALL_OFFER', { call: ev.call, from: ev.from, to: ev.to });
    this.touch();
    if (this.stopping) {
      s.outcome = 'SHUTDOWN';
      // answered first, like every refusal: prompts are only heard on an answered call
      const prompts = say(this.ctx, PROMPTS.unavailable);
      this.run(s, async () => {
        await new Answer().run(s);
        await new Hangup(prompts).run(s);
      });
      return;
    }
    this.run(s, () => {
      const cfg = this.ctx.config();
      const did = this.ctx.directory.didRoute(ev.to);
      if (did) return runDid(s, this.ctx, did);
      if (ev.to === cfg.ivrDid) return runIvr(s, this.ctx);
      return runOneStep(s, this.ctx);
    });
  }

  private onConnected(callId: string, at: number): void {
    const s = this.sessions.get(callId);
    // no dial of ours is waiting for it (say, a CONNECTED right after the FAILED that ended
    // the attempt): the caller is back in the IVR, and that time is not billable
    if (s && !s.ended && !s.dialling && s.status !== 'connected') {
      log('ENGINE_EVENT_IGNORED', { call: callId, event: 'CONNECTED', status: s.status });
      return;
    }
    // Metering starts synchronously: an ENDED in the same read must find the call connected.
    if (this.meter.journalEntry(callId)) {
      try {
        this.meter.start(callId, at);
      } catch (e) {
        log('METER_START_FAILED', { call: callId, error: (e as Error).message });
      }
    }
    if (s) {
      s.onConnected(at);
      serviceLog('CALL_CONNECTED', { call: callId, user: s.userId, dialed: s.dialed });
    }
    this.touch();
  }

  private onEnded(ev: EngineEvents['ended']): void {
    this.replaySeen?.add(ev.call);
    const s = this.sessions.get(ev.call);
    const endAt = Math.min(ev.at, s?.hangupSentAt ?? Infinity);
    if (s) s.onEnded({ at: ev.at, by: ev.by, cause: ev.cause });
    this.finish(ev.call, endAt, s?.outcome ?? 'NORMAL', false);
    serviceLog('CALL_ENDED', { call: ev.call, by: ev.by, cause: ev.cause, replayed: ev.replayed || undefined });
  }

  private onActive(ev: EngineEvents['active']): void {
    this.replaySeen?.add(ev.call);
    const s = this.sessions.get(ev.call);
    if (s) this.releaseIfOwed(s, ev.state);
    const entry = this.meter.journalEntry(ev.call);
    if (ev.state === 'connected') {
      if (!entry) {
        log('REPLAY_UNKNOWN_CALL', { call: ev.call, state: ev.state });
        this.engine.hangup(ev.call, { cause: NORMAL_CLEARING }).catch(() => {});
        return;
      }
      let connectedAt = ev.connectedAt ?? entry.connectedAt;
      if (connectedAt === null) {
        // connected while we could not hear it, and the engine gives no instant: billed from
        // now (never more than the caller used) rather than hung up unbilled
        connectedAt = this.clock.now();
        log('REPLAY_CONNECT_TIME_MISSING', { call: ev.call, billed_from: connectedAt });
      }
      if (!this.meter.isLive(ev.call)) this.meter.start(ev.call, connectedAt);
      if (s) {
        if (s.status !== 'connected') s.onConnected(connectedAt);
      } else {
        this.adopt(ev.call, ev.from, ev.to, entry.offerAt, entry.userId, entry.dialed, connectedAt);
      }
      this.touch();
      return;
    }
    if (ev.state === 'dialing' && entry) {
      if (!s) this.adopt(ev.call, ev.from, ev.to, entry.offerAt, entry.userId, entry.dialed, null);
      return;
    }
    if (s && !s.ended) {
      // ours: a dial whose FAILED was lost with the link is over (the engine is back to the
      // caller); the flow carries on as after any failed attempt
      if ((ev.state === 'ivr' || ev.state === 'offered') && s.dialling) {
        s.onFailed('lost', this.clock.now());
      }
      return;
    }
    this.releaseUnknown(ev);
  }

  /**
   * Our release, or the flow that would have sent it, was lost with the link: released now.
   * A release the engine has (its goodbye still playing, say) is left to finish.
   */
  private releaseIfOwed(s: CallSession, state: string): void {
    if (s.ended || !(s.releaseOwed || (!s.flowRunning && s.hangupSentAt === null))) return;
    const owed = s.releaseOwed ?? { prompts: [], cause: NORMAL_CLEARING };
    log('REPLAY_RELEASE', { call: s.callId, state, owed: s.releaseOwed !== null });
    this.release(s, owed.prompts, owed.cause);
  }

  /** An offered/ivr call replayed after a restart: released, costs nothing, leaves a CDR. */
  private releaseUnknown(ev: EngineEvents['active']): void {
    log('REPLAY_RELEASE', { call: ev.call, state: ev.state });
    // its OFFER is lost with the old process: the replay is the first we know of it
    const released = new CallSession(ev.call, ev.from, ev.to, this.clock.now(), this.engine, this.clock);
    released.outcome = 'RECOVERED';
    this.sessions.set(ev.call, released);
    this.run(released, async () => {
      await new Hangup().run(released);
      await released.gone;
    });
  }

  /** A call the engine still holds but no session runs (after a restart): it waits for its end. */
  private adopt(callId: string, from: string, to: string, offerAt: number, userId: string, dialed: string, connectedAt: number | null): void {
    const s = new CallSession(callId, from, to, offerAt, this.engine, this.clock);
    s.userId = userId;
    s.dialed = dialed;
    s.status = connectedAt === null ? 'dialing' : 'connected';
    s.connectedAt = connectedAt;
    this.sessions.set(callId, s);
    serviceLog('CALL_ADOPTED', { call: callId, user: userId, state: s.status });
    this.run(s, async () => {
      if (connectedAt === null) {
        const v = await s.wait((e) => (e.kind === 'connected' ? 'c' : e.kind === 'failed' ? 'f' : undefined), null);
        if (v === 'f') {
          s.outcome = 'DIAL_FAILED';
          return new Hangup(say(this.ctx, PROMPTS.goodbye)).run(s);
        }
      }
      await s.gone;
    });
  }

  private onSynced(): void {
    const seen = this.replaySeen;
    this.replaySeen = null;
    if (!seen) return;
    try {
      this.reconcile(seen);
    } finally {
      this.meter.resumeCheckpoints();
    }
  }

  private reconcile(seen: Set<string>): void {
    // Calls we had that the engine no longer knows: settled at their last checkpoint.
    for (const entry of this.meter.openCalls()) {
      if (seen.has(entry.callId)) continue;
      const s = this.sessions.get(entry.callId);
      const at = entry.connectedAt === null ? entry.dialAt : (entry.checkpointAt ?? entry.connectedAt);
      if (s) s.onEnded({ at, by: 'engine', cause: 'recovered' });
      this.finish(entry.callId, at, 'RECOVERED', true);
    }
    for (const s of [...this.sessions.values()]) {
      if (!seen.has(s.callId) && !s.ended) {
        s.onEnded({ at: this.clock.now(), by: 'engine', cause: 'lost' });
        this.finish(s.callId, this.clock.now(), 'LINK_DOWN', true);
      }
    }
    this.touch();
  }

  // ---- running and ending calls ----
  private run(s: CallSession, flow: () => Promise<void>): void {
    s.flowRunning = true;
    flow()
      .catch((e) => {
        if (e instanceof CallGone) return;
        s.outcome = codeOf(e);
        log('CALL_FLOW_ERROR', { call: s.callId, code: s.outcome, error: (e as Error).message });
        if (!s.ended) this.release(s, []);
      })
      .finally(() => {
        s.flowRunning = false;
        this.afterFlow(s);
      });
  }

  /** Once a flow is done the call must end; if the engine never says so, settle anyway. */
  private afterFlow(s: CallSession): void {
    if (s.ended) return;
    const t = this.clock.at(this.clock.now() + ENDED_GRACE_MS, () => {
      if (s.ended || this.sessions.get(s.callId) !== s) return;
      // a release still owed waits for the link: the replay will say how the call ended
      if (s.releaseOwed) return this.afterFlow(s);
      this.endHere(s, 'timeout', s.outcome);
    });
    s.gone.then(() => t.cancel());
  }

  private release(s: CallSession, prompts: string[], cause = NORMAL_CLEARING): void {
    new Hangup(prompts, cause).run(s).catch((e) => this.hangupFailed(s, e));
  }

  /**
   * An ERR to our HANGUP (the engine no longer has the call, say) ends our handling of the
   * call (spec): it is settled now, its billable time ending when the HANGUP was sent.
   * A timeout or a lost link only waits (ENDED, or the replay, will tell).
   */
  private hangupFailed(s: CallSession, e: unknown): void {
    log('CALL_HANGUP_FAILED', { call: s.callId, code: codeOf(e), error: (e as Error).message });
    if (codeOf(e) !== 'ENGINE_ERROR' || s.ended || this.sessions.get(s.callId) !== s) return;
    this.endHere(s, 'engine-error', s.outcome);
  }

  /** Ends a call no ENDED will end: at our HANGUP when one was sent (billing stops there), else now. */
  private endHere(s: CallSession, cause: string, outcome: string): void {
    const at = s.hangupSentAt ?? this.clock.now();
    s.onEnded({ at, by: 'app', cause });
    this.finish(s.callId, at, outcome, false);
  }

  /** Bills (or records) the call and forgets it. */
  private finish(callId: string, endAt: number, cause: string, recovered: boolean): void {
    const s = this.sessions.get(callId);
    this.sessions.delete(callId);
    try {
      if (this.meter.journalEntry(callId)) {
        this.meter.settle({ callId, endAt, cause, recovered });
      } else if (s) {
        this.meter.record({
          callId,
          userId: s.userId ?? '',
          from: s.from,
          dialed: s.dialed,
          offerAt: s.offerAt,
          endAt,
          cause,
        });
      }
    } catch (e) {
      log('SETTLE_FAILED', { call: callId, error: (e as Error).message });
    }
    this.touch();
  }

  /** SIGTERM: take no more calls, release every open one and settle it. */
  async shutdown(graceMs = 3000): Promise<void> {
    this.stopping = true;
    const open = [...this.sessions.values()].filter((s) => !s.ended);
    for (const s of open) {
      s.outcome = s.outcome === 'NORMAL' ? 'SHUTDOWN' : s.outcome;
      this.release(s, []);
    }
    const deadline = new Promise<void>((r) => setTimeout(r, graceMs).unref());
    await Promise.race([Promise.all(open.map((s) => s.gone)), deadline]);
    for (const s of open) {
      if (!s.ended) this.endHere(s, 'shutdown', 'SHUTDOWN');
    }
  }
}
