// Real-time metering of every live call against its user's one balance.
// Call control asks; the Meter authorises, starts, stops and settles. It owns the open-call
// journal (so a crash loses nothing) and tells its listener when to warn, cut or re-limit.
import type { Clock, Timer } from '../clock.ts';
import { AppError } from '../errors.ts';
import { log, serviceLog } from '../log.ts';
import { MAX_SECONDS, type CostRow, type RateTable } from '../rating/index.ts';
import type { Cdr, OpenCall, Store, User } from '../store/index.ts';
import { committed, planCuts, type MeteredCall } from './plan.ts';

/**
 * The cut is issued this much before the exact instant: the engine's own backstop (`limit`)
 * fires at that instant, and our HANGUP must reach it first so the caller hears why.
 * Billing is unaffected: it stops at the exact instant, never later.
 */
export const CUT_LEAD_MS = 10;

export interface MeterListener {
  /** The warning prompt is due (credit runs out in warningSeconds). */
  warn(callId: string): void;
  /** The call must be released now; it is billed up to `at`, the end of its last paid step. */
  cut(callId: string, at: number): void;
  /** The engine's backstop must become `seconds` after CONNECTED. */
  limit(callId: string, seconds: number): void;
}

export type MeterStore = Pick<Store, 'user' | 'journal' | 'checkpoint' | 'settle' | 'recordCdr' | 'openCalls'> & Partial<Pick<Store, 'flushed'>>;

export interface Authorisation {
  row: CostRow;
  /** The backstop for DIAL, as if the call connected now; null when the credit cannot run out. */
  limit: number | null;
}

export interface Ending {
  callId: string;
  endAt: number;
  cause: string;
  recovered?: boolean;
}

export interface Settlement {
  units: number;
  seconds: number;
  user: User | undefined;
}

interface Live extends MeteredCall {
  userId: string;
  cutAt: number | null;
  limit: number | null;
  /** Set once the cut has fired: billing never goes past it. */
  cutFiredAt: number | null;
  /** Refused at answer by the plan (its siblings left too little for its first step): owes nothing. */
  refused: boolean;
  cutTimer: Timer | null;
  warnTimer: Timer | null;
  warnedFor: number | null;
}

export class Meter {
  private journal = new Map<string, OpenCall>();
  private live = new Map<string, Live>();
  private byUser = new Map<string, Set<string>>();
  private recheck = new Map<string, Timer>();
  private checkpointTimer: NodeJS.Timeout | null = null;
  private checkpointsPaused = false;

  constructor(
    private readonly deps: {
      store: MeterStore;
      rates: () => RateTable;
      clock: Clock;
      warningSeconds: () => number;
      listener: MeterListener;
    },
  ) {
    for (const c of deps.store.openCalls()) this.journal.set(c.callId, c);
  }

  /** Journal entries left by a previous run (or by calls still open in this one). */
  openCalls(): OpenCall[] {
    return [...this.journal.values()];
  }

  journalEntry(callId: string): OpenCall | undefined {
    return this.journal.get(callId);
  }

  /** Units the user can still spend now: the balance less what live calls already owe. */
  available(userId: string, now = this.deps.clock.now()): number {
    const balance = this.deps.store.user(userId)?.units ?? 0;
    let owed = 0;
    for (const id of this.byUser.get(userId) ?? []) owed += this.owedNow(this.live.get(id)!, now);
    return balance - owed;
  }

  /** Units a live call owes so far (its consumption). */
  consumption(callId: string, now = this.deps.clock.now()): number {
    const l = this.live.get(callId);
    return l ? this.owedNow(l, now) : 0;
  }

  rateOf(callId: string, now = this.deps.clock.now()): number | null {
    const l = this.live.get(callId) ?? this.journal.get(callId);
    if (!l) return null;
    return this.deps.rates().rateAt(l.row, now);
  }

  isLive(callId: string): boolean {
    return this.live.has(callId);
  }

  hasCalls(userId: string): boolean {
    for (const c of this.journal.values()) if (c.userId === userId) return true;
    return false;
  }

  /** May this user call that number now? Refuses a call that cannot pay one billing step. */
  authorise(userId: string, dialed: string, now = this.deps.clock.now()): Authorisation {
    const rates = this.deps.rates();
    const row = rates.quote(dialed);
    const user = this.deps.store.user(userId);
    if (!user) throw new AppError('UNKNOWN_USER', `no user ${userId}`);
    if (rates.stepCost(row, now, 0) > this.available(userId, now)) {
      throw new AppError('INSUFFICIENT_CREDIT', `user ${userId} cannot pay one step to ${dialed}`);
    }
    const probe: MeteredCall = { callId: '\uffff', row, connectedAt: now };
    // the user's other calls still being dialled count as answering now too: if they all
    // answer while the application is down, the engine's limits alone must not give away
    // more than the balance (once a call answers, its LIMIT is the exact shared figure)
    const dialing: MeteredCall[] = [];
    for (const e of this.journal.values()) {
      if (e.userId === userId && e.connectedAt === null && !this.live.has(e.callId)) dialing.push({ callId: e.callId, row: e.row, connectedAt: now });
    }
    const plan = planCuts(rates, [...this.liveOf(userId), ...dialing, probe], user.units, now);
    return { row, limit: plan.calls.get(probe.callId)?.limit ?? null };
  }

