import type { CallSession } from '../session.ts';
import { acknowledged, type Step } from './step.ts';

/** Answers the caller leg (needed before any prompt on an unanswered call). */
export class Answer implements Step<void> {
  readonly name = 'answer';
  async run(s: CallSession): Promise<void> {
    await acknowledged(s.engine.answer(s.callId));
  }
}
