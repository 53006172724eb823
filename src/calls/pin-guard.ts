// Brute-force guard on the PIN: too many wrong PINs from one calling number lock it out,
// the call in progress included. A withheld caller has no number to lock: one shared key
// would let anyone lock every withheld caller out; their guesses stay bounded by the tries
// of each call.
import type { Clock } from '../clock.ts';

export const PIN_GUARD = { failures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 } as const;

export class PinGuard {
  private failures = new Map<string, number[]>();
  private lockedUntil = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  isLocked(caller: string): boolean {
    if (caller === '') return false;
    const until = this.lockedUntil.get(caller);
    if (until === undefined) return false;
    if (this.clock.now() < until) return true;
    this.lockedUntil.delete(caller);
    return false;
  }

  /** Records a wrong PIN; true when this failure locks the number out. */
  fail(caller: string): boolean {
    if (caller === '') return false;
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

  /** A right PIN (never checked while locked): the number's past failures are forgiven. */
  succeed(caller: string): void {
    this.failures.delete(caller);
  }
}
