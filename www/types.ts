// Shapes of the JSON API (interfaces.md) as the page uses them.
import type { Lang } from './format.ts';

export interface Session {
  /** `loggedIn` in the API's answer. */
  authenticated: boolean;
  /** false on a fresh box: the page offers the first-run password screen. */
  passwordSet: boolean;
  /** The box language (config `language`), so the login screen can speak it. Optional. */
  language?: Lang;
}

// The server's own types, where the JSON carries them unchanged (type-only: nothing is bundled).
export type { Config } from '../src/store/types.ts';
export type { LiveCall } from '../src/web/appliance.ts';

export interface User {
  id: string;
  name: string;
  callerId: string;
  units: number;
  amount?: string;
}

export interface LedgerLine {
  date: string | number;
  operation: 'CREDIT' | 'CALL' | 'REPORT' | string;
  dialed: string;
  duration: number | null;
  units: number;
  amount: string;
}

export interface Ledger {
  lines: LedgerLine[];
  total: { units: number; amount: string };
}

export interface DidRoute {
  did: string;
  to: string;
}

export interface CostRow {
  prefix: string;
  h1: number;
  h2Begin: string;
  h2End: string;
  h2: number;
  increment?: number;
  setup?: number;
}

export interface Cdr {
  date: string | number;
  timestamp: number;
  connectDelay: number | null;
  duration: number;
  cost: number;
  user: string;
  dialed: string;
  callId: string;
}

export interface CdrPage {
  cdrs: Cdr[];
  next: string | null;
}

export interface ArchiveEntry {
  name: string;
  size?: number;
  date?: string | number;
}
