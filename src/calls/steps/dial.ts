import type { CallSession } from '../session.ts';
import { acknowledged, type Step } from './step.ts';

export interface DialOrder {
  to: string;
  via?: string;
  from?: string;
  timeout: number;
  limit?: number;
}

export type DialOutcome = { connected: true; at: number } | { connected: false; cause: string };

/** Margin past the ring timeout before we stop waiting for the engine's verdict. */
const VERDICT_MARGIN_MS = 30_000;

/** Places the outgoing leg and waits for CONNECTED or FAILED (ENDED aborts the wait). */
export class Dial implements Step<DialOutcome> {
  readonly name = 'dial';
  constructor(private readonly order: DialOrder) {}

  async run(s: CallSession): Promise<DialOutcome> {
    s.status = 'dialing';
    s.dialed = this.order.to;
    s.dialAt = s.clock.now();
    const verdict = s.wait<DialOutcome>(
      (e) =>
        e.kind === 'connected'
          ? { connected: true, at: e.at }
          : e.kind === 'failed'
            ? { connected: false, cause: e.cause }
            : undefined,
      this.order.timeout * 1000 + VERDICT_MARGIN_MS,
    );
    verdict.catch(() => {});
    await acknowledged(
      s.engine.dial(s.callId, {
        to: this.order.to,
        via: this.order.via || undefined,
        from: this.order.from || undefined,
        timeout: this.order.timeout,
        limit: this.order.limit,
      }),
    );
    return verdict;
  }
}
