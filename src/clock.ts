// Time seam: metering and call flows take a Clock so tests run on a fake one.
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Unix epoch milliseconds. */
  now(): number;
  /** Runs fn once at (or as soon as possible after) the absolute instant atMs. */
  at(atMs: number, fn: () => void): Timer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  at(atMs, fn) {
    const h = setTimeout(fn, Math.max(0, atMs - Date.now()));
    return { cancel: () => clearTimeout(h) };
  },
};

/** A clock that only moves when told to; timers fire in time order during advance(). */
export class FakeClock implements Clock {
  private timers: { atMs: number; seq: number; fn: () => void; live: boolean }[] = [];
  private seq = 0;
  constructor(private t = 1_700_000_000_000) {}

  now(): number {
    return this.t;
  }

  at(atMs: number, fn: () => void): Timer {
    const timer = { atMs, seq: this.seq++, fn, live: true };
    this.timers.push(timer);
    return { cancel: () => (timer.live = false) };
  }

  /** Moves time forward by ms, firing every due timer at its own instant. */
  advance(ms: number): void {
    this.advanceTo(this.t + ms);
  }

  advanceTo(target: number): void {
    for (;;) {
      const due = this.timers
        .filter((x) => x.live && x.atMs <= target)
        .sort((a, b) => a.atMs - b.atMs || a.seq - b.seq)[0];
      if (!due) break;
      due.live = false;
      this.t = Math.max(this.t, due.atMs);
      due.fn();
    }
    this.timers = this.timers.filter((x) => x.live);
    this.t = Math.max(this.t, target);
  }

  pending(): number {
    return this.timers.filter((x) => x.live).length;
  }
}
