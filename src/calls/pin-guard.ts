// Brute-force guard on the PIN: too many wrong PINs from one calling number lock it out.
// Withheld callers share one key ('') on purpose: hiding the number must not buy more guesses.
import type { Clock } from '../clock.ts';

export const PIN_GUARD = { failures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 } as const;

export class PinGuard {
  private failures = new Map<string, number[]>();
  private lockedUntil = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  isLocked(caller: string): boolean {
    const until = this.lockedUntil.get(caller);
    if (until === undefined) return false;
    if (this.clock.now() < until) return true;
    this.lockedUntil.delete(caller);
    return false;
  }

  /** Records a wrong PIN; true when this failure locks the number out. */
  fail(caller: string): boolean {
    const now = this.clock.now();
    const recent = (this.failures.get(caller) ?? []).filter((t) => now - t < PIN_GUARD.windowMs);
    recent.push(now);
    if (recent.length >= PIN_GUARD.failures) {
      this.failures.delete(caller);
      this.lockedUntil.set(caller, now + PIN_GUARD.lockMs);
      return true;
    }
    this.failures.set(caller, recent);
    return false;
  }

  succeed(caller: string): void {
    this.failures.delete(caller);
  }
}
