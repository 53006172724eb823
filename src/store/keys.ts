// The one place that knows how the store lays data out in LMDB: sub-database names, key
// shapes and value encoding. Anything that changes them bumps SCHEMA_VERSION (and adds a
// migration in store.ts), so an old box never misreads a newer layout.
import { createHmac } from 'node:crypto';

/** Layout version written in meta at creation; the store refuses a newer one. */
export const SCHEMA_VERSION = 1;

/**
 * Sub-databases of the single LMDB environment. Every value is MessagePack (lmdb-js's
 * default encoding, no shared structures: a second process such as `prepaid passwd` may
 * write meta, and shared structures would make that writer-order dependent).
 */
export const DB_NAMES = [
  'meta', // schemaVersion, secret, period, seqEpoch, adminPasswordHash, app:<key>
  'config', // 'general' → Config
  'users', // userId → UserRecord
  'pins', // HMAC-SHA256(secret, pin) hex → userId
  'callerIds', // callerId → userId
  'ledger', // ledgerKey(period, user, at, seq) → LedgerLine
  'dids', // did → DidRecord
  'costs', // prefix → CostRow
  'cdrs', // cdrKey(endAt, seq) → Cdr
  'cdrIds', // keyPart(callId) → cdrKey (settle/recordCdr idempotency)
  'journal', // 'c/'+keyPart(callId) → OpenCall, 'r' → last checkpoint round, 'k/'+keyPart(callId) → older checkpoint ms
  'archives', // 'i/'+name → {name, at}, 'a/'+name → Archive
] as const;
export type DbName = (typeof DB_NAMES)[number];

export const MAX_DBS = 16;

export const META = {
  schemaVersion: 'schemaVersion',
  secret: 'secret',
  period: 'period',
  seqEpoch: 'seqEpoch',
  adminPasswordHash: 'adminPasswordHash',
} as const;

/**
 * A deleted user's statement lines stay in the period, under `<id>~` (no live id has a '~'),
 * until the close archives them; `former:<id>` in meta keeps the name for the archive block.
 */
export const FORMER_SUFFIX = '~';
export function formerUserKey(id: string): string {
  return `former:${id}`;
}

/** Caller-owned meta keys live in their own namespace so they can never clobber ours. */
export function appMetaKey(key: string): string {
  return `app:${key}`;
}

export const CONFIG_KEY = 'general';

/** Sorts after every character used in keys (all keys are ASCII). */
export const KEY_END = '\x7f';

const TIME_DIGITS = 15; // ms since epoch, good until year 33658
const SEQ_DIGITS = 16;
/** Sequence numbers of one epoch (one open of the store); epoch × this stays a safe integer. */
export const SEQ_PER_EPOCH = 1_000_000_000;
const PERIOD_DIGITS = 8;
export const MAX_TIME = 10 ** TIME_DIGITS - 1;

function pad(n: number, digits: number): string {
  return String(n).padStart(digits, '0');
}

/**
 * Arbitrary text (engine call ids) made safe and ASCII for use inside a key: no NUL (lmdb
 * forbids it), no '/' (our separator), and byte order equal to JS string order.
 */
export function keyPart(s: string): string {
  if (/^[A-Za-z0-9._-]*$/.test(s)) return s; // the usual engine id needs no escaping
  return encodeURIComponent(s).replace(/[!'()*~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** Ledger lines: per period, per user, in time order (seq breaks ties). */
export function ledgerKey(period: number, userId: string, at: number, seq: number): string {
  return `${pad(period, PERIOD_DIGITS)}/${userId}/${pad(at, TIME_DIGITS)}/${pad(seq, SEQ_DIGITS)}`;
}
export function ledgerUserRange(period: number, userId: string): { lo: string; hi: string } {
  const p = `${pad(period, PERIOD_DIGITS)}/${userId}/`;
  return { lo: p, hi: p + KEY_END };
}
export function ledgerPeriodRange(period: number): { lo: string; hi: string } {
  const p = `${pad(period, PERIOD_DIGITS)}/`;
  return { lo: p, hi: p + KEY_END };
}

/** CDRs in end-time order, so newest-first pages and time windows are plain range scans. */
export function cdrKey(endAt: number, seq: number): string {
  return `${pad(endAt, TIME_DIGITS)}/${pad(seq, SEQ_DIGITS)}`;
}
const CDR_KEY = new RegExp(`^\\d{${TIME_DIGITS}}/\\d{${SEQ_DIGITS}}$`);
export function isCdrKey(s: string): boolean {
  return CDR_KEY.test(s);
}
/** Lowest key of CDRs ending at or after ms. */
export function cdrTimeLo(ms: number): string {
  return `${pad(ms, TIME_DIGITS)}/`;
}
/** Key just above every CDR ending at or before ms. */
export function cdrTimeHi(ms: number): string {
  return `${pad(ms, TIME_DIGITS)}/${KEY_END}`;
}

export const JOURNAL_CALLS = { lo: 'c/', hi: 'c/' + KEY_END };
export const JOURNAL_ROUND = 'r';
export function journalKey(callId: string): string {
  return 'c/' + keyPart(callId);
}
export const JOURNAL_CHECKPOINTS = { lo: 'k/', hi: 'k/' + KEY_END };
export function checkpointKey(callId: string): string {
  return 'k/' + keyPart(callId);
}

export const ARCHIVE_INDEX = { lo: 'i/', hi: 'i/' + KEY_END };
export function archiveIndexKey(name: string): string {
  return 'i/' + name;
}
export function archiveKey(name: string): string {
  return 'a/' + name;
}

/** The PIN is never stored: its keyed hash is both the proof and the lookup key. */
export function pinKey(secret: Uint8Array, pin: string): string {
  return createHmac('sha256', secret).update(pin, 'utf8').digest('hex');
}
