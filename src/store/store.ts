/*
 * The appliance's database: one LMDB environment (lmdb-js) in the --data directory.
 *
 * Durability and read-your-writes:
 * - Every business change (credit, settle, closePeriod, ...) is computed first against the
 *   current view, fully validated, and only then turned into a list of puts/removes. A
 *   rejected change has queued nothing, so it has changed nothing.
 * - The list is queued with `env.batch(cb)`: lmdb-js writes the callback's operations into
 *   its instruction buffer synchronously and its write thread commits them inside ONE LMDB
 *   transaction, with whatever else was queued before that thread started (the rest of the
 *   event turn, or all that was queued while the previous commit ran). A throw inside such
 *   a callback would NOT roll back the operations already queued, which is why nothing that
 *   can fail runs inside it. The main thread never blocks on disk I/O.
 * - Until lmdb-js reports the commit, the written values sit in an in-memory overlay
 *   (PendingWrites) that every read consults before LMDB, so `user()` right after `credit()`
 *   shows the new balance. Once the commit is visible to LMDB reads (lmdb-js renews its read
 *   transaction before resolving the commit promise) the overlay entry is dropped, unless a
 *   later write to the same key is still pending.
 * - `flushed()` returns the promise of the latest change's transaction being on disk
 *   (lmdb-js `flushed`; with overlappingSync the fdatasync runs after the commit, off the
 *   writer lock), chained after the previous ones. When it resolves, everything written
 *   before the call survives a power cut. Changes that lmdb-js commits together share one
 *   such promise, so awaiting it after every change costs next to nothing.
 * - A commit that fails (disk full, I/O error) leaves memory ahead of the disk, so the store
 *   then refuses every further write and `flushed()` rejects: nothing is acknowledged that
 *   is not on disk. Restarting reloads the last durable state.
 * - All writes of one process are serialised by the JS thread, so checks such as "never
 *   below zero" hold across concurrent calls. `prepaid passwd` may write meta from another
 *   process; reads of values it writes go to LMDB (lmdb-js renews read snapshots each turn).
 *   One Store per directory per process (two would not see each other's pending writes).
 * - Hot paths stay small: a checkpoint round is one value (instant + call ids), not one write
 *   per call; ledger/CDR tie-break sequence numbers come from an epoch taken at open, so no
 *   counter is rewritten with each change. See docs/benchmarks/store.md.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { AppError } from '../errors.ts';
import { log } from '../log.ts';
import { DEFAULT_PREFIX, normalizePrefix, SEED_DEFAULT_ROW, type CostRow } from '../rating/index.ts';
import {
  appMetaKey,
  ARCHIVE_INDEX,
  archiveIndexKey,
  archiveKey,
  cdrKey,
  cdrTimeHi,
  cdrTimeLo,
  checkpointKey,
  CONFIG_KEY,
  DB_NAMES,
  FORMER_SUFFIX,
  formerUserKey,
  isCdrKey,
  journalKey,
  JOURNAL_CALLS,
  JOURNAL_CHECKPOINTS,
  KEY_END,
  keyPart,
  ledgerKey,
  ledgerPeriodRange,
  ledgerUserRange,
  MAX_DBS,
  META,
  SEQ_PER_EPOCH,
  JOURNAL_ROUND,
  pinKey,
  SCHEMA_VERSION,
  type DbName,
} from './keys.ts';
import { GONE, PendingWrites } from './pending.ts';
import type { Archive, ArchiveUserBlock, Cdr, CdrQuery, Config, DidEntry, LedgerLine, OpenCall, SettleInput, User } from './types.ts';
import * as V from './validation.ts';

/** A fresh store: the seed's general parameters. */
export const DEFAULT_CONFIG: Readonly<Config> = Object.freeze({
  webPort: 8078,
  language: 'fr',
  ivrDid: '6000',
  engineAddress: '127.0.0.1',
  enginePort: 15749,
  engineTimeout: 2,
  timezone: 'Europe/Paris',
  defaultCallingAddress: '',
  defaultCallingForced: false,
  serviceLog: true,
  csvSeparator: '',
  currency: 'Euros',
  unitPrice: '0.0001',
  warningSeconds: 60,
  billingSchedule: '',
});

export const CDR_PAGE_DEFAULT = 100;
export const CDR_PAGE_MAX = 1000;
const CDR_CHUNK = 256; // cdrRange reads this many per LMDB snapshot
const MAX_DIDS = 1000;
const MAX_COST_ROWS = 100_000;
const MAX_LIVE_CALLS = 100_000;

interface UserRecord extends User {
  pinKey: string;
}
interface DidRecord {
  userId: string;
  to: string;
  pos: number;
}
interface CommitGroup {
  committed: Promise<boolean>;
  changes: { ops: Op[]; tag: number }[];
  done: boolean;
}
interface CheckpointRound {
  at: number;
  callIds: string[];
}
interface ArchiveIndexEntry {
  name: string;
  at: number;
}
type Dbs = Record<DbName, Database<any, string>>;

type Op = { db: Database; key: string; value: unknown };
const SMALL_CHANGE = 16;

/**
 * The changes of one business operation, readable before they are queued. A later write of
 * the same key replaces the earlier one. Most changes touch a handful of keys, so lookups
 * scan the list; a key index is built only for big ones (closePeriod, replaceCosts).
 */
