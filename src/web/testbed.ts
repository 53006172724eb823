// Test rig for the web tests: a real Store in a temp dir, a scripted Supervision, the web
// server on an ephemeral port, and fetch shorthands. Not used by the product.
// The server library is uWS, or node:http + ws with PREPAID_HTTP=node: `npm test` runs the
// web suites once on each (scripts/test.mjs), so both adapters meet the same assertions.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../clock.ts';
import { setLogSink } from '../log.ts';
import { Store, type Config } from '../store/index.ts';
import type { Appliance, LinkState, LiveCall, Supervision } from './appliance.ts';
import { hashPassword } from './auth.ts';
import type { RouteModule } from './http.ts';
import { nodeHttpAdapter } from './node-http.ts';
import { startWeb, type WebServer } from './server.ts';
import type { Adapter } from './transport.ts';
import { uwsAdapter } from './uws.ts';

export class ScriptedSupervision implements Supervision {
  calls: LiveCall[] = [];
  private readonly listeners = new Set<() => void>();
  list(): LiveCall[] {
    return this.calls.map((c) => ({ ...c }));
  }
  hasLiveCall(userId: string): boolean {
    return this.calls.some((c) => c.user === userId);
  }
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  set(calls: LiveCall[]): void {
    this.calls = calls;
    for (const f of this.listeners) f();
  }
}

export function liveCall(over: Partial<LiveCall> = {}): LiveCall {
  return {
    callId: 'A1',
    caller: '5173',
    status: 'connected',
    user: '1001',
    creditUnits: 191600,
    creditAmount: '19.16',
    dialed: '3000',
    rate: 200,
    duration: 45,
    consumptionUnits: 9000,
    consumptionAmount: '0.90',
    ...over,
  };
}

export interface Bed {
  url: string;
  server: WebServer;
  store: Store;
  supervision: ScriptedSupervision;
  clock: FakeClock;
  app: Appliance & { costsChangedCount: number; configPatches: Partial<Config>[]; balanceChanges: string[]; owed: Map<string, number> };
  logs: string[];
  /** fetch with Basic auth (admin / PASSWORD) unless headers say otherwise. */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

export const PASSWORD = 'correct horse';

/** The adapter under test: never chosen silently (a missing uWS must fail the uWS pass). */
export const ADAPTER_NAME: 'uws' | 'node-http' = process.env.PREPAID_HTTP === 'node' ? 'node-http' : 'uws';
export const ADAPTER: Adapter = ADAPTER_NAME === 'node-http' ? nodeHttpAdapter : uwsAdapter;
export const BASIC = 'Basic ' + Buffer.from(`admin:${PASSWORD}`).toString('base64');

export async function openBed(o: { password?: string | null; wwwDir?: string | null; routes?: RouteModule[] } = {}): Promise<Bed> {
  const dir = mkdtempSync(join(tmpdir(), 'prepaid-web-'));
  const logs: string[] = [];
  setLogSink((l) => logs.push(l));
  const store = Store.open(join(dir, 'db'));
  const pw = o.password === undefined ? PASSWORD : o.password;
  if (pw !== null) store.setAdminPasswordHash(await hashPassword(pw));
  const supervision = new ScriptedSupervision();
  const clock = new FakeClock(Date.UTC(2024, 5, 1, 10, 0, 0));
  const app = {
    store,
    supervision,
    costsChangedCount: 0,
    balanceChanges: [] as string[],
    configPatches: [] as Partial<Config>[],
    linkState: (): LinkState => 'up',
    natives: () => ({ uws: 'test' }),
    stop: async () => {},
    updateConfig(patch: Partial<Config>): Config {
      app.configPatches.push(patch);
      return store.updateConfig(patch);
    },
    costsChanged(): void {
      app.costsChangedCount++;
    },
    balanceChanged(userId: string): void {
      app.balanceChanges.push(userId);
    },
    /** What a test says the user's live calls have used so far. */
    owed: new Map<string, number>(),
    available(userId: string): number {
      return (store.user(userId)?.units ?? 0) - (app.owed.get(userId) ?? 0);
    },
  };
  const server = await startWeb({ port: 0, app, wwwDir: o.wwwDir ?? null, routes: o.routes ?? [], clock, adapter: ADAPTER });
  const url = `http://127.0.0.1:${server.port}`;
  return {
    url,
    server,
    store,
    supervision,
    clock,
    app,
    logs,
    api(path, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has('authorization') && !headers.has('cookie')) headers.set('authorization', BASIC);
      let body = init.body;
      if (init.json !== undefined) {
        body = JSON.stringify(init.json);
        if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      }
      return fetch(url + path, { ...init, headers, body });
    },
    async close() {
      await server.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sends bytes as they are (no URL normalisation) and returns the whole raw answer. */
export function rawRequest(port: number, request: string | Buffer, o: { halfClose?: boolean; timeoutMs?: number; headOnly?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    // a server that neither answers nor closes is a failure the caller sees as 'TIMEOUT'
    sock.setTimeout(o.timeoutMs ?? 5000, () => {
      resolve('TIMEOUT ' + Buffer.concat(chunks).toString('latin1'));
      sock.destroy();
    });
    const chunks: Buffer[] = [];
    sock.on('data', (d) => {
      chunks.push(d);
      // a HEAD answer is complete at the end of its headers; the connection may stay open
      if (o.headOnly && Buffer.concat(chunks).includes('\r\n\r\n')) {
        resolve(Buffer.concat(chunks).toString('latin1'));
        sock.destroy();
      }
    });
    sock.on('error', (e) => (chunks.length ? resolve(Buffer.concat(chunks).toString('latin1')) : reject(e)));
    sock.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    sock.write(request);
    if (o.halfClose === true) sock.end();
  });
}

/** Status code of a raw HTTP answer. */
export function rawStatus(answer: string): number {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(answer);
  return m ? Number(m[1]) : 0;
}
