// The one small interface every IVR step implements; a flow runs steps on a CallSession.
import { isAppError } from '../../errors.ts';
import type { CallSession } from '../session.ts';

export interface Step<T> {
  readonly name: string;
  run(s: CallSession): Promise<T>;
}

/**
 * Waits for a command's OK, but an OK that never comes (TIMEOUT) is not taken as a refusal:
 * the engine's own events (PLAYED, RINGING, CONNECTED, FAILED, or an ERR on the next
 * command) say what it did. An ERR or a lost link still throws.
 */
export async function acknowledged(ack: Promise<void>): Promise<void> {
  try {
    await ack;
  } catch (e) {
    if (!(isAppError(e) && e.code === 'TIMEOUT')) throw e;
  }
}