class WriteSet {
  private readonly list: Op[] = [];
  private index: Map<Database, Map<string, number>> | null = null;
  /** The sequence state this change leaves behind (applied only if the change is queued). */
  seqEpoch: number;
  seqCount: number;
  epochBumped = false;
  constructor(private readonly store: Store) {
    this.seqEpoch = store.seqEpoch;
    this.seqCount = store.seqCount;
  }
  private find(db: Database, key: string): number {
    if (this.index) return this.index.get(db)?.get(key) ?? -1;
    for (let i = 0; i < this.list.length; i++) if (this.list[i].key === key && this.list[i].db === db) return i;
    return -1;
  }
  get<T>(db: Database, key: string): T | undefined {
    const i = this.find(db, key);
    if (i >= 0) {
      const v = this.list[i].value;
      return v === GONE ? undefined : (v as T);
    }
    return this.store.read<T>(db, key);
  }
  put(db: Database, key: string, value: unknown): void {
    const i = this.find(db, key);
    if (i >= 0) {
      this.list[i].value = value;
      return;
    }
    this.list.push({ db, key, value });
    if (this.index) this.indexOp(this.list.length - 1);
    else if (this.list.length > SMALL_CHANGE) {
      this.index = new Map();
      for (let j = 0; j < this.list.length; j++) this.indexOp(j);
    }
  }
  private indexOp(i: number): void {
    const op = this.list[i];
    let m = this.index!.get(op.db);
    if (!m) this.index!.set(op.db, (m = new Map()));
    m.set(op.key, i);
  }
  del(db: Database, key: string): void {
    this.put(db, key, GONE);
  }
  /** Tie-breaker for ledger/CDR keys: increasing across writes and restarts. */
  nextSeq(): number {
    if (this.seqCount + 1 >= SEQ_PER_EPOCH) {
      this.seqEpoch++;
      this.seqCount = 0;
      this.epochBumped = true;
    }
    return this.seqEpoch * SEQ_PER_EPOCH + ++this.seqCount;
  }
  ops(): Op[] {
    return this.list;
  }
}

export class Store {
  private readonly pending = new PendingWrites();
  /** The LMDB commit the latest change went into, and what is waiting on it. */
  private group: CommitGroup | null = null;
  private durable: Promise<void> = Promise.resolve();
  private tag = 0;
  private failure: AppError | null = null;
  private closed = false;
  /**
   * Sequence numbers are epoch × SEQ_PER_EPOCH + count: each open takes a new epoch (one
   * write at open), so ordinary changes need not persist a counter.
   */
  seqEpoch: number;
  seqCount = 0;

  private constructor(
    private readonly env: RootDatabase,
    private readonly db: Dbs,
    private readonly secret: Uint8Array,
    epoch: number,
  ) {
    this.seqEpoch = epoch;
  }

  /** Opens (creating when needed, mode 0700) the store in dir. */
  static open(dir: string): Store {
    if (typeof dir !== 'string' || dir === '') throw V.bad('dir', 'data directory required');
    let env: RootDatabase;
    try {
      makeDirs(dir);
      // noSubdir false: lmdb-js would otherwise take a directory name containing a '.' for a file.
      // eventTurnBatching false: the write thread starts once the change is fully queued (end of
      // the event turn) instead of opening the transaction at the first write and polling, with
      // a growing back-off, for the turn to end. Same atomicity and durability; ~12 % less CPU
      // per settled call under bursts (docs/benchmarks/store.md).
      env = open({ path: dir, noSubdir: false, maxDbs: MAX_DBS, eventTurnBatching: false });
    } catch (e) {
      throw new AppError('INTERNAL', `cannot open the store in ${dir}: ${(e as Error).message}`);
    }
    try {
      const db = {} as Dbs;
      // One transaction: a fresh store creates its sub-databases and seed data in one commit.
      const { secret, epoch } = env.transactionSync(() => {
        for (const name of DB_NAMES) db[name] = env.openDB<any, string>({ name });
        return initialise(db);
      });
      return new Store(env, db, secret, epoch);
    } catch (e) {
      void env.close();
      throw e instanceof AppError ? e : new AppError('INTERNAL', `cannot open the store in ${dir}: ${(e as Error).message}`);
    }
  }

  /** Waits for every queued write to be durable, then closes the environment. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flushed();
    } finally {
      this.closed = true;
      await this.env.close();
    }
  }

  /** Resolves once everything written before the call is durable on disk. */
  flushed(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return this.durable;
  }

  // ---- reads (overlay first, then LMDB) ----

  /** @internal */
  read<T>(db: Database, key: string): T | undefined {
    const slot = this.pending.lookup(db, key);
    if (slot) return slot.value === GONE ? undefined : (slot.value as T);
    return db.get(key) as T | undefined;
  }

  private exists(db: Database, key: string): boolean {
    const slot = this.pending.lookup(db, key);
    if (slot) return slot.value !== GONE;
    return db.doesExist(key);
  }

