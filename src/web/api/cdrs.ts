// Call detail records, newest first, paged with limit/before.
import type { Cdr } from '../../store/index.ts';
import type { ApiModule } from './context.ts';
import { bad } from './input.ts';
import { formatStamp, parseInstant } from './stamp.ts';

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
  };
}

export const cdrsApi: ApiModule = (r, { app }) => {
  r.get('/api/cdrs', (req, res) => {
    const tz = app.store.config().timezone;
    const q: { from?: number; to?: number; limit: number; before?: string } = { limit: 100 };
    const from = req.query.get('from');
    const to = req.query.get('to');
    const limit = req.query.get('limit');
    const before = req.query.get('before');
    if (from) q.from = parseInstant(from, tz, 'from');
    // `to` names a second: calls ending within it are included (as in the CSV export)
    if (to) q.to = parseInstant(to, tz, 'to') + 999;
    if (q.from !== undefined && q.to !== undefined && q.from > q.to - 999) throw bad('from', 'from is after to');
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
