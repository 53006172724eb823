// Report routes: CSV exports (CDRs, statements, archives, rate deck), the rate deck import
// and the billing close. Registered by the web server behind the admin auth.
import { systemClock, type Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import { formatStamp, parseRange } from '../timezone/index.ts';
import type { RouteModule } from '../web/http.ts';
import { ARCHIVE_NAME, archiveCsv, archiveStyle } from './archive.ts';
import { closeBilling } from './billing.ts';
import { writeCdrCsv } from './cdrs.ts';
import { bodyText, costsCsv, parseCostsCsv } from './costs.ts';
import { csvStyle } from './csv.ts';
import { ledgerCsv } from './ledger.ts';

const CSV = 'text/csv; charset=utf-8';

function attachment(name: string): string {
  return `attachment; filename="${name}"`;
}

/** The report routes on a given clock (tests pass a FakeClock). */
export function makeReportRoutes(clock: Clock): RouteModule {
  return (r, app) => {
    const store = app.store;
    // archives never change: their rendered size only depends on the CSV dialect
    const sizes = new Map<string, number>();

    r.get('/api/cdrs.csv', async (req, res) => {
      const style = csvStyle(store.config());
      const { from, to } = parseRange(req.query.get('from'), req.query.get('to'), style.timezone);
      res.header('Content-Disposition', attachment('cdrs.csv'));
      const w = res.stream(CSV);
      await writeCdrCsv(w, store.cdrRange(from, to), style);
    });

    r.get('/api/users/:id/ledger.csv', (req, res) => {
      const id = req.params.id ?? '';
      if (!store.user(id)) throw new AppError('UNKNOWN_USER', `no user ${id}`);
      const cfg = store.config();
      const body = ledgerCsv(store.ledger(id), cfg, csvStyle(cfg));
      res.header('Content-Disposition', attachment(`ledger_${id}.csv`)).send(body, CSV);
    });

    r.post('/api/billing/close', async (_req, res) => {
      const archive = closeBilling(app, clock.now(), 'manual');
      await store.flushed(); // answered only once the archive and the new period are on disk
      res.json({ name: archive.name }); // exactly interfaces.md's answer
    });

    r.get('/api/billing/archives', (_req, res) => {
      const cfg = store.config();
      const list = store
        .archives()
        .filter((a) => ARCHIVE_NAME.test(a.name))
        .sort((a, b) => b.at - a.at || (a.name < b.name ? 1 : -1))
        .map((a) => {
          // archives never change; one closed before 2.0.1 reads in today's dialect
          const key = `${a.name}\0${cfg.csvSeparator}\0${cfg.language}\0${cfg.timezone}`;
          let size = sizes.get(key);
          if (size === undefined) {
            const full = store.archive(a.name);
            size = full ? Buffer.byteLength(archiveCsv(full, archiveStyle(full, cfg))) : 0;
            sizes.set(key, size);
          }
          return { name: a.name, size, date: formatStamp(a.at, cfg.timezone) };
        });
      res.json(list);
    });

    r.get('/api/billing/archives/:name', (req, res) => {
      const name = req.params.name ?? '';
      const archive = ARCHIVE_NAME.test(name) ? store.archive(name) : undefined;
      if (!archive) throw new AppError('NOT_FOUND', 'no such archive');
      const body = archiveCsv(archive, archiveStyle(archive, store.config()));
      res.header('Content-Disposition', attachment(name)).send(body, CSV);
    });

    r.get('/api/costs.csv', (_req, res) => {
      const body = costsCsv(store.costs(), csvStyle(store.config()));
      res.header('Content-Disposition', attachment('costs.csv')).send(body, CSV);
    });

    r.put('/api/costs.csv', async (req, res) => {
      const rows = parseCostsCsv(bodyText(req.body));
      // one transaction; without a DEFAULT row in the file the current DEFAULT stays
      store.replaceCosts(rows);
      app.costsChanged();
      await store.flushed();
      res.json({ rows: rows.length });
    });
  };
}

export const reportRoutes: RouteModule = makeReportRoutes(systemClock);
