// The appliance: store, rating, metering, engine link, call flows, web and billing schedule
// wired together. `prepaid serve` runs one; the end-to-end tests run the built bundle.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from './clock.ts';
import { seedDemoUsers, topUpDemoUsers, DEMO_USERS } from './appliance/demo-users.ts';
import { supervisionOf } from './appliance/supervision.ts';
import { PinGuard } from './calls/pin-guard.ts';
import { Switchboard } from './calls/switchboard.ts';
import { startDemoEngine } from './demo/demo-engine.ts';
import { EngineLink } from './engine/link.ts';
import { log } from './log.ts';
import { Meter } from './metering/index.ts';
import { nativesReport } from './native/index.ts';
import { RateTable } from './rating/index.ts';
import { reportRoutes } from './reports/routes.ts';
import { startBillingSchedule } from './reports/schedule.ts';
import { Store, type Config } from './store/index.ts';
import { hashPassword } from './web/auth.ts';
import type { Appliance, LinkState, LiveCall, Supervision } from './web/appliance.ts';
import { startWeb } from './web/server.ts';

export type { Appliance, LinkState, LiveCall, Supervision };
export const APP_VERSION = '2.0.0';

export interface ApplianceOptions {
  dataDir: string;
  httpPort?: number;
  /** 'host:port', 'serial:/dev/x?baud=N' or 'demo'; default: the configured A6000 address. */
  engine?: string;
  /** The built admin page; default: `www` beside the bundle, else dist/www. */
  wwwDir?: string | null;
}

export interface RunningAppliance extends Appliance {
  httpPort: number;
  /** Set once, when `--engine demo` found no admin password and made one. */
  demoPassword?: string;
  /** Engine address the link uses (the demo engine's when in demo mode). */
  engineTarget: string;
}

function defaultWwwDir(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const d of [join(here, 'www'), join(here, '..', 'dist', 'www')]) if (existsSync(join(d, 'index.html'))) return d;
  return null;
}

export async function startAppliance(o: ApplianceOptions): Promise<RunningAppliance> {
  const clock = systemClock;
  const store = Store.open(o.dataDir);
  let config: Config = store.config();
  let rates = new RateTable(store.costs(), config.timezone);

  const demo = o.engine === 'demo';
  let demoPassword: string | undefined;
  let demoEngine: { address: string; stop(): Promise<void> | void } | null = null;
  if (demo) {
    seedDemoUsers(store, clock.now());
    if (!store.adminPasswordHash()) {
      demoPassword = randomBytes(9).toString('base64url');
      store.setAdminPasswordHash(await hashPassword(demoPassword));
    }
    await store.flushed();
    demoEngine = await startDemoEngine({
      users: DEMO_USERS.map((u) => ({ pin: u.pin, ...(u.callerId ? { callerId: u.callerId } : {}), ...(u.dids ? { dids: u.dids } : {}) })),
      ivrDid: config.ivrDid,
    });
  }
  const engineTarget = demoEngine ? demoEngine.address : o.engine || `${config.engineAddress}:${config.enginePort}`;
  const link = new EngineLink({
    target: engineTarget,
    connectTimeoutMs: config.engineTimeout * 1000,
    appName: `prepaid/${APP_VERSION}`,
    clock,
  });
  const board = new Switchboard(link, clock);
  const meter = new Meter({
    store,
    rates: () => rates,
    clock,
    warningSeconds: () => config.warningSeconds,
    listener: board,
  });
  board.attach({ meter, directory: store, config: () => config, guard: new PinGuard(clock), clock });
  const supervision = supervisionOf(board, meter, clock, () => config);

  let schedule: ReturnType<typeof startBillingSchedule> | null = null;
  const app: Appliance = {
    store,
    supervision,
    linkState: () => link.state,
    natives: () => nativesReport(),
    stop: async () => stop(),
    updateConfig(patch) {
      config = store.updateConfig(patch);
      if (patch.timezone !== undefined) rates = new RateTable(store.costs(), config.timezone);
      if (patch.billingSchedule !== undefined || patch.timezone !== undefined) schedule?.reschedule();
      log('CONFIG_CHANGED', { keys: Object.keys(patch).join(',') });
      return config;
    },
    costsChanged() {
      rates = new RateTable(store.costs(), config.timezone);
    },
    balanceChanged(userId: string) {
      meter.balanceChanged(userId);
    },
  };

  let web: Awaited<ReturnType<typeof startWeb>>;
  try {
    web = await startWeb({
      port: o.httpPort ?? config.webPort,
      app,
      wwwDir: o.wwwDir === undefined ? defaultWwwDir() : o.wwwDir,
      routes: [reportRoutes],
    });
  } catch (e) {
    // nothing may stay open behind a failed start (the process must be able to exit)
    meter.close();
    await demoEngine?.stop();
    await store.flushed().catch(() => {});
    await store.close();
    throw e;
  }
  schedule = startBillingSchedule(app);
  link.start();
  const topUp = demo
    ? setInterval(() => {
        try {
          topUpDemoUsers(store, clock.now(), (id) => supervision.hasLiveCall(id));
        } catch (e) {
          log('DEMO_TOPUP_FAILED', { error: (e as Error).message });
        }
      }, 10_000).unref()
    : null;
  log('APPLIANCE_STARTED', { version: APP_VERSION, http: web.port, engine: engineTarget, data: o.dataDir });
  if (demoPassword) log('DEMO_ADMIN_PASSWORD', { password: demoPassword });

  let stopping: Promise<void> | null = null;
  function stop(): Promise<void> {
    stopping ??= (async () => {
      log('APPLIANCE_STOPPING');
      if (topUp) clearInterval(topUp);
      schedule?.stop();
      await board.shutdown();
      meter.checkpointNow();
      meter.close();
      await link.stop();
      await demoEngine?.stop();
      await web.close();
      await store.flushed();
      await store.close();
      log('APPLIANCE_STOPPED');
    })();
    return stopping;
  }

  return Object.assign(app, { httpPort: web.port, demoPassword, engineTarget }) as RunningAppliance;
}
