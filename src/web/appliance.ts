// What the web layer needs from the appliance. Type-only: the lead's src/app.ts provides
// the real object (it must be structurally compatible with this interface).
import type { Config, Store } from '../store/index.ts';

export type LinkState = 'down' | 'connecting' | 'handshake' | 'replay' | 'up';

export interface LiveCall {
  callId: string;
  caller: string;
  status: 'offered' | 'ivr' | 'dialing' | 'ringing' | 'connected';
  user: string | null;
  creditUnits: number | null;
  creditAmount: string | null;
  dialed: string;
  rate: number | null;
  duration: number;
  consumptionUnits: number;
  consumptionAmount: string;
}

export interface Supervision {
  list(): LiveCall[];
  hasLiveCall(userId: string): boolean;
  /** Called on every change of the live-call set or of a call's state; returns unsubscribe. */
  onChange(fn: () => void): () => void;
}

export interface Appliance {
  store: Store;
  supervision: Supervision;
  linkState(): LinkState;
  natives(): Record<string, string>;
  stop(): Promise<void>;
  /** Applies a validated partial config live (engine address, timezone, schedule...) and persists it. */
  updateConfig(patch: Partial<Config>): Config;
  /** The cost table changed in the store: rebuild the RateTable. */
  costsChanged(): void;
  /** A user's balance changed from outside a call (API credit): re-plan their live calls' cuts. */
  balanceChanged?(userId: string): void;
  /** Units the user can still spend: the balance less what their live calls already used. */
  available?(userId: string): number;
}