  /** The rating changed under the live calls (a new timezone moves H1/H2): every cut is planned again. */
  ratesChanged(): void {
    for (const userId of [...this.byUser.keys()]) this.plan(userId);
  }

  /**
   * The call is about to be dialled: it enters the journal so a crash cannot lose it.
   * Resolves once the entry is on disk; DIAL must not go out before (a crash in between
   * would leave the engine with a connected call that no journal knows).
   */
  open(c: Omit<OpenCall, 'connectedAt' | 'checkpointAt'>): Promise<void> {
    const entry: OpenCall = { ...c, connectedAt: null, checkpointAt: null };
    this.journal.set(c.callId, entry);
    this.deps.store.journal(entry);
    return this.deps.store.flushed?.() ?? Promise.resolve();
  }

  /** CONNECTED: billable time starts at `connectedAt`; every sibling's cut is planned again. */
  start(callId: string, connectedAt: number): void {
    const entry = this.journal.get(callId);
    if (!entry) throw new AppError('NOT_FOUND', `call ${callId} was never opened`);
    if (this.live.has(callId)) return;
    if (entry.connectedAt === null || entry.connectedAt !== connectedAt) {
      entry.connectedAt = connectedAt;
      this.deps.store.journal(entry);
    }
    const l: Live = {
      callId,
      userId: entry.userId,
      row: entry.row,
      connectedAt,
      cutAt: null,
      limit: null,
      cutFiredAt: null,
      refused: false,
      cutTimer: null,
      warnTimer: null,
      warnedFor: null,
    };
    this.live.set(callId, l);
    let set = this.byUser.get(l.userId);
    if (!set) this.byUser.set(l.userId, (set = new Set()));
    set.add(callId);
    this.plan(l.userId);
    this.ensureCheckpoints();
  }

  /** The user's balance changed from outside (a credit): plan the cuts again. */
  balanceChanged(userId: string): void {
    if (this.byUser.has(userId)) this.plan(userId);
  }

  /**
   * The call is over: bill it (never past its cut, never more than the balance) and write
   * debit, ledger line, CDR and journal removal as one change. Idempotent per call.
   */
  settle(end: Ending): Settlement | null {
    const entry = this.journal.get(end.callId);
    if (!entry) return null;
    const l = this.live.get(end.callId);
    this.forget(end.callId);
    const rates = this.deps.rates();
    let units = 0;
    let seconds = 0;
    const connectedAt = entry.connectedAt;
    if (connectedAt !== null) {
      const stop = Math.min(end.endAt, l?.cutFiredAt ?? Infinity, l?.cutAt ?? Infinity);
      // An absurd engine stamp must not make settling throw: the rating prices 10 years at most.
      const elapsed = Math.min(MAX_SECONDS, Math.max(0, stop - connectedAt) / 1000);
      seconds = Math.ceil(elapsed);
      // a call refused at answer was cut before its first step: not even its setup is owed
      units = l?.refused ? 0 : rates.cost(entry.row, connectedAt, elapsed);
    }
    const cdr: Cdr = {
      endAt: end.endAt,
      offerAt: entry.offerAt,
      connectDelay: connectedAt === null ? null : Math.max(0, Math.floor((connectedAt - entry.dialAt) / 1000)),
      duration: seconds,
      cost: units,
      user: entry.userId,
      dialed: entry.dialed,
      callId: entry.callId,
      from: entry.from,
      cause: end.cause,
      ...(end.recovered ? { recovered: true } : {}),
    };
    let user: User | undefined;
    if (connectedAt === null) {
      this.deps.store.recordCdr(cdr);
      user = this.deps.store.user(entry.userId);
    } else {
      user = this.deps.store.settle({
        callId: entry.callId,
        userId: entry.userId,
        units,
        at: end.endAt,
        dialed: entry.dialed,
        duration: seconds,
        cdr,
      });
      units = cdr.cost;
    }
    serviceLog('CALL_SETTLED', {
      call: entry.callId,
      user: entry.userId,
      seconds,
      units,
      cause: end.cause,
      recovered: end.recovered ? true : undefined,
    });
    if (this.byUser.has(entry.userId)) this.plan(entry.userId);
    return { units, seconds, user };
  }

  /** A call that was never dialled (or never billed): its CDR alone, cost 0. */
  record(c: { callId: string; userId: string; from: string; dialed: string; offerAt: number; endAt: number; cause: string }): void {
    this.deps.store.recordCdr({
      endAt: c.endAt,
      offerAt: c.offerAt,
      connectDelay: null,
      duration: 0,
      cost: 0,
      user: c.userId,
      dialed: c.dialed,
      callId: c.callId,
      from: c.from,
      cause: c.cause,
    });
  }

