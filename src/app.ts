// The appliance: store, rating, metering, engine link, call flows, web and billing schedule
// wired together. `prepaid serve` runs one; the end-to-end tests run the built bundle.
// Start-up cost matters on a box (cold start to /health, idle memory, see
// docs/benchmarks/firmware.md): what no request needs before the first call is made on
// first use (the rate table) or imported when needed (demo engine, billing schedule).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { claimDataDir } from './appliance/data-lock.ts';
import { AppError } from './errors.ts';
import { supervisionOf } from './appliance/supervision.ts';
import { systemClock } from './clock.ts';
import { PinGuard } from './calls/pin-guard.ts';
import { Switchboard } from './calls/switchboard.ts';
import { EngineLink } from './engine/link.ts';
import { log, setServiceLog } from './log.ts';
import { Meter } from './metering/index.ts';
import { nativesReport } from './native/index.ts';
import { RateTable } from './rating/index.ts';
import { reportRoutes } from './reports/routes.ts';
import type { BillingSchedule } from './reports/schedule.ts';
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

/**
 * A Node.js built without ICU (Buildroot without the icu package) has no Intl: every call
 * would fail to be priced while /health said ok. Refused at start, before anything is touched.
 */
export function checkRuntime(versions: NodeJS.ProcessVersions = process.versions): void {
  if (!versions.icu || typeof Intl !== 'object') {
    throw new AppError('INTERNAL', 'this Node.js has no Intl (built without ICU): prepaid needs time zones; on Buildroot, select BR2_PACKAGE_ICU');
  }
}

export async function startAppliance(o: ApplianceOptions): Promise<RunningAppliance> {
  checkRuntime();
  const clock = systemClock;
  const store = Store.open(o.dataDir);
  let release: () => void;
  try {
    release = claimDataDir(o.dataDir);
  } catch (e) {
    await store.close();
    throw e;
  }
  let config: Config = store.config();
  setServiceLog(config.serviceLog);
  // Built on first use and rebuilt after a tariff or timezone change: its Intl timezone
  // data costs ~8 MB of RSS and 10-30 ms, which an idle box never needs.
  let rateTable: RateTable | null = null;
  const rates = (): RateTable => (rateTable ??= new RateTable(store.costs(), config.timezone));

  const demo = o.engine === 'demo';
  let demoPassword: string | undefined;
  let demoEngine: { address: string; stop(): Promise<void> | void } | null = null;
  let demoUsers: typeof import('./appliance/demo-users.ts') | null = null;
  if (demo) {
    const [users, { startDemoEngine }] = await Promise.all([import('./appliance/demo-users.ts'), import('./demo/demo-engine.ts')]);
    demoUsers = users;
    const { seedDemoUsers, DEMO_USERS } = users;
    seedDemoUsers(store, clock.now());
    if (!store.adminPasswordHash()) {
      demoPassword = randomBytes(9).toString('base64url');
      // printed once, before the web answers, so whoever sees the server up can log in
      log('DEMO_ADMIN_PASSWORD', { password: demoPassword });
      store.setAdminPasswordHash(await hashPassword(demoPassword));
    }
    await store.flushed();
    demoEngine = await startDemoEngine({
      users: DEMO_USERS.map((u) => ({ pin: u.pin, ...(u.callerId ? { callerId: u.callerId } : {}), ...(u.dids ? { dids: u.dids } : {}) })),
      ivrDid: config.ivrDid,
    });
  }
  // `--engine` (and the demo) hold for the run; otherwise the link follows the parameters
  const targetOf = (c: Config): string => demoEngine?.address ?? (o.engine || `${c.engineAddress}:${c.enginePort}`);
  const engineTarget = targetOf(config);
  const link = new EngineLink({
    target: engineTarget,
    connectTimeoutMs: config.engineTimeout * 1000,
    appName: `prepaid/${APP_VERSION}`,
    clock,
  });
  const board = new Switchboard(link, clock);
  const meter = new Meter({
    store,
    rates,
    clock,
    warningSeconds: () => config.warningSeconds,
    listener: board,
  });
  board.attach({ meter, directory: store, config: () => config, guard: new PinGuard(clock), clock });
  const supervision = supervisionOf(board, meter, clock, () => config);

  let schedule: BillingSchedule | null = null;
  const app: Appliance = {
    store,
    supervision,
    linkState: () => link.state,
    natives: () => nativesReport(),
    stop: async () => stop(),
    updateConfig(patch) {
      config = store.updateConfig(patch);
      if (patch.timezone !== undefined) {
        rateTable = null;
        meter.ratesChanged(); // the live calls' H1/H2 moved with the zone: cuts and LIMITs follow
      }
      if (patch.serviceLog !== undefined) setServiceLog(config.serviceLog);
      if (patch.engineAddress !== undefined || patch.enginePort !== undefined || patch.engineTimeout !== undefined) {
        link.retarget(targetOf(config), config.engineTimeout * 1000);
      }
      if (patch.billingSchedule !== undefined || patch.timezone !== undefined) schedule?.reschedule();
      log('CONFIG_CHANGED', { keys: Object.keys(patch).join(',') });
      return config;
    },
    costsChanged() {
      rateTable = null;
    },
    balanceChanged(userId: string) {
      meter.balanceChanged(userId);
    },
    available(userId: string) {
      return meter.available(userId);
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
    // a demo password nobody could use: the next start makes and prints another
    if (demoPassword !== undefined) store.setAdminPasswordHash(null);
    await demoEngine?.stop();
    await store.flushed().catch(() => {});
    await store.close();
    release();
    throw e;
  }
  // after the web server listens: node-cron is not needed to answer /health
  const { startBillingSchedule } = await import('./reports/schedule.ts');
  schedule = startBillingSchedule(app);
  link.start();
  const topUp = demoUsers
    ? setInterval(() => {
        try {
          demoUsers.topUpDemoUsers(store, clock.now(), (id) => supervision.hasLiveCall(id));
        } catch (e) {
          log('DEMO_TOPUP_FAILED', { error: (e as Error).message });
        }
      }, 10_000).unref()
    : null;
  log('APPLIANCE_STARTED', { version: APP_VERSION, http: web.port, engine: engineTarget, data: o.dataDir });

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
      release();
      log('APPLIANCE_STOPPED');
    })();
    return stopping;
  }

  return Object.assign(app, { httpPort: web.port, demoPassword, engineTarget }) as RunningAppliance;
}
