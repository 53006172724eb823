// The one small interface every IVR step implements; a flow runs steps on a CallSession.
import type { CallSession } from '../session.ts';

export interface Step<T> {
  readonly name: string;
  run(s: CallSession): Promise<T>;
}
