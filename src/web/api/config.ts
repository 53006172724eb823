// General parameters. PUT is partial, fully validated before anything is applied, and goes
// through the appliance (not the store) so changes such as the engine address apply live.
import { validate as validCron } from 'node-cron';
import { Decimal, UNIT_PRICE_RULE, validUnitPrice } from '../../money/index.ts';
import { isValidTimezone } from '../../rating/index.ts';
import type { Config } from '../../store/index.ts';
import { hashPassword } from '../auth.ts';
import type { ApiContext, ApiModule } from './context.ts';
import { bad, boolean, integer, objectBody, PHONE, text } from './input.ts';
import { newPassword } from './session.ts';

type Check = (v: unknown, field: string) => unknown;

// host name, IPv4 or IPv6 literal: no spaces, no scheme, no port (www/validate.ts checks the same)
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[?[0-9A-Fa-f:.]+\]?)$/;

/** One validator per writable Config key; GET shows exactly these keys. */
const CHECKS: Record<keyof Config, Check> = {
  webPort: (v, f) => integer(v, f, 1, 65535),
  language: (v, f) => {
    const s = typeof v === 'string' ? v.toLowerCase() : v;
    if (s !== 'fr' && s !== 'en') throw bad(f, 'language must be fr or en');
    return s;
  },
  ivrDid: (v, f) => text(v, f, { min: 1, max: 32, pattern: /^\d+$/, hint: 'ivrDid must be digits' }),
  engineAddress: (v, f) =>
    text(v, f, { min: 1, max: 253, pattern: HOST, hint: 'engineAddress must be a host name or IP address' }),
  enginePort: (v, f) => integer(v, f, 1, 65535),
  engineTimeout: (v, f) => integer(v, f, 1, 60),
  timezone: (v, f) => {
    const s = text(v, f, { min: 1, max: 64 });
    if (!isValidTimezone(s)) throw bad(f, `unknown timezone ${JSON.stringify(s)}`);
    return s;
  },
  defaultCallingAddress: (v, f) => text(v, f, { max: 128 }),
  defaultCallingForced: (v, f) => boolean(v, f),
  serviceLog: (v, f) => boolean(v, f),
  csvSeparator: (v, f) => {
    if (v === '\t') return v; // tab-separated files: the one control character that is a separator
    const s = text(v, f, { max: 1 });
    // a quote or a line break as separator would make the CSV unreadable
    if (s === '"' || s === '\r' || s === '\n') throw bad(f, 'csvSeparator cannot be a quote or a line break');
    return s;
  },
  currency: (v, f) => text(v, f, { min: 1, max: 16 }),
  unitPrice: (v, f) => {
    // JSON numbers are taken by their written form ("0.0001"), never as binary floats
    const s = typeof v === 'number' && Number.isFinite(v) ? String(v) : v;
    if (typeof s !== 'string' || s.length > 40 || !validUnitPrice(s)) {
      throw bad(f, UNIT_PRICE_RULE);
    }
    return Decimal.parse(s).toString();
  },
  warningSeconds: (v, f) => integer(v, f, 0, 3600),
  billingSchedule: (v, f) => {
    const s = text(v, f, { max: 128 }).trim();
    if (s !== '' && !validCron(s)) throw bad(f, 'billingSchedule must be empty or a cron expression');
    return s;
  },
};

const KEYS = Object.keys(CHECKS) as (keyof Config & string)[];

export function configView(c: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of KEYS) out[k] = c[k];
  return out;
}

/** Validates a partial config body; throws before anything changes. */
export function configPatch(body: Record<string, unknown>): Partial<Config> {
  const patch: Record<string, unknown> = {};
  for (const k of KEYS) if (k in body) patch[k] = CHECKS[k](body[k], k);
  return patch as Partial<Config>;
}

export const configApi: ApiModule = (r, { app, auth }: ApiContext) => {
  r.get('/api/config', (_req, res) => {
    res.json(configView(app.store.config()));
  });

  r.put('/api/config', async (req, res) => {
    const body = objectBody(req, [...KEYS, 'adminPassword']);
    const patch = configPatch(body);
    const hash = 'adminPassword' in body ? await hashPassword(newPassword(body.adminPassword)) : null;
    const updated = Object.keys(patch).length > 0 ? app.updateConfig(patch) : app.store.config();
    if (hash !== null) {
      const mine = auth.session(req.header('cookie')); // read before the password changes
      app.store.setAdminPasswordHash(hash);
      // other browsers logged in with the old password are logged out; this one goes on
      auth.endOtherSessions(mine);
    }
    await app.store.flushed();
    res.json(configView(updated));
  });
};