  /**
   * Entries with lo ≤ key < hi in key order (reverse: descending), pending writes merged
   * in. Keys are ASCII, so JS string order is LMDB's byte order. Consume it synchronously:
   * it holds an LMDB read snapshot until done.
   */
  private *scan(db: Database, lo: string, hi: string, reverse = false): Generator<{ key: string; value: unknown }> {
    const pend = this.pending.inRange(db, lo, hi, reverse);
    // Bounds are enforced here, not by lmdb-js (whose inclusive/exclusive ends differ by direction).
    const it = db.getRange(reverse ? { start: hi, reverse: true } : { start: lo === '' ? undefined : lo })[Symbol.iterator]();
    const pull = (): { key: string; value: unknown } | null => {
      for (;;) {
        const r = it.next();
        if (r.done) return null;
        const key = r.value.key as string;
        if (reverse ? key >= hi : key < lo) continue;
        if (reverse ? key < lo : key >= hi) return null;
        return { key, value: r.value.value };
      }
    };
    try {
      let cur = pull();
      let pi = 0;
      for (;;) {
        const p = pend[pi];
        if (!p && !cur) return;
        if (p && (!cur || (reverse ? p.key >= cur.key : p.key <= cur.key))) {
          if (cur && cur.key === p.key) cur = pull();
          pi++;
          if (p.value !== GONE) yield p;
        } else if (cur) {
          yield cur;
          cur = pull();
        }
      }
    } finally {
      it.return?.();
    }
  }

  // ---- writes ----

  private live(): void {
    if (this.closed) throw new AppError('SHUTDOWN', 'the store is closed');
  }

  /** Runs one business change: build (may throw: nothing written), then queue it atomically. */
  private change<R>(build: (w: WriteSet) => R): R {
    this.live();
    if (this.failure) throw this.failure;
    const w = new WriteSet(this);
    const result = build(w);
    if (w.epochBumped) w.put(this.db.meta, META.seqEpoch, w.seqEpoch);
    this.seqEpoch = w.seqEpoch;
    this.seqCount = w.seqCount;
    this.commit(w.ops());
    return result;
  }

  private commit(ops: Op[]): void {
    if (ops.length === 0) return;
    const tag = ++this.tag;
    for (const op of ops) this.pending.set(op.db, op.key, op.value, tag);
    let committed: Promise<boolean>;
    try {
      committed = this.env.batch(() => {
        for (const op of ops) {
          if (op.value === GONE) void op.db.remove(op.key);
          else void op.db.put(op.key, op.value);
        }
      });
    } catch (e) {
      // Part of the change may already be queued: memory and disk can no longer be trusted.
      this.fail(e);
      throw this.failure;
    }
    if (this.group && !this.group.done && this.group.committed === committed) {
      // lmdb-js put this change in the same transaction as the previous one
      this.group.changes.push({ ops, tag });
      return;
    }
    const group: CommitGroup = { committed, changes: [{ ops, tag }], done: false };
    this.group = group;
    const released = committed.then(
      () => {
        group.done = true;
        for (const c of group.changes) for (const op of c.ops) this.pending.release(op.db, op.key, c.tag);
      },
      (e) => this.fail(e),
    );
    // lmdb-js's `flushed`, asked now, covers the transaction this change went into
    const flushedNow = new Promise<void>((resolve, reject) => void this.env.flushed.then(() => resolve(), reject));
    const durable = Promise.all([this.durable, released, flushedNow]).then(
      () => {
        if (this.failure) throw this.failure;
      },
      (e) => {
        this.fail(e);
        throw this.failure;
      },
    );
    durable.catch(() => {}); // a failure is reported through flushed() and the log, never unhandled
    this.durable = durable;
  }

  private fail(e: unknown): void {
    if (this.failure) return;
    const message = e instanceof Error ? e.message : String(e);
    this.failure = new AppError('INTERNAL', `store write failed, restart needed: ${message}`);
    log('STORE_WRITE_FAILED', { error: message });
  }

  private period(w?: WriteSet): number {
    return (w ? w.get<number>(this.db.meta, META.period) : this.read<number>(this.db.meta, META.period)) ?? 1;
  }

  private userRecord(id: string, w?: WriteSet): UserRecord {
    const rec = typeof id === 'string' ? (w ? w.get<UserRecord>(this.db.users, id) : this.read<UserRecord>(this.db.users, id)) : undefined;
    if (!rec) throw new AppError('NOT_FOUND', `no user ${String(id)}`, 'id');
    return rec;
  }

  // ---- general parameters ----

  config(): Config {
    this.live();
    return { ...DEFAULT_CONFIG, ...this.read<Partial<Config>>(this.db.config, CONFIG_KEY) };
  }

  updateConfig(patch: Partial<Config>): Config {
    return this.change((w) => {
      if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw V.bad('config', 'parameters must be an object');
      const next: Config = { ...DEFAULT_CONFIG, ...w.get<Partial<Config>>(this.db.config, CONFIG_KEY) };
      for (const [key, value] of Object.entries(patch)) {
        if (value === undefined) continue;
        (next as unknown as Record<string, unknown>)[key] = V.configField(key, value);
      }
      if (patch.ivrDid !== undefined) {
        const owner = w.get<DidRecord>(this.db.dids, next.ivrDid);
        if (owner) throw new AppError('DID_IN_USE', `${next.ivrDid} is a DID of user ${owner.userId}`, 'ivrDid', { did: next.ivrDid, user: owner.userId });
      }
      w.put(this.db.config, CONFIG_KEY, next);
      return { ...next };
    });
  }

  adminPasswordHash(): string | null {
    this.live();
    return this.read<string>(this.db.meta, META.adminPasswordHash) ?? null;
  }

  setAdminPasswordHash(h: string | null): void {
    this.change((w) => {
      if (h === null) return w.del(this.db.meta, META.adminPasswordHash);
      if (typeof h !== 'string' || h.length === 0 || h.length > 1024 || /[\u0000-\u001f]/.test(h)) {
        throw V.bad('adminPassword', 'password hash must be 1 to 1024 printable characters');
      }
      w.put(this.db.meta, META.adminPasswordHash, h);
    });
  }

