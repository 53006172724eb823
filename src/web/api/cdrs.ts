// Call detail records, newest first, paged with limit/before.
import type { Cdr } from '../../store/index.ts';
import { formatStamp, parseRange } from '../../timezone/index.ts';
import type { ApiModule } from './context.ts';
import { bad } from './input.ts';

export function cdrView(c: Cdr, tz: string): Record<string, unknown> {
  return {
    date: formatStamp(c.endAt, tz),
    timestamp: Math.floor(c.offerAt / 1000),
    connectDelay: c.connectDelay,
    duration: c.duration,
    cost: c.cost,
    user: c.user,
    dialed: c.dialed,
    callId: c.callId,
    // settled from the last checkpoint because the engine no longer knew the call (spec: "marked recovered")
    ...(c.recovered ? { recovered: true } : {}),
  };
}

export const cdrsApi: ApiModule = (r, { app }) => {
  r.get('/api/cdrs', (req, res) => {
    const tz = app.store.config().timezone;
    // the same range as the CSV export: `to` covers its whole second
    const range = parseRange(req.query.get('from'), req.query.get('to'), tz);
    const q: { from?: number; to?: number; limit: number; before?: string } = { ...range, limit: 100 };
    const limit = req.query.get('limit');
    const before = req.query.get('before');
    if (limit !== null && limit !== '') {
      if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000) throw bad('limit', 'limit must be 1 to 1000');
      q.limit = Number(limit);
    }
    if (before) {
      if (before.length > 200) throw bad('before', 'before is not a cursor from this API');
      q.before = before;
    }
    const page = app.store.cdrs(q);
    res.json({ cdrs: page.cdrs.map((c) => cdrView(c, tz)), next: page.next });
  });
};
