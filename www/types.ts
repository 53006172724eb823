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

export interface Config {
  webPort: number;
  language: Lang;
  ivrDid: string;
  engineAddress: string;
  enginePort: number;
  engineTimeout: number;
  timezone: string;
  defaultCallingAddress: string;
  defaultCallingForced: boolean;
  serviceLog: boolean;
  csvSeparator: string;
  currency: string;
  unitPrice: string;
  warningSeconds: number;
  billingSchedule: string;
}

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

export interface LiveCall {
  callId: string;
  caller: string;
  status: 'offered' | 'ivr' | 'dialing' | 'ringing' | 'connected' | string;
  userId: string | null;
  creditUnits: number | null;
  creditAmount: string | null;
  dialed: string;
  rate: number | null;
  duration: number;
  consumptionUnits: number;
  consumptionAmount: string;
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