  meta(key: string): unknown {
    this.live();
    if (typeof key !== 'string' || key.length === 0 || key.length > 200) return undefined;
    const v = this.read<unknown>(this.db.meta, appMetaKey(key));
    return v === undefined ? undefined : structuredClone(v);
  }

  /** Caller's own small state (e.g. the last scheduled close); undefined removes it. */
  setMeta(key: string, v: unknown): void {
    this.change((w) => {
      if (typeof key !== 'string' || key.length === 0 || key.length > 200) throw V.bad('key', 'meta key must be 1 to 200 characters');
      if (v === undefined) return w.del(this.db.meta, appMetaKey(key));
      let copy: unknown;
      try {
        copy = structuredClone(v);
      } catch {
        throw V.bad('value', 'meta value must be plain data');
      }
      w.put(this.db.meta, appMetaKey(key), copy);
    });
  }

  // ---- users ----

  users(): User[] {
    this.live();
    const out: User[] = [];
    for (const { value } of this.scan(this.db.users, '', KEY_END)) out.push(publicUser(value as UserRecord));
    return out.sort(byUserId);
  }

  user(id: string): User | undefined {
    this.live();
    if (typeof id !== 'string' || !/^\d{1,16}$/.test(id)) return undefined;
    const rec = this.read<UserRecord>(this.db.users, id);
    return rec && publicUser(rec);
  }

  userByPin(pin: string): User | undefined {
    this.live();
    if (typeof pin !== 'string' || !/^\d{4,12}$/.test(pin)) return undefined;
    const id = this.read<string>(this.db.pins, pinKey(this.secret, pin));
    return id === undefined ? undefined : this.user(id);
  }

  userByCallerId(callerId: string): User | undefined {
    this.live();
    if (typeof callerId !== 'string' || callerId === '' || callerId.length > 20) return undefined;
    const id = this.read<string>(this.db.callerIds, callerId);
    return id === undefined ? undefined : this.user(id);
  }

  createUser(u: { id: string; name: string; pin: string; callerId?: string }): User {
    return this.change((w) => {
      if (typeof u !== 'object' || u === null) throw V.bad('user', 'user must be an object');
      const id = V.userId(u.id);
      const name = V.userName(u.name);
      const pin = V.pin(u.pin);
      const callerId = V.callerId(u.callerId);
      if (w.get(this.db.users, id)) throw new AppError('USER_EXISTS', `user ${id} already exists`, 'id', { id });
      const pk = pinKey(this.secret, pin);
      if (w.get(this.db.pins, pk) !== undefined) throw new AppError('PIN_IN_USE', 'this PIN is already in use', 'pin');
      if (callerId && w.get(this.db.callerIds, callerId) !== undefined) {
        throw new AppError('CALLER_ID_IN_USE', `caller ID ${callerId} is already in use`, 'callerId', { callerId });
      }
      const rec: UserRecord = { id, name, callerId, units: 0, pinKey: pk };
      w.put(this.db.users, id, rec);
      w.put(this.db.pins, pk, id);
      if (callerId) w.put(this.db.callerIds, callerId, id);
      return publicUser(rec);
    });
  }

  updateUser(id: string, patch: { name?: string; pin?: string; callerId?: string }): User {
    return this.change((w) => {
      const rec = this.userRecord(id, w);
      if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw V.bad('user', 'changes must be an object');
      for (const key of Object.keys(patch)) {
        if (key !== 'name' && key !== 'pin' && key !== 'callerId') throw V.bad(key, `${key} cannot be changed`);
      }
      const next: UserRecord = { ...rec };
      if (patch.name !== undefined) next.name = V.userName(patch.name);
      if (patch.pin !== undefined) next.pinKey = pinKey(this.secret, V.pin(patch.pin));
      if (patch.callerId !== undefined) next.callerId = V.callerId(patch.callerId);
      if (next.pinKey !== rec.pinKey) {
        if (w.get(this.db.pins, next.pinKey) !== undefined) throw new AppError('PIN_IN_USE', 'this PIN is already in use', 'pin');
        w.del(this.db.pins, rec.pinKey);
        w.put(this.db.pins, next.pinKey, id);
      }
      if (next.callerId !== rec.callerId) {
        if (next.callerId && w.get(this.db.callerIds, next.callerId) !== undefined) {
          throw new AppError('CALLER_ID_IN_USE', `caller ID ${next.callerId} is already in use`, 'callerId', { callerId: next.callerId });
        }
        if (rec.callerId) w.del(this.db.callerIds, rec.callerId);
        if (next.callerId) w.put(this.db.callerIds, next.callerId, id);
      }
      w.put(this.db.users, id, next);
      return publicUser(next);
    });
  }

