// The admin web server: request pipeline (auth, CSRF, routing, errors, static page) over an
// adapter (uWS by default), and the /ws push of live calls.
import { systemClock, type Clock } from '../clock.ts';
import { log } from '../log.ts';
import type { Appliance } from './appliance.ts';
import { Auth } from './auth.ts';
import { callsApi, healthApi } from './api/calls.ts';
import { cdrsApi } from './api/cdrs.ts';
import { configApi } from './api/config.ts';
import type { ApiContext } from './api/context.ts';
import { costsApi } from './api/costs.ts';
import { sessionApi } from './api/session.ts';
import { usersApi } from './api/users.ts';
import { errorReply, HttpError, Router, type Req, type Res, type RouteModule } from './http.ts';
import { StaticSite } from './static.ts';
import type { Adapter, IncomingReq, WebCore, WsPeer } from './transport.ts';
import { uwsAdapter } from './uws.ts';

export interface WebOptions {
  port: number;
  app: Appliance;
  /** The built admin page (index.html, assets/...); null = API only. */
  wwwDir: string | null;
  /** Extra route modules (reports: billing close, archives, CSVs); all behind auth. */
  routes?: RouteModule[];
  /** Server library; uWS unless a test or platform picks another. */
  adapter?: Adapter;
  /** Session expiry and the wrong-password window (tests pass a FakeClock). */
  clock?: Clock;
}

export interface WebServer {
  port: number;
  close(): Promise<void>;
}

const PUSH_EVERY_MS = 1000;
const UNSAFE = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);

/** Is the request's Origin this server? (Browsers send it on every cross-origin write.) */
function sameOrigin(header: (n: string) => string): boolean {
  const origin = header('origin');
  if (!origin) return false;
  try {
    return new URL(origin).host === header('host');
  } catch {
    return false;
  }
}

/**
 * A cookie-authenticated write must show it comes from our page: a JSON body (an HTML form
 * cannot send one), the X-Requested-With header, or our own Origin. Clients that are not
 * browsers (no Origin, no Sec-Fetch-Site) cannot be driven by another site and pass.
 */
function csrfOk(req: Req): boolean {
  const ct = req.header('content-type').toLowerCase();
  if (/^application\/json\s*(;|$)/.test(ct)) return true;
  if (req.header('x-requested-with')) return true;
  if (sameOrigin(req.header)) return true;
  return !req.header('origin') && !req.header('sec-fetch-site');
}

function isApi(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}

