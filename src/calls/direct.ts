// Calls that need no IVR: DID forwarding (a user's DID rings its mapped number) and the
// one-step service (a user's Caller ID dials the called number directly). Both are metered
// to the user the Caller ID identifies; anyone else is refused with a prompt.
import { isAppError } from '../errors.ts';
import { serviceLog } from '../log.ts';
import { PROMPTS } from '../speech/index.ts';
import { dialMetered, failedNotice, isDialable, say, type FlowContext } from './flow.ts';
import type { CallSession } from './session.ts';
import { Answer } from './steps/answer.ts';
import { Hangup } from './steps/hangup.ts';

/** Answers and releases with prompts (the caller must hear why). */
async function refuse(s: CallSession, ctx: FlowContext, outcome: string, names: readonly string[]): Promise<void> {
  s.outcome = outcome;
  await new Answer().run(s);
  await new Hangup(say(ctx, [...names, ...PROMPTS.goodbye])).run(s);
}

export async function runDirect(s: CallSession, ctx: FlowContext, userId: string, to: string): Promise<void> {
  s.userId = userId;
  if (!isDialable(to)) return refuse(s, ctx, 'NO_NUMBER', PROMPTS.callFailed.invalid);
  try {
    const outcome = await dialMetered(s, ctx, userId, to);
    if (outcome.connected) {
      await s.gone;
      return;
    }
    serviceLog('CALL_DIAL_FAILED', { call: s.callId, cause: outcome.cause });
    s.outcome = 'DIAL_FAILED';
    await new Answer().run(s);
    await new Hangup([...failedNotice(ctx, outcome.cause), ...say(ctx, PROMPTS.goodbye)]).run(s);
  } catch (e) {
    if (isAppError(e) && e.code === 'INSUFFICIENT_CREDIT') return refuse(s, ctx, 'INSUFFICIENT_CREDIT', PROMPTS.insufficientCredit);
    throw e;
  }
}

/** A DID: forwarded only for its own user's Caller ID. */
export async function runDid(s: CallSession, ctx: FlowContext, route: { userId: string; to: string }): Promise<void> {
  const owner = ctx.directory.user(route.userId);
  if (!owner || !owner.callerId || owner.callerId !== s.from) {
    serviceLog('DID_REFUSED', { call: s.callId, did: s.to, from: s.from });
    return refuse(s, ctx, 'NOT_ALLOWED', PROMPTS.notAllowed);
  }
  return runDirect(s, ctx, owner.id, route.to);
}

/** Anything else: the one-step service if the Caller ID is a user's, else refused. */
export async function runOneStep(s: CallSession, ctx: FlowContext): Promise<void> {
  const user = s.from ? ctx.directory.userByCallerId(s.from) : undefined;
  if (!user) {
    serviceLog('CALL_REFUSED', { call: s.callId, from: s.from, to: s.to });
    return refuse(s, ctx, 'NOT_ALLOWED', PROMPTS.notAllowed);
  }
  return runDirect(s, ctx, user.id, s.to);
}
