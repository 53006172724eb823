import type { CallSession } from '../session.ts';
import type { Step } from './step.ts';

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
    const played = s.wait((e) => (e.kind === 'played' && e.ref === ref ? { interrupted: e.interrupted } : undefined), PLAYED_TIMEOUT_MS);
    played.catch(() => {}); // observed below; an early ack failure must not leave it unhandled
    await ack;
    return played;
  }
}
