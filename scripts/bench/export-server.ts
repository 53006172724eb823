// The server side of the export benchmark (scripts/bench/export.bench.ts), in a process of
// its own so the parent can sample its memory from outside (/proc/<pid>/status) and, for the
// capped run, place it in a memory cgroup before it opens the store.
//
//   node --expose-gc --import tsx scripts/bench/export-server.ts   (spawned with an IPC channel)
//
// Messages from the parent: {open: dir} → {port}; {gc: true} → {gcDone: true}; {close: true}.
import { setLogSink } from '../../src/log.ts';
import { reportRoutes } from '../../src/reports/routes.ts';
import { Store } from '../../src/store/index.ts';
import type { Appliance } from '../../src/web/appliance.ts';
import type { RouteModule } from '../../src/web/http.ts';
import { startWeb, type WebServer } from '../../src/web/server.ts';

/** Characters gathered before a write: the same chunking as the CSV export. */
const CHUNK_CHARS = 64 * 1024;

/** The peer: JSON.stringify per row, batched and back-pressured like the CSV export. */
export const baselineRoutes: RouteModule = (r, app) => {
  r.get('/api/bench/cdrs.ndjson', async (req, res) => {
    const w = res.stream('application/x-ndjson');
    const to = req.query.get('to');
    let pending = '';
    for (const c of app.store.cdrRange(undefined, to ? Number(to) * 1000 + 999 : undefined)) {
      pending += JSON.stringify(c) + '\n';
      if (pending.length >= CHUNK_CHARS) {
        await w.write(pending);
        pending = '';
        if (w.aborted) return;
      }
    }
    await w.write(pending);
    w.end();
  });
};

type Message = { open?: string; gc?: boolean; close?: boolean };

let store: Store | undefined;
let web: WebServer | undefined;

async function open(dir: string): Promise<number> {
  setLogSink(() => {});
  store = Store.open(dir);
  const s = store;
  const app = {
    store: s,
    supervision: { list: () => [], hasLiveCall: () => false, onChange: () => () => {} },
    linkState: () => 'up',
    natives: () => ({}),
    stop: async () => {},
    updateConfig: (p: object) => s.updateConfig(p),
    costsChanged: () => {},
  } as unknown as Appliance;
  web = await startWeb({ port: 0, app, wwwDir: null, routes: [reportRoutes, baselineRoutes] });
  return web.port;
}

process.on('message', (m: Message) => {
  const send = (x: object): void => void process.send?.(x);
  if (m.open) {
    open(m.open).then(
      (port) => send({ port }),
      (e: Error) => send({ error: e.message }),
    );
  } else if (m.gc) {
    (globalThis as { gc?: () => void }).gc?.();
    send({ gcDone: true });
  } else if (m.close) {
    void (async () => {
      await web?.close();
      await store?.close();
      process.exit(0);
    })();
  }
});
process.send?.({ ready: true });
