// Users: accounts, credit, statement (ledger) and DID map.
import { AppError } from '../../errors.ts';
import { amountString, unitsOf } from '../../money/index.ts';
import type { User } from '../../store/index.ts';
import { formatStamp } from '../../timezone/index.ts';
import type { Appliance } from '../appliance.ts';
import type { Req } from '../http.ts';
import type { ApiModule } from './context.ts';
import { bad, has, integer, objectBody, PHONE, text } from './input.ts';

const ID = /^\d{1,16}$/;
const PIN = /^\d{4,12}$/;
const MAX_DIDS = 1000;

export function userView(u: User, unitPrice: string): Record<string, unknown> {
  return { id: u.id, name: u.name, callerId: u.callerId ?? '', units: u.units, amount: amountString(u.units, unitPrice) };
}

/** The user named by `:id`, or 404. */
function target(app: Appliance, req: Req): User {
  const id = req.params.id ?? '';
  const u = ID.test(id) ? app.store.user(id) : undefined;
  if (!u) throw new AppError('NOT_FOUND', `no user ${JSON.stringify(id)}`, undefined, { user: id });
  return u;
}

function name(v: unknown): string {
  const s = text(v, 'name', { min: 1, max: 64 });
  if (s.trim() === '') throw bad('name', 'name must not be blank');
  return s;
}
const pin = (v: unknown): string => text(v, 'pin', { min: 4, max: 12, pattern: PIN, hint: 'pin must be 4 to 12 digits' });
const callerId = (v: unknown): string =>
  text(v, 'callerId', { max: 33, pattern: /^(?:\+?\d{1,32})?$/, hint: 'callerId must be digits with an optional leading +' });

export const usersApi: ApiModule = (r, { app }) => {
  const price = (): string => app.store.config().unitPrice;

  r.get('/api/users', (_req, res) => {
    const p = price();
    res.json(app.store.users().map((u) => userView(u, p)));
  });

  r.post('/api/users', async (req, res) => {
    const b = objectBody(req, ['id', 'name', 'pin', 'callerId']);
    if (!has(b, 'id')) throw bad('id', 'id is required');
    if (!has(b, 'name')) throw bad('name', 'name is required');
    if (!has(b, 'pin')) throw bad('pin', 'pin is required');
    const u = {
      id: text(b.id, 'id', { min: 1, max: 16, pattern: ID, hint: 'id must be 1 to 16 digits' }),
      name: name(b.name),
      pin: pin(b.pin),
      callerId: has(b, 'callerId') && b.callerId !== null ? callerId(b.callerId) : '',
    };
    const created = app.store.createUser(u.callerId ? u : { id: u.id, name: u.name, pin: u.pin });
    await app.store.flushed();
    res.status(201).json(userView(created, price()));
  });

  r.get('/api/users/:id', (req, res) => {
    res.json(userView(target(app, req), price()));
  });

  r.put('/api/users/:id', async (req, res) => {
    const u = target(app, req);
    const b = objectBody(req, ['id', 'name', 'pin', 'callerId']);
    // the page may send the id back; it cannot be changed
    if (has(b, 'id') && b.id !== u.id) throw bad('id', 'id cannot be changed');
    const patch: { name?: string; pin?: string; callerId?: string } = {};
    if (has(b, 'name')) patch.name = name(b.name);
    if (has(b, 'pin')) patch.pin = pin(b.pin);
    if (has(b, 'callerId')) patch.callerId = b.callerId === null ? '' : callerId(b.callerId);
    const updated = Object.keys(patch).length > 0 ? app.store.updateUser(u.id, patch) : u;
    await app.store.flushed();
    res.json(userView(updated, price()));
  });

  r.delete('/api/users/:id', async (req, res) => {
    const u = target(app, req);
    if (app.supervision.hasLiveCall(u.id)) throw new AppError('USER_BUSY', `user ${u.id} has a call in progress`, undefined, { id: u.id });
    app.store.deleteUser(u.id);
    await app.store.flushed();
    res.status(204).send('');
  });

  r.post('/api/users/:id/credit', async (req, res) => {
    const u = target(app, req);
    const b = objectBody(req, ['units', 'amount']);
    if (has(b, 'units') === has(b, 'amount')) throw bad(undefined, 'give exactly one of units or amount');
    let units: number;
    if (has(b, 'units')) {
      units = integer(b.units, 'units', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    } else {
      const a = b.amount;
      // a JSON number is taken by its written form ("25.5"), never as a binary float
      const s = typeof a === 'number' && Number.isFinite(a) ? String(a) : a;
      if (typeof s !== 'string' || s.length === 0 || s.length > 40) throw bad('amount', 'amount must be a decimal such as "25.00"');
      units = unitsOf(s, price());
    }
    if (units === 0) throw bad(has(b, 'units') ? 'units' : 'amount', 'a credit of zero changes nothing');
    // what live calls have already used is theirs: a debit may only take the rest
    const spendable = app.available?.(u.id) ?? u.units;
    if (units < 0 && -units > spendable) {
      throw new AppError('INSUFFICIENT_CREDIT', `a debit of ${-units} units exceeds the ${spendable} units user ${u.id} can still spend`, undefined, {
        units: String(-units),
        spendable: String(spendable),
        id: u.id,
      });
    }
    const updated = app.store.credit(u.id, units, Date.now());
    // a call in progress may now last longer (or, after a debit, less)
    app.balanceChanged?.(u.id);
    await app.store.flushed();
    res.json(userView(updated, price()));
  });

  r.get('/api/users/:id/ledger', (req, res) => {
    const u = target(app, req);
    const { unitPrice, timezone } = app.store.config();
    let total = 0;
    const lines = app.store.ledger(u.id).map((l) => {
      total += l.units;
      return {
        date: formatStamp(l.at, timezone),
        operation: l.operation,
        dialed: l.dialed,
        duration: l.duration,
        units: l.units,
        amount: amountString(l.units, unitPrice),
      };
    });
    res.json({ lines, total: { units: total, amount: amountString(total, unitPrice) } });
  });

  r.get('/api/users/:id/dids', (req, res) => {
    res.json(app.store.dids(target(app, req).id));
  });

  r.put('/api/users/:id/dids', async (req, res) => {
    const u = target(app, req);
    const body = req.json();
    if (!Array.isArray(body)) throw bad(undefined, 'the body must be an array of {"did","to"}');
    if (body.length > MAX_DIDS) throw bad(undefined, `at most ${MAX_DIDS} DIDs per user`);
    const seen = new Set<string>();
    const map = body.map((e: unknown, i: number) => {
      if (typeof e !== 'object' || e === null || Array.isArray(e)) throw bad(`${i}`, `entry ${i} must be an object {"did","to"}`);
      const o = e as Record<string, unknown>;
      for (const k of Object.keys(o)) if (k !== 'did' && k !== 'to') throw bad(k, `unknown field ${JSON.stringify(k)}`);
      const did = text(o.did, 'did', { min: 1, max: 33, pattern: PHONE, hint: 'did must be digits' });
      const to = text(o.to, 'to', { min: 1, max: 33, pattern: PHONE, hint: 'to must be digits with an optional leading +' });
      if (seen.has(did)) throw bad('did', `DID ${did} is listed twice`);
      seen.add(did);
      return { did, to };
    });
    app.store.setDids(u.id, map);
    await app.store.flushed();
    res.json(app.store.dids(u.id));
  });
};
