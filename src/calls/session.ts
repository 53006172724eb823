// One call as the application sees it: its state, its type-ahead digits, and the waits of
// whichever step runs now. Engine events come in through the on*() methods; steps wait on them.
import type { Clock } from '../clock.ts';

export type CallStatus = 'offered' | 'ivr' | 'dialing' | 'ringing' | 'connected';

/** The engine commands a call needs (EngineLink has them; tests pass a fake). */
export interface CallCommands {
  answer(call: string): Promise<void>;
  play(call: string, prompts: string[], bargein: boolean): { ref: number; ack: Promise<void> };
  stopPlayback(call: string): Promise<void>;
  dial(call: string, o: { to: string; via?: string; from?: string; timeout?: number; limit?: number }): Promise<void>;
  limit(call: string, seconds: number): Promise<void>;
  hangup(call: string, o?: { cause?: number; prompts?: string[] }): Promise<void>;
}

export type SessionEvent =
  | { kind: 'digits' }
  | { kind: 'played'; ref: number; interrupted: boolean }
  | { kind: 'ringing'; at: number }
  | { kind: 'connected'; at: number }
  | { kind: 'failed'; cause: string; at: number };

export interface Ended {
  at: number;
  by: string;
  cause: string;
}

/** Thrown into a waiting step when the call is gone (ENDED) or the wait timed out. */
export class CallGone extends Error {
  constructor(readonly ended: Ended | null) {
    super('call gone');
  }
}
export class WaitTimeout extends Error {}

interface Waiter {
  match(e: SessionEvent): boolean;
  fail(e: Error): void;
}

export class CallSession {
  status: CallStatus = 'offered';
  userId: string | null = null;
  dialed = '';
  dialAt: number | null = null;
  connectedAt: number | null = null;
  /** UPPER_SNAKE outcome for logs and the CDR cause; NORMAL unless something went wrong. */
  outcome = 'NORMAL';
  hangupSentAt: number | null = null;
  ended: Ended | null = null;
  /** True while a flow drives the call; a replayed call with no flow left is released. */
  flowRunning = false;
  /** A release that could not reach the engine (link down): sent again once it is back. */
  releaseOwed: { prompts: string[]; cause: number } | null = null;
  /** The engine's commands for this call; refused once the call is gone. */
  readonly engine: CallCommands;
  private digitBuffer = '';
  private waiters = new Set<Waiter>();
  private goneResolve!: (e: Ended) => void;
  readonly gone: Promise<Ended>;

  constructor(
    readonly callId: string,
    readonly from: string,
    readonly to: string,
    readonly offerAt: number,
    engine: CallCommands,
    readonly clock: Clock,
  ) {
    this.gone = new Promise((r) => (this.goneResolve = r));
    this.engine = this.guarded(engine);
  }

  /**
   * ENDED can arrive in the same read as the OK a step awaits: the step resumes after the
   * call is gone, and must not send the engine commands for a call it no longer has.
   */
  private guarded(engine: CallCommands): CallCommands {
    const gone = (): CallGone | null => (this.ended ? new CallGone(this.ended) : null);
    const or = <T>(send: () => Promise<T>): Promise<T> => {
      const g = gone();
      return g ? Promise.reject(g) : send();
    };
    return {
      answer: (call) => or(() => engine.answer(call)),
      play: (call, prompts, bargein) => {
        const g = gone();
        if (!g) return engine.play(call, prompts, bargein);
        const ack = Promise.reject(g);
        ack.catch(() => {}); // the caller awaits it; never an unhandled rejection
        return { ref: -1, ack };
      },
      stopPlayback: (call) => or(() => engine.stopPlayback(call)),
      dial: (call, o) => or(() => engine.dial(call, o)),
      limit: (call, seconds) => or(() => engine.limit(call, seconds)),
      hangup: (call, o) => or(() => engine.hangup(call, o)),
    };
  }

  // ---- events from the engine ----
  onDigits(digits: string): void {
    this.digitBuffer += digits;
    this.emit({ kind: 'digits' });
  }
  onPlayed(ref: number, interrupted: boolean): void {
    this.emit({ kind: 'played', ref, interrupted });
  }
  onRinging(at: number): void {
    if (this.status === 'dialing') this.status = 'ringing';
    this.emit({ kind: 'ringing', at });
  }
  onConnected(at: number): void {
    this.status = 'connected';
    this.connectedAt = at;
    this.emit({ kind: 'connected', at });
  }
  /** A DIAL of ours waits for its CONNECTED or FAILED. */
  get dialling(): boolean {
    return this.status === 'dialing' || this.status === 'ringing';
  }

  onFailed(cause: string, at: number): void {
    // the attempt is over at once: an event in the same read must not find it still dialling
    if (this.dialling) this.status = 'ivr';
    this.emit({ kind: 'failed', cause, at });
  }
  onEnded(e: Ended): void {
    if (this.ended) return;
    this.ended = e;
    const gone = new CallGone(e);
    for (const w of [...this.waiters]) w.fail(gone);
    this.waiters.clear();
    this.goneResolve(e);
  }

  // ---- what steps use ----
  /** Digits typed so far and not yet consumed (type-ahead). */
  peekDigits(): string {
    return this.digitBuffer;
  }
  takeDigits(n: number): string {
    const d = this.digitBuffer.slice(0, n);
    this.digitBuffer = this.digitBuffer.slice(n);
    return d;
  }

  /**
   * Waits until `pick` returns a value for an event (it is also tried once at once, on a
   * 'digits' pseudo-event, so buffered type-ahead counts), or the timeout passes.
   */
  wait<T>(pick: (e: SessionEvent) => T | undefined, timeoutMs: number | null): Promise<T> {
    if (this.ended) return Promise.reject(new CallGone(this.ended));
    const now = pick({ kind: 'digits' });
    if (now !== undefined) return Promise.resolve(now);
    return new Promise<T>((resolve, reject) => {
      const timer = timeoutMs === null ? null : this.clock.at(this.clock.now() + timeoutMs, () => {
        this.waiters.delete(w);
        reject(new WaitTimeout());
      });
      const w: Waiter = {
        match: (e) => {
          const v = pick(e);
          if (v === undefined) return false;
          timer?.cancel();
          this.waiters.delete(w);
          resolve(v);
          return true;
        },
        fail: (err) => {
          timer?.cancel();
          reject(err);
        },
      };
      this.waiters.add(w);
    });
  }

  private emit(e: SessionEvent): void {
    for (const w of [...this.waiters]) w.match(e);
  }
}
