import type { CallSession } from '../session.ts';
import { acknowledged, type Step } from './step.ts';

/** Generous bound for a prompt list the engine never reports as PLAYED. */
const PLAYED_TIMEOUT_MS = 120_000;

/**
 * Plays prompts and waits for PLAYED. With barge-in, digits already typed ahead skip the
 * prompts altogether (the caller knows what to type), and a digit stops the playback.
 */
export class Play implements Step<{ interrupted: boolean }> {
  readonly name = 'play';
  constructor(
    private readonly prompts: string[],
    private readonly bargein: boolean,
  ) {}

  async run(s: CallSession): Promise<{ interrupted: boolean }> {
    if (this.prompts.length === 0) return { interrupted: false };
    if (this.bargein && s.peekDigits() !== '') return { interrupted: true };
    const { ref, ack } = s.engine.play(s.callId, this.prompts, this.bargein);
    // With barge-in a digit ends the wait at once: an engine that is slow to report the
    // interrupted PLAYED (or never does) must not hold the caller back.
    const played = s.wait<{ interrupted: boolean }>((e) => {
      if (e.kind === 'played' && e.ref === ref) return { interrupted: e.interrupted };
      if (this.bargein && e.kind === 'digits' && s.peekDigits() !== '') return { interrupted: true };
      return undefined;
    }, PLAYED_TIMEOUT_MS);
    played.catch(() => {}); // observed below; an early ack failure must not leave it unhandled
    await acknowledged(ack);
    return played;
  }
}
