// Cost rows per destination prefix. Every change makes the appliance rebuild its RateTable.
import { AppError } from '../../errors.ts';
import { DEFAULT_PREFIX, normalizeCostRow, normalizePrefix, type CostRow } from '../../rating/index.ts';
import type { ApiModule } from './context.ts';
import { bad, has, objectBody } from './input.ts';

const ROW_KEYS = ['prefix', 'h1', 'h2Begin', 'h2End', 'h2', 'increment', 'setup'];

/** DEFAULT first, then prefixes in dial order. */
function byPrefix(a: CostRow, b: CostRow): number {
  if (a.prefix === DEFAULT_PREFIX) return b.prefix === DEFAULT_PREFIX ? 0 : -1;
  if (b.prefix === DEFAULT_PREFIX) return 1;
  return a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0;
}

function prefixParam(raw: string | undefined): string {
  try {
    return normalizePrefix(raw ?? '');
  } catch {
    throw new AppError('NOT_FOUND', `no cost row ${JSON.stringify(raw ?? '')}`);
  }
}

export const costsApi: ApiModule = (r, { app }) => {
  r.get('/api/costs', (_req, res) => {
    res.json([...app.store.costs()].sort(byPrefix));
  });

  r.put('/api/costs/:prefix', async (req, res) => {
    let prefix: string;
    try {
      prefix = normalizePrefix(req.params.prefix ?? '');
    } catch {
      throw bad('prefix', 'prefix must be DEFAULT or 1 to 20 digits');
    }
    const body = objectBody(req, ROW_KEYS);
    if (has(body, 'prefix')) {
      let inBody: string;
      try {
        inBody = normalizePrefix(body.prefix);
      } catch {
        throw bad('prefix', 'prefix must be DEFAULT or 1 to 20 digits');
      }
      if (inBody !== prefix) throw bad('prefix', 'the prefix in the body differs from the one in the path');
    }
    const row = normalizeCostRow({ ...body, prefix });
    app.store.putCost(row);
    app.costsChanged();
    await app.store.flushed();
    res.json(row);
  });

  r.delete('/api/costs/:prefix', async (req, res) => {
    const prefix = prefixParam(req.params.prefix);
    if (prefix === DEFAULT_PREFIX) throw new AppError('NOT_ALLOWED', 'the DEFAULT cost row cannot be deleted', 'prefix');
    if (!app.store.costs().some((c) => c.prefix === prefix)) throw new AppError('NOT_FOUND', `no cost row ${prefix}`);
    app.store.deleteCost(prefix);
    app.costsChanged();
    await app.store.flushed();
    res.status(204).send('');
  });
};