  /** Stop every timer (shutdown); the journal stays for the next run. */
  close(): void {
    for (const l of this.live.values()) this.clearTimers(l);
    for (const t of this.recheck.values()) t.cancel();
    this.recheck.clear();
    if (this.checkpointTimer) clearInterval(this.checkpointTimer);
    this.checkpointTimer = null;
  }

  /**
   * While the engine link is down nothing tells us a call is still up: checkpoints stop, so
   * a call the engine has forgotten meanwhile is not billed for the outage.
   */
  pauseCheckpoints(): void {
    this.checkpointsPaused = true;
  }
  resumeCheckpoints(): void {
    this.checkpointsPaused = false;
  }

  /** Writes every connected call's last-seen instant (recovery bills up to it). */
  checkpointNow(): void {
    if (this.checkpointsPaused) return;
    const ids = [...this.live.keys()];
    if (ids.length === 0) return;
    const now = this.deps.clock.now();
    this.deps.store.checkpoint(now, ids);
    for (const id of ids) {
      const e = this.journal.get(id);
      if (e) e.checkpointAt = now;
    }
  }

  private liveOf(userId: string): Live[] {
    return [...(this.byUser.get(userId) ?? [])].map((id) => this.live.get(id)!);
  }

  private owedNow(l: Live, now: number): number {
    if (l.refused) return 0;
    const at = Math.min(now, l.cutFiredAt ?? Infinity);
    return committed(this.deps.rates(), l, at);
  }

  private forget(callId: string): void {
    this.journal.delete(callId);
    const l = this.live.get(callId);
    if (!l) return;
    this.clearTimers(l);
    this.live.delete(callId);
    const set = this.byUser.get(l.userId);
    set?.delete(callId);
    if (set && set.size === 0) {
      this.byUser.delete(l.userId);
      this.recheck.get(l.userId)?.cancel();
      this.recheck.delete(l.userId);
    }
  }

  private clearTimers(l: Live): void {
    l.cutTimer?.cancel();
    l.warnTimer?.cancel();
    l.cutTimer = l.warnTimer = null;
  }

  /** Plans the cuts of every live call of a user and (re)arms their timers. */
  private plan(userId: string): void {
    const { clock, store, listener } = this.deps;
    const now = clock.now();
    // A call whose cut already fired is on its way out and draws nothing more.
    const calls = this.liveOf(userId).filter((l) => l.cutFiredAt === null);
    const cutOnes = this.liveOf(userId).filter((l) => l.cutFiredAt !== null);
    const balance = (store.user(userId)?.units ?? 0) - cutOnes.reduce((a, l) => a + this.owedNow(l, now), 0);
    const plan = planCuts(this.deps.rates(), calls, balance, now);
    this.recheck.get(userId)?.cancel();
    this.recheck.delete(userId);
    if (plan.recheckAt !== null) this.recheck.set(userId, clock.at(plan.recheckAt, () => this.plan(userId)));

    for (const l of calls) {
      const p = plan.calls.get(l.callId)!;
      if (p.refused) l.refused = true;
      if (p.limit !== l.limit && p.limit !== null) listener.limit(l.callId, p.limit);
      l.limit = p.limit;
      if (p.cutAt === l.cutAt && l.cutTimer) continue;
      l.cutAt = p.cutAt;
      this.clearTimers(l);
      if (p.cutAt === null) continue;
      const cutAt = p.cutAt;
      l.cutTimer = clock.at(cutAt - CUT_LEAD_MS, () => {
        l.cutTimer = null;
        l.cutFiredAt = cutAt;
        l.warnTimer?.cancel();
        listener.cut(l.callId, cutAt);
        // What this call no longer draws may let its siblings run on.
        this.plan(l.userId);
      });
      const warning = this.deps.warningSeconds() * 1000;
      const warnAt = cutAt - warning;
      // once per cut: a top-up that moves the cut later earns a new warning before the new one
      if (warning > 0 && warnAt > l.connectedAt && (l.warnedFor === null || cutAt > l.warnedFor)) {
        l.warnTimer = clock.at(Math.max(warnAt, now), () => {
          l.warnTimer = null;
          l.warnedFor = cutAt;
          listener.warn(l.callId);
        });
      }
    }
  }

  private ensureCheckpoints(): void {
    if (this.checkpointTimer) return;
    // A real interval, not the Clock: checkpoints are about wall time passing on the box.
    this.checkpointTimer = setInterval(() => {
      if (this.live.size === 0) {
        clearInterval(this.checkpointTimer!);
        this.checkpointTimer = null;
        return;
      }
      try {
        this.checkpointNow();
      } catch (e) {
        log('CHECKPOINT_FAILED', { error: (e as Error).message });
      }
    }, 1000);
    this.checkpointTimer.unref();
  }
}
