// Public shapes of the store (see /work/contracts.md, "store").
import type { CostRow } from '../rating/index.ts';

export interface Config {
  webPort: number;
  language: 'fr' | 'en';
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
  /** Warning prompt N s before the cut (0 = off). */
  warningSeconds: number;
  /** Cron expression, '' = manual only. */
  billingSchedule: string;
}

export interface User {
  id: string;
  name: string;
  callerId: string;
  units: number;
}

export interface LedgerLine {
  at: number;
  operation: 'CREDIT' | 'CALL' | 'REPORT';
  dialed: string;
  duration: number | null;
  units: number;
  callId?: string;
}

export interface Cdr {
  endAt: number;
  offerAt: number;
  connectDelay: number | null;
  duration: number;
  cost: number;
  user: string;
  dialed: string;
  callId: string;
  from: string;
  cause: string;
  recovered?: boolean;
}

/** The open-call journal entry, written at DIAL and CONNECTED. */
export interface OpenCall {
  callId: string;
  userId: string;
  from: string;
  dialed: string;
  offerAt: number;
  dialAt: number;
  connectedAt: number | null;
  row: CostRow;
  checkpointAt: number | null;
}

export interface ArchiveUserBlock {
  id: string;
  name: string;
  lines: LedgerLine[];
  totalUnits: number;
}

export interface Archive {
  name: string;
  at: number;
  unitPrice: string;
  currency: string;
  users: ArchiveUserBlock[];
  liveCalls: string[];
  /** The CSV parameters in force at the close: the archive reads the same ever after (absent before 2.0.1). */
  params?: Pick<Config, 'csvSeparator' | 'language' | 'timezone'>;
}

export interface DidEntry {
  did: string;
  to: string;
}

export interface SettleInput {
  callId: string;
  userId: string;
  units: number;
  at: number;
  dialed: string;
  duration: number;
  cdr: Cdr;
}

export interface CdrQuery {
  from?: number;
  to?: number;
  limit?: number;
  before?: string;
}

export type { CostRow };