  /** Removes the user with its PIN, Caller ID, DIDs and current statement; USER_BUSY while a call of theirs is journaled. */
  deleteUser(id: string): void {
    this.change((w) => {
      const rec = this.userRecord(id, w);
      for (const { value } of this.scan(this.db.journal, JOURNAL_CALLS.lo, JOURNAL_CALLS.hi)) {
        if ((value as OpenCall).userId === id) throw new AppError('USER_BUSY', `user ${id} has a call in progress`, 'id', { id });
      }
      // what the user paid and spent this period stays on record until the close archives it
      const period = this.period(w);
      const range = ledgerUserRange(period, id);
      let kept = false;
      for (const { key, value } of this.scan(this.db.ledger, range.lo, range.hi)) {
        const line = value as LedgerLine;
        w.put(this.db.ledger, ledgerKey(period, id + FORMER_SUFFIX, line.at, w.nextSeq()), line);
        w.del(this.db.ledger, key);
        kept = true;
      }
      if (kept) w.put(this.db.meta, formerUserKey(id), { name: rec.name });
      for (const { key, value } of this.scan(this.db.dids, '', KEY_END)) {
        if ((value as DidRecord).userId === id) w.del(this.db.dids, key);
      }
      w.del(this.db.pins, rec.pinKey);
      if (rec.callerId) w.del(this.db.callerIds, rec.callerId);
      w.del(this.db.users, id);
    });
  }

  /** Adds (or, negative, removes) units with a CREDIT line; a balance never goes below 0. */
  credit(id: string, units: number, at: number): User {
    return this.change((w) => {
      const rec = this.userRecord(id, w);
      const n = V.units(units);
      const t = V.time(at, 'at');
      const balance = rec.units + n;
      if (balance < 0) throw new AppError('INSUFFICIENT_CREDIT', `user ${id} has only ${rec.units} units`, 'units');
      if (!Number.isSafeInteger(balance)) throw V.bad('units', 'balance would be too large');
      const next: UserRecord = { ...rec, units: balance };
      const line: LedgerLine = { at: t, operation: 'CREDIT', dialed: '', duration: null, units: n };
      w.put(this.db.users, id, next);
      w.put(this.db.ledger, ledgerKey(this.period(w), id, t, w.nextSeq()), line);
      return publicUser(next);
    });
  }

  /** The user's statement for the current billing period, in time order. */
  ledger(id: string): LedgerLine[] {
    this.live();
    this.userRecord(id);
    const range = ledgerUserRange(this.period(), id);
    const out: LedgerLine[] = [];
    for (const { value } of this.scan(this.db.ledger, range.lo, range.hi)) out.push(copyLine(value as LedgerLine));
    return out;
  }

  // ---- DID map ----

  dids(userId: string): DidEntry[] {
    this.live();
    this.userRecord(userId);
    const mine: (DidEntry & { pos: number })[] = [];
    for (const { key, value } of this.scan(this.db.dids, '', KEY_END)) {
      const r = value as DidRecord;
      if (r.userId === userId) mine.push({ did: key, to: r.to, pos: r.pos });
    }
    return mine.sort((a, b) => a.pos - b.pos).map(({ did, to }) => ({ did, to }));
  }

  /** Replaces the user's whole DID map. */
  setDids(userId: string, map: { did: string; to: string }[]): void {
    this.change((w) => {
      this.userRecord(userId, w);
      if (!Array.isArray(map)) throw V.bad('dids', 'the DID map must be a list');
      if (map.length > MAX_DIDS) throw V.bad('dids', `at most ${MAX_DIDS} DIDs per user`);
      const ivrDid = this.config().ivrDid;
      const wanted = new Map<string, string>();
      for (const e of map) {
        if (typeof e !== 'object' || e === null) throw V.bad('did', 'each DID entry must be {did, to}');
        const did = V.phoneNumber(e.did, 'did');
        const to = V.phoneNumber(e.to, 'to');
        if (wanted.has(did)) throw V.bad('did', `DID ${did} is listed twice`);
        if (did === ivrDid) throw V.bad('did', `DID ${did} is the IVR number`);
        const owner = w.get<DidRecord>(this.db.dids, did);
        if (owner && owner.userId !== userId) throw new AppError('DID_IN_USE', `DID ${did} belongs to user ${owner.userId}`, 'did', { did, user: owner.userId });
        wanted.set(did, to);
      }
      for (const { key, value } of this.scan(this.db.dids, '', KEY_END)) {
        if ((value as DidRecord).userId === userId && !wanted.has(key)) w.del(this.db.dids, key);
      }
      let pos = 0;
      for (const [did, to] of wanted) w.put(this.db.dids, did, { userId, to, pos: pos++ } satisfies DidRecord);
    });
  }

  didRoute(did: string): { userId: string; to: string } | undefined {
    this.live();
    if (typeof did !== 'string' || did === '' || did.length > 32) return undefined;
    const r = this.read<DidRecord>(this.db.dids, did);
    return r && { userId: r.userId, to: r.to };
  }

  // ---- cost rows ----

  /** DEFAULT first, then by prefix. */
  costs(): CostRow[] {
    this.live();
    const out: CostRow[] = [];
    for (const { value } of this.scan(this.db.costs, '', KEY_END)) out.push({ ...(value as CostRow) });
    return out.sort(byPrefix);
  }

  putCost(row: CostRow): void {
    this.change((w) => {
      const r = V.costRow(row);
      w.put(this.db.costs, r.prefix, r);
    });
  }

  deleteCost(prefix: string): void {
    this.change((w) => {
      const p = normalizePrefix(prefix);
      if (p === DEFAULT_PREFIX) throw new AppError('NOT_ALLOWED', 'the DEFAULT cost row cannot be deleted', 'prefix');
      if (w.get(this.db.costs, p) === undefined) throw new AppError('NOT_FOUND', `no cost row for prefix ${p}`, 'prefix');
      w.del(this.db.costs, p);
    });
  }

