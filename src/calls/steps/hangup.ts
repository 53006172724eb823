import { isAppError } from '../../errors.ts';
import type { CallSession } from '../session.ts';
import type { Step } from './step.ts';

/** Q.850 16: normal call clearing. */
export const NORMAL_CLEARING = 16;

/**
 * Releases the call, with prompts played to the caller first. Billable time ends when the
 * command is sent, so that instant is recorded before sending.
 */
export class Hangup implements Step<void> {
  readonly name = 'hangup';
  constructor(
    private readonly prompts: string[] = [],
    private readonly cause = NORMAL_CLEARING,
  ) {}

  async run(s: CallSession): Promise<void> {
    if (s.ended) return;
    const first = s.hangupSentAt === null;
    if (first) s.hangupSentAt = s.clock.now();
    try {
      await s.engine.hangup(s.callId, {
        cause: this.cause,
        prompts: this.prompts.length ? this.prompts : undefined,
      });
      s.releaseOwed = null;
    } catch (e) {
      if (isAppError(e) && e.code === 'LINK_DOWN') {
        // never reached the engine: it does not end billable time, and is owed once the link is back
        if (first) s.hangupSentAt = null;
        s.releaseOwed = { prompts: this.prompts, cause: this.cause };
      }
      throw e;
    }
  }
}
