// Where each of a user's live calls must be cut so that, together, they never consume
// more than the balance. Pure: the Meter feeds it the live calls and the clock's now.
//
// Billing is by steps paid in advance: step k of a call covers [k·inc, (k+1)·inc) seconds
// after CONNECTED and is owed as soon as it starts; step 0 also carries the setup. Steps
// already started are committed, calls taken in the order they connected. Future steps are
// granted in time order across the user's calls; the first step a call cannot be granted in
// full is where that call is cut (the end of its last paid step). A call that cannot pay its
// step 0 (its siblings spent the balance first) is refused: cut at its answer, owing nothing.
import type { CostRow, RateTable } from '../rating/index.ts';

export interface MeteredCall {
  callId: string;
  row: CostRow;
  connectedAt: number;
}

export interface CutPlan {
  /** Exact instant the call must be released; null when the plan found none (unlimited or beyond the horizon). */
  cutAt: number | null;
  /** Seconds after CONNECTED for the engine's backstop (DIAL limit / LIMIT); null: none known. */
  limit: number | null;
  /** The call cannot pay its first step: cut at its answer, it owes nothing (not even setup). */
  refused?: boolean;
}

export interface UserPlan {
  calls: Map<string, CutPlan>;
  /** When the plan must be made again because the simulation stopped at its horizon. */
  recheckAt: number | null;
}

/** Steps simulated at most per plan; beyond that the plan is remade later. */
const STEP_BUDGET = 50_000;

/** Whole steps a call has started by `now` (step k has started when its start < now). */
export function stepsStarted(row: CostRow, connectedAt: number, now: number): number {
  const elapsed = now - connectedAt;
  return elapsed <= 0 ? 0 : Math.ceil(elapsed / (row.increment * 1000));
}

/** Units a call owes at `now`: setup plus every started step. */
export function committed(rates: RateTable, call: MeteredCall, now: number): number {
  const steps = stepsStarted(call.row, call.connectedAt, now);
  return rates.cost(call.row, call.connectedAt, steps * call.row.increment);
}

export function planCuts(rates: RateTable, calls: readonly MeteredCall[], balance: number, now: number): UserPlan {
  const out = new Map<string, CutPlan>();
  if (calls.length === 0) return { calls: out, recheckAt: null };

  if (calls.length === 1) {
    // One call alone on the balance: the rating's exact closed form.
    const c = calls[0];
    const s = rates.maxSeconds(c.row, balance, c.connectedAt);
    if (s === 0) out.set(c.callId, refusal(c));
    else out.set(c.callId, s === Infinity ? { cutAt: null, limit: null } : { cutAt: c.connectedAt + s * 1000, limit: s });
    return { calls: out, recheckAt: null };
  }

  // What each call has started is owed, in the order the calls connected; step 0 in full.
  const owed = calls.map(() => 0);
  const next = calls.map(() => 0);
  const open = new Set<number>();
  let left = balance;
  const byConnect = calls.map((_, i) => i).sort((a, b) => (tieBefore(calls[a], calls[b]) ? -1 : 1));
  for (const i of byConnect) {
    const c = calls[i];
    const inc = c.row.increment;
    const started = Math.max(1, stepsStarted(c.row, c.connectedAt, now));
    let paid = started;
    let cost = rates.cost(c.row, c.connectedAt, paid * inc);
    while (cost > left && --paid > 0) cost = rates.cost(c.row, c.connectedAt, paid * inc);
    if (paid === 0) {
      out.set(c.callId, refusal(c));
      continue;
    }
    owed[i] = cost;
    left -= cost;
    if (paid < started) {
      // the balance shrank under it (it cannot normally): cut at the end of what it can pay
      out.set(c.callId, { cutAt: c.connectedAt + paid * inc * 1000, limit: paid * inc });
      continue;
    }
    next[i] = started;
    open.add(i);
  }
  let budget = STEP_BUDGET;
  let simTime = now;
  while (open.size > 0 && budget-- > 0) {
    // Earliest next step; ties go to the call connected first, then by id, so plans are stable.
    let best = -1;
    let bestAt = Infinity;
    for (const i of open) {
      const c = calls[i];
      const at = c.connectedAt + next[i] * c.row.increment * 1000;
      if (at < bestAt || (at === bestAt && best >= 0 && tieBefore(c, calls[best]))) {
        best = i;
        bestAt = at;
      }
    }
    const c = calls[best];
    const k = next[best];
    const price = rates.stepCost(c.row, c.connectedAt, k);
    simTime = bestAt;
    if (price <= left) {
      left -= price;
      next[best] = k + 1;
    } else {
      out.set(c.callId, { cutAt: bestAt, limit: k * c.row.increment });
      open.delete(best);
    }
  }
  if (open.size === 0) return { calls: out, recheckAt: null };

  // Horizon reached with calls still paid for: no exact cut yet. The backstop gets an upper
  // bound (the call alone on what the others have not yet committed) and the plan is remade.
  const total = owed.reduce((a, b) => a + b, 0);
  for (const i of open) {
    const c = calls[i];
    const s = rates.maxSeconds(c.row, balance - (total - owed[i]), c.connectedAt);
    out.set(c.callId, { cutAt: null, limit: s === Infinity ? null : s });
  }
  return { calls: out, recheckAt: Math.max(simTime, now + 1000) };
}

function refusal(c: MeteredCall): CutPlan {
  return { cutAt: c.connectedAt, limit: 0, refused: true };
}

function tieBefore(a: MeteredCall, b: MeteredCall): boolean {
  return a.connectedAt < b.connectedAt || (a.connectedAt === b.connectedAt && a.callId < b.callId);
}
