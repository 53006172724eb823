// The IVR service on the access number: PIN (unless the Caller ID identifies the user),
// the credit announced, the number typed, the call dialled and metered.
import { isAppError } from '../errors.ts';
import { log, serviceLog } from '../log.ts';
import { amountPrompts, PROMPTS } from '../speech/index.ts';
import { dialMetered, failedNotice, isDialable, lang, playFor, say, type FlowContext } from './flow.ts';
import type { CallSession } from './session.ts';
import { Answer } from './steps/answer.ts';
import { Collect } from './steps/collect.ts';
import { Hangup } from './steps/hangup.ts';
import { Play } from './steps/play.ts';

export const IVR_LIMITS = { pinTries: 3, numberTries: 3, dialTries: 3, pinMax: 12, numberMax: 32 } as const;

export async function runIvr(s: CallSession, ctx: FlowContext): Promise<void> {
  if (ctx.guard.isLocked(s.from)) {
    await new Answer().run(s);
    await lockedOut(s, ctx);
    return;
  }
  await new Answer().run(s);
  s.status = 'ivr';

  const userId = s.from ? ctx.directory.userByCallerId(s.from)?.id : undefined;
  const identified = userId ?? (await askPin(s, ctx));
  if (!identified) return;
  s.userId = identified;

  let notice: string[] = [];
  for (let attempt = 0; attempt < IVR_LIMITS.dialTries; attempt++) {
    const number = await askNumber(s, ctx, identified, notice, attempt === 0);
    if (number === null) return;
    try {
      const outcome = await dialMetered(s, ctx, identified, number);
      if (outcome.connected) {
        await s.gone;
        return;
      }
      serviceLog('CALL_DIAL_FAILED', { call: s.callId, cause: outcome.cause });
      s.status = 'ivr';
      s.outcome = 'DIAL_FAILED';
      notice = failedNotice(ctx, outcome.cause);
    } catch (e) {
      if (isAppError(e) && e.code === 'INSUFFICIENT_CREDIT') {
        s.outcome = 'INSUFFICIENT_CREDIT';
        return new Hangup(say(ctx, [...PROMPTS.insufficientCredit, ...PROMPTS.goodbye])).run(s);
      }
      throw e;
    }
  }
  // the last attempt failed too: the caller hears why, then goodbye
  return new Hangup([...notice, ...say(ctx, PROMPTS.goodbye)]).run(s);
}

/** Up to three PINs; the user, or null once the call has been released. */
async function askPin(s: CallSession, ctx: FlowContext): Promise<string | null> {
  for (let i = 0; i < IVR_LIMITS.pinTries; i++) {
    await playFor(ctx, i === 0 ? PROMPTS.enterPin : PROMPTS.invalidPin, true).run(s);
    const pin = await new Collect(IVR_LIMITS.pinMax).run(s);
    // a number locked meanwhile (by another of its calls) has no PIN checked, not even a right one
    if (ctx.guard.isLocked(s.from)) return lockedOut(s, ctx);
    const user = /^\d{4,12}$/.test(pin) ? ctx.directory.userByPin(pin) : undefined;
    if (user) {
      ctx.guard.succeed(s.from);
      return user.id;
    }
    serviceLog('IVR_BAD_PIN', { call: s.callId, from: s.from, attempt: i + 1 });
    // the lock falls now: the call in progress is out too, or its last tries would be free guesses
    if (ctx.guard.fail(s.from)) {
      log('IVR_CALLER_LOCKED', { from: s.from });
      return lockedOut(s, ctx);
    }
  }
  s.outcome = 'BAD_PIN';
  await new Hangup(say(ctx, [...PROMPTS.accessDenied, ...PROMPTS.goodbye])).run(s);
  return null;
}

async function lockedOut(s: CallSession, ctx: FlowContext): Promise<null> {
  s.outcome = 'CALLER_LOCKED';
  await new Hangup(say(ctx, [...PROMPTS.lockedOut, ...PROMPTS.goodbye])).run(s);
  return null;
}

/** Announces the credit (first time) and collects the number; null once released. */
async function askNumber(
  s: CallSession,
  ctx: FlowContext,
  userId: string,
  notice: string[],
  announce: boolean,
): Promise<string | null> {
  const cfg = ctx.config();
  for (let i = 0; i < IVR_LIMITS.numberTries; i++) {
    const prompts = [...notice];
    if (announce && i === 0) {
      const units = Math.max(0, ctx.meter.available(userId));
      prompts.push(...say(ctx, PROMPTS.youHave), ...say(ctx, amountPrompts(units, cfg.unitPrice, cfg.currency, lang(ctx))));
    } else if (i > 0) {
      prompts.push(...say(ctx, PROMPTS.noNumber));
    }
    prompts.push(...say(ctx, PROMPTS.enterNumber));
    notice = [];
    await new Play(prompts, true).run(s);
    const number = await new Collect(IVR_LIMITS.numberMax).run(s);
    if (isDialable(number)) return number;
    serviceLog('IVR_NO_NUMBER', { call: s.callId, typed: number });
  }
  s.outcome = 'NO_NUMBER';
  await new Hangup(say(ctx, PROMPTS.goodbye)).run(s);
  return null;
}