  /** Replaces the whole table; without a DEFAULT row in rows the current DEFAULT stays. */
  replaceCosts(rows: CostRow[]): void {
    this.change((w) => {
      if (!Array.isArray(rows)) throw V.bad('costs', 'cost rows must be a list');
      if (rows.length > MAX_COST_ROWS) throw V.bad('costs', `at most ${MAX_COST_ROWS} cost rows`);
      const next = new Map<string, CostRow>();
      for (const input of rows) {
        const r = V.costRow(input);
        if (next.has(r.prefix)) throw V.bad('prefix', `prefix ${r.prefix} is listed twice`);
        next.set(r.prefix, r);
      }
      for (const { key } of this.scan(this.db.costs, '', KEY_END)) {
        if (!next.has(key) && key !== DEFAULT_PREFIX) w.del(this.db.costs, key);
      }
      for (const [prefix, r] of next) w.put(this.db.costs, prefix, r);
    });
  }

  // ---- open-call journal ----

  /**
   * Calls journaled and not yet settled. `checkpointAt` is the latest instant recorded for
   * the call: by journal(), by a checkpoint round that listed it, or by an older round.
   */
  openCalls(): OpenCall[] {
    this.live();
    const latest = new Map<string, number>();
    for (const { key, value } of this.scan(this.db.journal, JOURNAL_CHECKPOINTS.lo, JOURNAL_CHECKPOINTS.hi)) {
      latest.set(key.slice(JOURNAL_CHECKPOINTS.lo.length), value as number);
    }
    const round = this.read<CheckpointRound>(this.db.journal, JOURNAL_ROUND);
    if (round) {
      for (const id of round.callIds) {
        const k = keyPart(id);
        latest.set(k, Math.max(latest.get(k) ?? 0, round.at));
      }
    }
    const out: OpenCall[] = [];
    for (const { key, value } of this.scan(this.db.journal, JOURNAL_CALLS.lo, JOURNAL_CALLS.hi)) {
      const c = value as OpenCall;
      const k = latest.get(key.slice(JOURNAL_CALLS.lo.length));
      const checkpointAt = k === undefined ? c.checkpointAt : Math.max(k, c.checkpointAt ?? 0);
      out.push({ ...c, row: { ...c.row }, checkpointAt });
    }
    return out;
  }

  /** Writes (or rewrites) a call's journal entry; ignored for a call already settled. */
  journal(c: OpenCall): void {
    this.change((w) => {
      const call = V.openCall(c);
      if (w.get(this.db.cdrIds, keyPart(call.callId)) !== undefined) return;
      w.put(this.db.journal, journalKey(call.callId), call);
    });
  }

  /**
   * Records that each listed call was metered up to `at`, in one write: the round itself
   * (instant + ids) replaces the previous round, so a once-a-second round over every live
   * call costs one value, not one write per call. A call that the previous round listed and
   * this one does not keeps that older checkpoint in its own small entry. Ids that are not
   * journaled are harmless: only journaled calls are ever read back.
   */
  checkpoint(at: number, callIds: string[]): void {
    this.change((w) => {
      const t = V.time(at, 'at');
      if (!Array.isArray(callIds) || callIds.length > MAX_LIVE_CALLS) throw V.bad('callIds', 'callIds must be a list');
      for (const id of callIds) V.callId(id, 'callIds');
      const prev = w.get<CheckpointRound>(this.db.journal, JOURNAL_ROUND);
      if (prev) {
        // a round at or after the previous one supersedes it for the calls it lists
        const listed = prev.at <= t ? new Set(callIds) : new Set<string>();
        for (const id of prev.callIds) {
          if (!listed.has(id) && this.exists(this.db.journal, journalKey(id))) {
            const older = w.get<number>(this.db.journal, checkpointKey(id)) ?? 0;
            w.put(this.db.journal, checkpointKey(id), Math.max(older, prev.at));
          }
        }
      }
      w.put(this.db.journal, JOURNAL_ROUND, { at: t, callIds: [...callIds] } satisfies CheckpointRound);
    });
  }

  // ---- settlement and CDRs ----

  /**
   * Bills a finished call in one transaction: debit (clamped to the balance), CALL line,
   * CDR (cost = what was really debited), journal entry dropped. A call whose CDR exists
   * already is not billed again (replayed ENDED after a crash).
   */
  settle(s: SettleInput): User {
    return this.change((w) => {
      if (typeof s !== 'object' || s === null) throw V.bad('settle', 'settlement must be an object');
      const callId = V.callId(s.callId);
      const userId = V.userId(s.userId, 'userId');
      const units = V.nonNegativeInt(s.units, 'units');
      const at = V.time(s.at, 'at');
      const dialed = V.text(s.dialed, 'dialed', 64);
      const duration = V.nonNegativeInt(s.duration, 'duration');
      const cdr = V.cdr(s.cdr);
      if (cdr.callId !== callId) throw V.bad('cdr', 'cdr.callId differs from callId');
      if (cdr.user !== userId) throw V.bad('cdr', 'cdr.user differs from userId');
      const rec = this.userRecord(userId, w);
      if (w.get(this.db.cdrIds, keyPart(callId)) !== undefined) {
        this.dropJournal(w, callId);
        return publicUser(rec);
      }
      const debit = Math.min(units, rec.units);
      const next: UserRecord = { ...rec, units: rec.units - debit };
      const seq = w.nextSeq();
      const line: LedgerLine = { at, operation: 'CALL', dialed, duration, units: debit === 0 ? 0 : -debit, callId };
      const key = cdrKey(cdr.endAt, seq);
      w.put(this.db.users, userId, next);
      w.put(this.db.ledger, ledgerKey(this.period(w), userId, at, seq), line);
      w.put(this.db.cdrs, key, { ...cdr, cost: debit });
      w.put(this.db.cdrIds, keyPart(callId), key);
      this.dropJournal(w, callId);
      return publicUser(next);
    });
  }

