// What every call flow needs, and the steps they share: dialling a metered call.
import type { Clock } from '../clock.ts';
import { isAppError } from '../errors.ts';
import type { Meter } from '../metering/index.ts';
import type { Lang } from '../money/index.ts';
import { failedPrompts, inLanguage } from '../speech/index.ts';
import type { Config, Store } from '../store/index.ts';
import type { PinGuard } from './pin-guard.ts';
import { CallGone, type CallSession } from './session.ts';
import { Dial } from './steps/dial.ts';
import { Play } from './steps/play.ts';

export interface FlowContext {
  meter: Meter;
  directory: Pick<Store, 'user' | 'userByPin' | 'userByCallerId' | 'didRoute'>;
  config(): Config;
  guard: PinGuard;
  clock: Clock;
}

export const DIAL_TIMEOUT_S = 60;

export function lang(ctx: FlowContext): Lang {
  return ctx.config().language;
}

export function say(ctx: FlowContext, names: readonly string[]): string[] {
  return inLanguage(lang(ctx), names);
}

/** A dialable number: digits, optionally with a leading '+'. */
export function isDialable(n: string): boolean {
  return /^\+?\d{1,32}$/.test(n);
}

/**
 * Authorises, journals and dials one metered call. Throws AppError INSUFFICIENT_CREDIT
 * (before any DIAL) when the user cannot pay one billing step.
 */
export async function dialMetered(
  s: CallSession,
  ctx: FlowContext,
  userId: string,
  to: string,
): Promise<{ connected: true; at: number } | { connected: false; cause: string }> {
  const now = ctx.clock.now();
  s.dialed = to; // the CDR of a call refused for its credit names the number it wanted
  const auth = ctx.meter.authorise(userId, to, now);
  const cfg = ctx.config();
  s.userId = userId;
  await ctx.meter.open({
    callId: s.callId,
    userId,
    from: s.from,
    dialed: to,
    offerAt: s.offerAt,
    dialAt: now,
    row: auth.row,
  });
  if (s.ended) throw new CallGone(s.ended); // the caller left while the journal was written
  return new Dial({
    to,
    via: cfg.defaultCallingAddress || undefined,
    from: s.from || undefined,
    timeout: DIAL_TIMEOUT_S,
    limit: auth.limit ?? undefined,
  }).run(s);
}

/** After FAILED: what the caller hears before another try. */
export function failedNotice(ctx: FlowContext, cause: string): string[] {
  return say(ctx, failedPrompts(cause));
}

export function playFor(ctx: FlowContext, names: readonly string[], bargein: boolean): Play {
  return new Play(say(ctx, names), bargein);
}

export function codeOf(e: unknown): string {
  return isAppError(e) ? e.code : 'INTERNAL';
}
