// Live calls (supervision) and the engine/health probe.
import type { ApiModule } from './context.ts';

export const callsApi: ApiModule = (r, { app }) => {
  r.get('/api/calls', (_req, res) => {
    res.json(app.supervision.list());
  });
};

/** Public: installers and monitors poll it without the password. */
export const healthApi: ApiModule = (r, { app }) => {
  r.get('/health', (_req, res) => {
    res.json({ status: 'ok', engine: app.linkState(), natives: app.natives() });
  });
};