  /** The CDR of a call that cost nothing (stored with cost 0); also drops its journal entry. Idempotent per callId. */
  recordCdr(cdr: Cdr): void {
    this.change((w) => {
      const c = V.cdr(cdr);
      if (w.get(this.db.cdrIds, keyPart(c.callId)) === undefined) {
        const key = cdrKey(c.endAt, w.nextSeq());
        w.put(this.db.cdrs, key, { ...c, cost: 0 });
        w.put(this.db.cdrIds, keyPart(c.callId), key);
      }
      this.dropJournal(w, c.callId);
    });
  }

  private dropJournal(w: WriteSet, callId: string): void {
    const call = journalKey(callId);
    const checkpoint = checkpointKey(callId);
    if (this.exists(this.db.journal, call)) w.del(this.db.journal, call);
    if (this.exists(this.db.journal, checkpoint)) w.del(this.db.journal, checkpoint);
  }

  /**
   * CDRs newest first (by end time), `from` ≤ endAt ≤ `to` (ms, both inclusive), `limit`
   * per page (default 100, max 1000). `next` is the cursor to pass as `before`.
   */
  cdrs(q: CdrQuery = {}): { cdrs: Cdr[]; next: string | null } {
    this.live();
    if (typeof q !== 'object' || q === null) throw V.bad('query', 'query must be an object');
    const limit = q.limit === undefined ? CDR_PAGE_DEFAULT : V.nonNegativeInt(q.limit, 'limit');
    if (limit < 1 || limit > CDR_PAGE_MAX) throw V.bad('limit', `limit must be 1 to ${CDR_PAGE_MAX}`);
    const { lo, hi } = this.cdrBounds(q.from, q.to);
    let top = hi;
    if (q.before !== undefined && q.before !== null && q.before !== '') {
      if (typeof q.before !== 'string' || !isCdrKey(q.before)) throw V.bad('before', 'before is not a cursor from a previous page');
      if (q.before < top) top = q.before;
    }
    const out: Cdr[] = [];
    let next: string | null = null;
    let lastKey = '';
    for (const { key, value } of this.scan(this.db.cdrs, lo, top, true)) {
      if (out.length === limit) {
        next = lastKey;
        break;
      }
      out.push({ ...(value as Cdr) });
      lastKey = key;
    }
    return { cdrs: out, next };
  }

  /**
   * CDRs newest first (as the pages of cdrs()) with `from` ≤ endAt ≤ `to`, read lazily in
   * chunks (each chunk its own short LMDB snapshot), so a slow CSV download holds no read
   * transaction open.
   */
  cdrRange(from?: number, to?: number): Iterable<Cdr> {
    this.live();
    const { lo, hi } = this.cdrBounds(from, to);
    const self = this;
    return {
      *[Symbol.iterator]() {
        let top = hi; // exclusive: each chunk starts below the last key of the one before
        for (;;) {
          const chunk: { key: string; value: Cdr }[] = [];
          for (const e of self.scan(self.db.cdrs, lo, top, true)) {
            chunk.push({ key: e.key, value: { ...(e.value as Cdr) } });
            if (chunk.length === CDR_CHUNK) break;
          }
          for (const e of chunk) yield e.value;
          if (chunk.length < CDR_CHUNK) return;
          top = chunk[chunk.length - 1].key;
        }
      },
    };
  }

  private cdrBounds(from: unknown, to: unknown): { lo: string; hi: string } {
    const lo = from === undefined || from === null ? '' : cdrTimeLo(V.time(from, 'from'));
    const hi = to === undefined || to === null ? KEY_END : cdrTimeHi(V.time(to, 'to'));
    return { lo, hi };
  }

  // ---- billing periods ----

