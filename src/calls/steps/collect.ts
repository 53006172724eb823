import { WaitTimeout, type CallSession } from '../session.ts';
import type { Step } from './step.ts';

/**
 * Collects digits up to '#' (not included), or until `silenceMs` pass without a new digit,
 * or `max` digits. Type-ahead digits already buffered count. Returns what was typed.
 */
export class Collect implements Step<string> {
  readonly name = 'collect';
  constructor(
    private readonly max: number,
    private readonly silenceMs = 5000,
  ) {}

  async run(s: CallSession): Promise<string> {
    for (;;) {
      const buf = s.peekDigits();
      const hash = buf.indexOf('#');
      if (hash >= 0 && hash <= this.max) {
        const got = s.takeDigits(hash + 1).slice(0, -1);
        return got;
      }
      if (buf.length >= this.max) return s.takeDigits(this.max);
      const before = buf.length;
      try {
        await s.wait((e) => (e.kind === 'digits' && s.peekDigits().length > before ? true : undefined), this.silenceMs);
      } catch (e) {
        if (e instanceof WaitTimeout) return s.takeDigits(s.peekDigits().length).replace(/#/g, '');
        throw e;
      }
    }
  }
}