export async function startWeb(o: WebOptions): Promise<WebServer> {
  const { app } = o;
  const clock = o.clock ?? systemClock;
  const auth = new Auth(() => app.store.adminPasswordHash(), clock);
  const ctx: ApiContext = { app, auth };
  const open = new Router(); // answers without the password
  const api = new Router();
  sessionApi(open, ctx);
  healthApi(open, ctx);
  configApi(api, ctx);
  usersApi(api, ctx);
  costsApi(api, ctx);
  callsApi(api, ctx);
  cdrsApi(api, ctx);
  for (const m of o.routes ?? []) m(api, app);
  const site = new StaticSite(o.wwwDir);
  const peers = new Set<WsPeer>();

  const snapshot = (): string => JSON.stringify({ type: 'calls', calls: app.supervision.list() });

  async function route(req: IncomingReq, res: Res): Promise<void> {
    if (req.path === '/ws') throw new HttpError(400, '/ws needs a WebSocket upgrade', 'BAD_REQUEST');
    const pub = open.match(req.method, req.path);
    if (pub.kind === 'found') {
      req.params = pub.params;
      await pub.handler(req, res);
      return;
    }
    if (isApi(req.path)) {
      const who = await auth.authenticate({ cookie: req.header('cookie'), authorization: req.header('authorization') }, req.ip);
      if (!who.ok) {
        if (req.header('authorization')) log('WEB_AUTH_FAILED', { ip: req.ip, path: req.path, status: who.status });
        throw new HttpError(who.status, who.message, who.status === 429 ? 'TOO_MANY_ATTEMPTS' : 'UNAUTHORIZED');
      }
      if (who.via === 'cookie' && UNSAFE.has(req.method) && !csrfOk(req)) {
        throw new HttpError(403, 'cross-site request refused: send Content-Type: application/json', 'NOT_ALLOWED');
      }
      const m = api.match(req.method, req.path);
      if (m.kind === 'found') {
        req.params = m.params;
        await m.handler(req, res);
        return;
      }
      const allow = m.kind === 'method' ? m.allow : pub.kind === 'method' ? pub.allow : null;
      if (allow) {
        res.header('Allow', allow.join(', '));
        throw new HttpError(405, `${req.method} not allowed on ${req.path}`, 'NOT_ALLOWED');
      }
      throw new HttpError(404, `no such endpoint ${req.path}`, 'NOT_FOUND');
    }
    if (pub.kind === 'method') {
      res.header('Allow', pub.allow.join(', '));
      throw new HttpError(405, `${req.method} not allowed on ${req.path}`, 'NOT_ALLOWED');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.header('Allow', 'GET, HEAD');
      throw new HttpError(405, `${req.method} not allowed on ${req.path}`, 'NOT_ALLOWED');
    }
    site.serve(req, res);
  }

  const core: WebCore = {
    async handle(req, res) {
      try {
        if (req.path === '/health' || isApi(req.path)) {
          res.header('Cache-Control', 'no-store');
          res.header('X-Content-Type-Options', 'nosniff');
        }
        await route(req, res);
        if (!res.started) throw new Error(`handler for ${req.method} ${req.path} sent no response`);
      } catch (e) {
        const r = errorReply(e);
        if (r.internal !== undefined) {
          const err = r.internal;
          log('WEB_ERROR', {
            method: req.method,
            path: req.path,
            status: r.status,
            error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
          });
        }
        if (res.started) {
          // the head is out: the client sees a cut connection rather than a wrong body
          res.abort();
          return;
        }
        res.status(r.status).json(r.body);
      }
    },

    async wsRefusal(path, header, ip) {
      const refuse = (status: number, error: string, code: string) => ({ status, body: JSON.stringify({ error, code }) });
      if (path !== '/ws') return refuse(404, 'not found', 'NOT_FOUND');
      // another site's page cannot open our socket even if the browser would send the cookie
      if (header('origin') && !sameOrigin(header)) return refuse(403, 'cross-site WebSocket refused', 'NOT_ALLOWED');
      const who = await auth.authenticate({ cookie: header('cookie'), authorization: header('authorization') }, ip);
      if (!who.ok) return refuse(who.status, who.message, who.status === 429 ? 'TOO_MANY_ATTEMPTS' : 'UNAUTHORIZED');
      return null;
    },

    wsOpen(peer) {
      peers.add(peer);
      peer.send(snapshot());
    },

    wsClose(peer) {
      peers.delete(peer);
    },
  };

  const adapter = o.adapter ?? uwsAdapter;
  const listening = await adapter(core, o.port);

  // pushes: at once on change (coalesced per tick), then every second while calls are up
  let queued = false;
  let lastWasEmpty = true;
  const push = (): void => {
    try {
      if (peers.size === 0) return;
      const calls = app.supervision.list();
      lastWasEmpty = calls.length === 0;
      listening.publish('calls', JSON.stringify({ type: 'calls', calls }));
    } catch (e) {
      log('WEB_PUSH_ERROR', { error: e instanceof Error ? e.message : String(e) });
    }
  };
  const unsubscribe = app.supervision.onChange(() => {
    if (queued) return;
    queued = true;
    setImmediate(() => {
      queued = false;
      push();
    });
  });
  const ticker = setInterval(() => {
    if (peers.size > 0 && !(lastWasEmpty && app.supervision.list().length === 0)) push();
  }, PUSH_EVERY_MS);
  ticker.unref();

  log('WEB_LISTENING', { port: listening.port, www: o.wwwDir ?? '', files: site.size });
  let closed = false;
  return {
    port: listening.port,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(ticker);
      unsubscribe();
      await listening.close();
    },
  };
}