  /**
   * "Start billing": archives every user's statement of the current period, then opens a
   * new period whose first line per user is a REPORT of the balance carried over.
   * `liveCalls` (calls in progress, billed in the new period) are recorded in the archive.
   */
  closePeriod(at: number, name: string, liveCalls: string[]): Archive {
    return this.change((w) => {
      const t = V.time(at, 'at');
      const archiveName = V.archiveName(name);
      if (!Array.isArray(liveCalls) || liveCalls.length > MAX_LIVE_CALLS) throw V.bad('liveCalls', 'liveCalls must be a list');
      const live = liveCalls.map((c) => V.callId(c, 'liveCalls'));
      if (w.get(this.db.archives, archiveIndexKey(archiveName)) !== undefined) {
        throw new AppError('ARCHIVE_EXISTS', `archive ${archiveName} already exists`, 'name', { name: archiveName });
      }
      const period = this.period(w);
      const cfg = this.config();
      const users: UserRecord[] = [];
      for (const { value } of this.scan(this.db.users, '', KEY_END)) users.push(value as UserRecord);
      users.sort(byUserId);
      const blocks = new Map<string, ArchiveUserBlock>();
      for (const u of users) blocks.set(u.id, { id: u.id, name: u.name, lines: [], totalUnits: 0 });
      const old = ledgerPeriodRange(period);
      const former = new Set<string>();
      for (const { key, value } of this.scan(this.db.ledger, old.lo, old.hi)) {
        const owner = key.split('/')[1]!;
        if (owner.endsWith(FORMER_SUFFIX) && !blocks.has(owner)) {
          // a user deleted during the period: its lines are archived in a block of its own
          const id = owner.slice(0, -FORMER_SUFFIX.length);
          const name = (w.get(this.db.meta, formerUserKey(id)) as { name?: string } | undefined)?.name ?? id;
          blocks.set(owner, { id, name, lines: [], totalUnits: 0 });
          former.add(id);
        }
        const block = blocks.get(owner);
        if (block) {
          const line = copyLine(value as LedgerLine);
          block.lines.push(line);
          block.totalUnits += line.units;
        }
        w.del(this.db.ledger, key); // the archive is now the statement of record
      }
      for (const id of former) w.del(this.db.meta, formerUserKey(id));
      const archive: Archive = {
        name: archiveName,
        at: t,
        unitPrice: cfg.unitPrice,
        currency: cfg.currency,
        users: [...blocks.values()],
        liveCalls: live,
        params: { csvSeparator: cfg.csvSeparator, language: cfg.language, timezone: cfg.timezone },
      };
      w.put(this.db.archives, archiveKey(archiveName), archive);
      w.put(this.db.archives, archiveIndexKey(archiveName), { name: archiveName, at: t } satisfies ArchiveIndexEntry);
      w.put(this.db.meta, META.period, period + 1);
      for (const u of users) {
        const line: LedgerLine = { at: t, operation: 'REPORT', dialed: '', duration: null, units: u.units };
        w.put(this.db.ledger, ledgerKey(period + 1, u.id, t, w.nextSeq()), line);
      }
      return structuredClone(archive);
    });
  }

  /** Newest first. */
  archives(): { name: string; at: number }[] {
    this.live();
    const out: ArchiveIndexEntry[] = [];
    for (const { value } of this.scan(this.db.archives, ARCHIVE_INDEX.lo, ARCHIVE_INDEX.hi)) {
      const e = value as ArchiveIndexEntry;
      out.push({ name: e.name, at: e.at });
    }
    return out.sort((a, b) => b.at - a.at || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
  }

  archive(name: string): Archive | undefined {
    this.live();
    if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(name)) return undefined;
    const a = this.read<Archive>(this.db.archives, archiveKey(name));
    return a && structuredClone(a);
  }
}

/**
 * First open of a directory writes the seed defaults and the per-box secret; later opens
 * check the layout version. Runs in a synchronous transaction, so two processes opening a
 * fresh directory at once initialise it once.
 */
function initialise(db: Dbs): { secret: Uint8Array; epoch: number } {
  const version = db.meta.get(META.schemaVersion) as number | undefined;
  if (version === undefined) {
    const secret = randomBytes(32);
    db.meta.putSync(META.schemaVersion, SCHEMA_VERSION);
    db.meta.putSync(META.secret, secret);
    db.meta.putSync(META.period, 1);
    db.meta.putSync(META.seqEpoch, 1);
    db.config.putSync(CONFIG_KEY, { ...DEFAULT_CONFIG });
    db.costs.putSync(DEFAULT_PREFIX, { ...SEED_DEFAULT_ROW });
    return { secret, epoch: 1 };
  }
  if (version > SCHEMA_VERSION) {
    throw new AppError('INTERNAL', `the store was written by a newer version (layout ${version}, this one reads ${SCHEMA_VERSION})`);
  }
  const secret = db.meta.get(META.secret) as Uint8Array | undefined;
  if (!secret || secret.length !== 32) throw new AppError('INTERNAL', 'the store has no valid secret');
  const epoch = ((db.meta.get(META.seqEpoch) as number | undefined) ?? 0) + 1;
  db.meta.putSync(META.seqEpoch, epoch);
  return { secret, epoch };
}

function publicUser(r: UserRecord): User {
  return { id: r.id, name: r.name, callerId: r.callerId, units: r.units };
}

function copyLine(l: LedgerLine): LedgerLine {
  const out: LedgerLine = { at: l.at, operation: l.operation, dialed: l.dialed, duration: l.duration, units: l.units };
  if (l.callId !== undefined) out.callId = l.callId;
  return out;
}

/** Numeric order of digit ids (shorter first), then text order. */
function byUserId(a: { id: string }, b: { id: string }): number {
  return a.id.length - b.id.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function byPrefix(a: CostRow, b: CostRow): number {
  if (a.prefix === b.prefix) return 0;
  if (a.prefix === DEFAULT_PREFIX) return -1;
  if (b.prefix === DEFAULT_PREFIX) return 1;
  return a.prefix < b.prefix ? -1 : 1;
}

/**
 * mkdir -p, one level at a time. Node's recursive mkdirSync never returns for a path under
 * /proc (mkdir there says ENOENT whatever exists), which would hang `serve` on a bad --data.
 */
function makeDirs(dir: string): void {
  const path = resolve(dir);
  const parent = dirname(path);
  try {
    mkdirSync(path, { mode: 0o700 });
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return; // lmdb says so if it is not a directory
    if (code !== 'ENOENT' || parent === path) throw e;
  }
  makeDirs(parent);
  mkdirSync(path, { mode: 0o700 });
}
