// The admin web server: request pipeline (auth, CSRF, routing, errors, static page) over an
// adapter (uWS when its binary loads, else node:http + ws), and the /ws push of live calls.
import { systemClock, type Clock } from '../clock.ts';
import { log } from '../log.ts';
import { loadUws } from '../native/index.ts';
import type { Appliance } from './appliance.ts';
import { Auth } from './auth.ts';
import { callsApi, healthApi } from './api/calls.ts';
import { cdrsApi } from './api/cdrs.ts';
import { configApi } from './api/config.ts';
import type { ApiContext } from './api/context.ts';
import { costsApi } from './api/costs.ts';
import { refuseAuth, sessionApi } from './api/session.ts';
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
  /** Server library; by default chosen by chooseAdapter() (uWS, else node:http + ws). */
  adapter?: Adapter;
  /** Session expiry and the wrong-password window (tests pass a FakeClock). */
  clock?: Clock;
}

export interface WebServer {
  port: number;
  close(): Promise<void>;
}

/** Store meta key of the admin sessions (digests → last use), so a restart keeps them. */
const SESSIONS_META = 'web.sessions';
const PUSH_EVERY_MS = 1000;
/** Least time between two pushes on change: bounds a busy box's pushes to 4 a second. */
const PUSH_GAP_MS = 250;
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

export type ServerName = 'uws' | 'node-http';

export interface AdapterChoice {
  name: ServerName;
  adapter: Adapter;
  /** Why uWS could not be used, when it was tried and failed. */
  uwsMissing?: string;
}

/**
 * uWS when its binary loads, else node:http + ws (32-bit ARM on Node 22, an older C
 * library). PREPAID_HTTP=node forces the fallback (tests, installers); PREPAID_HTTP=uws
 * refuses it (a missing uWS then stops the start with the loader's message).
 */
export async function chooseAdapter(env: string | undefined = process.env.PREPAID_HTTP): Promise<AdapterChoice> {
  const want = (env ?? '').trim().toLowerCase();
  if (want !== '' && want !== 'node' && want !== 'uws') {
    throw new Error(`PREPAID_HTTP=${env}: expected "node" (node:http + ws) or "uws", or leave it unset`);
  }
  // imported on demand: a box on uWS never loads ws
  const fallback = async (): Promise<Adapter> => (await import('./node-http.ts')).nodeHttpAdapter;
  if (want === 'node') return { name: 'node-http', adapter: await fallback() };
  try {
    loadUws();
    return { name: 'uws', adapter: uwsAdapter };
  } catch (e) {
    if (want === 'uws') throw e;
    return { name: 'node-http', adapter: await fallback(), uwsMissing: e instanceof Error ? e.message : String(e) };
  }
}

export async function startWeb(o: WebOptions): Promise<WebServer> {
  const { app } = o;
  // an adapter handed in is uWS or (tests) the node:http one, the only two there are
  const choice: AdapterChoice = o.adapter
    ? { name: o.adapter === uwsAdapter ? 'uws' : 'node-http', adapter: o.adapter }
    : await chooseAdapter();
  if (choice.uwsMissing !== undefined) log('WEB_UWS_UNAVAILABLE', { fallback: choice.name, error: choice.uwsMissing });
  const clock = o.clock ?? systemClock;
  const auth = new Auth(() => app.store.adminPasswordHash(), clock, {
    load: () => app.store.meta(SESSIONS_META),
    save: (sessions) => app.store.setMeta(SESSIONS_META, sessions),
  });
  const ctx: ApiContext = { app, auth };
  const open = new Router(); // answers without the password
  const api = new Router();
  sessionApi(open, ctx);
  // a uWS binary that was found but would not load still shows as missing on /health
  const missing = choice.uwsMissing;
  const health: Appliance = missing === undefined ? app : Object.create(app, { natives: { value: () => ({ ...app.natives(), uws: `missing: ${missing}` }) } });
  healthApi(open, { app: health, auth });
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
        // the challenge lets report tools that wait for one (wget, urllib) send their Basic
        // credentials; the admin page (X-Requested-With) must not get the browser's own dialog
        if (who.status === 401 && !req.header('x-requested-with')) res.header('WWW-Authenticate', 'Basic realm="prepaid", charset="UTF-8"');
        refuseAuth(res, who);
      }
      // Basic credentials a browser cached are sent cross-site too: a form from another site
      // must not change anything, whichever way it authenticates (curl sends no Origin)
      if (UNSAFE.has(req.method) && !csrfOk(req)) {
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

  const listening = await choice.adapter(core, o.port);

  // pushes: on change (coalesced per tick, and at most one per PUSH_GAP_MS, as each is the
  // whole list: ~240 KB for 1,000 calls), then every second while calls are up
  let queued = false;
  let lastWasEmpty = true;
  let lastPushAt = -Infinity; // performance.now(): a throttle, not a business time
  let stopped = false;
  const push = (): void => {
    try {
      if (peers.size === 0 || stopped) return;
      lastPushAt = performance.now();
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
    const run = (): void => {
      queued = false;
      push();
    };
    const wait = lastPushAt + PUSH_GAP_MS - performance.now();
    if (wait <= 0) setImmediate(run);
    else setTimeout(run, wait).unref();
  });
  const ticker = setInterval(() => {
    if (peers.size > 0 && !(lastWasEmpty && app.supervision.list().length === 0)) push();
  }, PUSH_EVERY_MS);
  ticker.unref();

  log('WEB_LISTENING', { port: listening.port, server: choice.name, www: o.wwwDir ?? '', files: site.size });
  let closed = false;
  return {
    port: listening.port,
    async close() {
      if (closed) return;
      closed = true;
      stopped = true;
      clearInterval(ticker);
      unsubscribe();
      await listening.close();
    },
  };
}
