// The admin page in a real browser (Debian's Chromium driven by playwright-core) against a
// real appliance in demo mode: the built www, the JSON API, /ws and demo calls. It also
// refreshes docs/screenshots/<page>.png when PREPAID_SCREENSHOTS=1.
//
// PREPAID_WWW_BASE + PREPAID_WWW_PASSWORD point the same scenario at an appliance that is
// already running (the page's own development server); by default one is started here.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { BUDGET_BYTES, buildWww } from '../../scripts/build-www.mjs';
import { setLogSink } from '../log.ts';
import { releaseName } from '../../www/format.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHOTS = join(ROOT, 'docs', 'screenshots');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

interface Target {
  base: string;
  password: string;
  restart?(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Waits until `port` can be bound again. Known issue (reported): after the uWS server has
 * closed browser connections, the port stays unbindable while they sit in TIME_WAIT (~60 s).
 */
async function portFree(port: number, timeoutMs: number): Promise<void> {
  const start = Date.now();
  const end = start + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((done) => {
      const s = createServer();
      s.once('error', () => done(false));
      s.listen(port, () => s.close(() => done(true)));
    });
    if (ok) {
      if (Date.now() - start > 2000) console.warn(`# port ${port} could be bound again only after ${Date.now() - start} ms`);
      return;
    }
    if (Date.now() > end) throw new Error(`port ${port} still busy ${timeoutMs} ms after stop()`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** When the local appliance took each CONNECTED and ENDED (read off its log on the way out). */
const callLog: { at: number; event: string; call: string }[] = [];

/**
 * Runs in the page (a string: functions sent from here would carry tsx's helper names): the
 * first time each calls-table row is there, shows Connected, and is gone.
 */
const ROW_PROBE = `(() => {
  const rows = { present: {}, connected: {}, gone: {} };
  window.__rows = rows;
  const tbody = document.querySelector('table.calls tbody');
  const scan = () => {
    const now = Date.now();
    const here = new Set();
    tbody.querySelectorAll('tr[data-call]').forEach((tr) => {
      const id = tr.getAttribute('data-call');
      here.add(id);
      rows.present[id] ??= now;
      if (tr.querySelector('.st.connected')) rows.connected[id] ??= now;
    });
    for (const id in rows.present) if (!here.has(id)) rows.gone[id] ??= now;
  };
  scan();
  new MutationObserver(scan).observe(tbody, { subtree: true, childList: true, characterData: true, attributes: true });
})()`;

async function startTarget(tmp: string): Promise<Target> {
  if (process.env.PREPAID_WWW_BASE) {
    return { base: process.env.PREPAID_WWW_BASE, password: process.env.PREPAID_WWW_PASSWORD ?? '', stop: async () => {} };
  }
  const wwwDir = join(tmp, 'www');
  const built = await buildWww(wwwDir, { quiet: true });
  assert.ok(built.gzipBytes <= BUDGET_BYTES, `first load ${built.gzipBytes} B gzip`);
  const { startAppliance } = await import('../app.ts');
  setLogSink((line) => {
    const m = /^\S+ (CALL_CONNECTED|CALL_ENDED) call=(\S+)/.exec(line);
    if (m) callLog.push({ at: Date.now(), event: m[1]!, call: m[2]! });
    process.stdout.write(line + '\n');
  });
  const dataDir = join(tmp, 'data');
  mkdirSync(dataDir);
  let app = await startAppliance({ dataDir, httpPort: 0, engine: 'demo', wwwDir });
  assert.ok(app.demoPassword, 'a demo appliance on an empty store makes a password');
  const password = app.demoPassword;
  const port = app.httpPort;
  return {
    base: `http://127.0.0.1:${port}/`,
    password,
    // same port and data: the page must find its way back by itself
    restart: async () => {
      await app.stop();
      await portFree(port, 75_000);
      app = await startAppliance({ dataDir, httpPort: port, engine: 'demo', wwwDir });
    },
    stop: () => app.stop(),
  };
}

describe('admin page in Chromium', { timeout: 300_000 }, () => {
  let tmp: string;
  let target: Target;
  let ctx: BrowserContext;
  let page: Page;
  const foreign: string[] = [];
  const pageErrors: string[] = [];

  // The README's screenshots are refreshed on demand (PREPAID_SCREENSHOTS=1 npm test), so a
  // plain test run leaves the tree as it was; the picture is still taken, to prove it renders.
  const shot = async (name: string) => {
    const png = await page.screenshot({ fullPage: true, animations: 'disabled' });
    if (process.env.PREPAID_SCREENSHOTS === '1') writeFileSync(join(SHOTS, `${name}.png`), png);
  };
  const go = async (hash: string, heading: string | RegExp) => {
    await page.goto(`${target.base}#${hash}`);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  };

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    tmp = mkdtempSync(join(tmpdir(), 'prepaid-www-'));
    mkdirSync(SHOTS, { recursive: true });
    target = await startTarget(tmp);
    ctx = await chromium.launchPersistentContext(join(tmp, 'profile'), {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      acceptDownloads: true,
      viewport: { width: 1280, height: 800 },
      locale: 'en-GB',
    });
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.setDefaultTimeout(15_000);
    // no CDN, no external fonts: every request stays on the appliance
    page.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith(target.base) && !u.startsWith(target.base.replace(/^http/, 'ws')) && !u.startsWith('data:')) foreign.push(u);
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(async () => {
    await ctx?.close();
    await target?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('starts in French, refuses a wrong password, switches to English and logs in', async () => {
    await page.goto(target.base);
    await page.getByRole('heading', { name: "Connexion à l'administration" }).waitFor();
    // the password field has the focus: typing at once and Enter is a login attempt
    await page.getByLabel('Mot de passe').and(page.locator(':focus')).waitFor();
    await page.keyboard.type('not-the-password');
    await page.keyboard.press('Enter');
    await page.getByText('Mot de passe incorrect.').waitFor();

    await page.getByRole('button', { name: 'EN', exact: true }).click();
    await page.getByRole('heading', { name: 'Administration login' }).waitFor();
    assert.equal(await page.evaluate(() => localStorage.getItem('prepaid.lang')), 'en');
    await shot('login');

    await page.getByLabel('Password').fill(target.password);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Main menu' }).waitFor();
    await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
    await shot('home');
  });

  it('shows every general parameter of the seed, with the unit price as 0,000100', async () => {
    // the seed's title: "General parameters (Prepaid v2.0-r1)" for version 2.0.0
    await go('/config', `General parameters (Prepaid v${releaseName(VERSION)})`);
    for (const label of [
      'Web port', 'Admin password', 'Default media language', 'SVI DID', 'A6000 address', 'A6000 port',
      'A6000 connection timeout (sec)', 'Timezone', 'Default calling address', 'Default calling forced',
      'Service log', 'Columns separator', 'Currency', 'Unit price', 'Warning before cut (sec)', 'Billing schedule (cron)',
    ]) {
      assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, label);
    }
    assert.equal(await page.getByLabel('Unit price').inputValue(), '0,000100');
    assert.equal(await page.getByLabel('Currency').inputValue(), 'Euros');
    // a bad value is stopped before the API, next to its field
    await page.getByLabel('A6000 connection timeout (sec)').fill('0');
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.getByText('A whole number from 1 to 60.').waitFor();
    assert.equal(await page.getByLabel('A6000 connection timeout (sec)').getAttribute('aria-invalid'), 'true');
    await page.getByLabel('A6000 connection timeout (sec)').fill('2');
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.getByText('Saved.').waitFor();
    await shot('config');
  });

  it('creates a user, shows the API error next to its field, credits 25 euros = 250000 units', async () => {
    await go('/users', 'Users');
    const create = page.getByRole('form', { name: 'New user' });
    await create.getByLabel('User ID').fill('4242');
    await create.getByLabel('Name').fill('Browser test');
    await create.getByLabel('Password (PIN)').fill('12');
    await create.getByRole('button', { name: 'Create' }).click();
    await create.getByText('4 to 12 digits.').waitFor();
    await create.getByLabel('Password (PIN)').fill('73519046');
    await create.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('link', { name: '4242', exact: true }).waitFor();

    // the same PIN again: the API refuses it (409) and the page says so beside the PIN
    await create.getByLabel('User ID').fill('4243');
    await create.getByLabel('Name').fill('Same PIN');
    await create.getByLabel('Password (PIN)').fill('73519046');
    await create.getByRole('button', { name: 'Create' }).click();
    const pin = create.getByLabel('Password (PIN)');
    await page.waitForFunction(() => document.querySelector('form[aria-label="New user"] input[name="pin"]')?.getAttribute('aria-invalid') === 'true');
    const described = await pin.getAttribute('aria-describedby');
    assert.ok(described, 'the PIN field points at its error');
    assert.match((await page.locator(`[id="${described!.split(' ').pop()}"]`).innerText()).toLowerCase(), /pin/);
    assert.equal(await page.getByRole('link', { name: '4243', exact: true }).count(), 0);
    await shot('users');

    await page.getByRole('link', { name: '4242', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'UserID 4242' }).waitFor();
    await page.getByText('Available units : 0 (0,00 Euros)').waitFor();
    await page.getByLabel('Add Euros').fill('25');
    await page.getByText('= 250000 units').waitFor();
    await page.getByLabel('Add Euros').press('Enter');
    await page.getByText('Available units : 250000 (25,00 Euros)').waitFor();
    const credit = page.getByRole('row').filter({ hasText: 'CREDIT' });
    await credit.filter({ hasText: '+250000' }).filter({ hasText: '25,000000' }).waitFor();
    await page.getByRole('row').filter({ hasText: 'Total' }).filter({ hasText: '25,00' }).waitFor();
    await shot('user');

    // a script credits the same user: the open page shows it without a reload
    const script = await fetch(new URL('api/users/4242/credit', target.base), {
      method: 'POST',
      headers: { authorization: 'Basic ' + Buffer.from(`admin:${target.password}`).toString('base64'), 'content-type': 'application/json' },
      body: JSON.stringify({ units: 1000 }),
    });
    assert.ok(script.ok, `credit by script: ${script.status}`);
    await page.getByText('Available units : 251000 (25,10 Euros)').waitFor({ timeout: 25_000 });

    await page.getByRole('link', { name: 'DIDmap' }).click();
    await page.getByRole('heading', { level: 1, name: 'DID mapping for user 4242' }).waitFor();
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByLabel('DID 1', { exact: true }).fill('0561599999');
    await page.getByLabel('Forwarded number 1', { exact: true }).fill('0141587070');
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.getByText('Saved.').waitFor();
    await shot('dids');
  });

  it('adds a cost row shown as units/s and currency per minute', async () => {
    await go('/costs', 'Costs');
    await page.getByRole('row').filter({ hasText: 'DEFAULT' }).filter({ hasText: '200 (1,2000 Euros/min)' }).waitFor();
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const editor = page.getByRole('form', { name: 'New cost row' });
    await editor.getByLabel('Destination prefix').fill('38');
    await editor.getByLabel('H1: Units/sec').fill('180');
    await editor.getByRole('button', { name: 'Submit' }).click();
    const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: '38', exact: true }) });
    await row.filter({ hasText: '180 (1,0800 Euros/min)' }).waitFor();
    assert.match(await row.innerText(), /0 \(0,0000 Euros\/min\)/);
    await shot('costs');
  });

  it('shows a demo call live in Supervision, its duration ticking', async () => {
    await go('/supervision', 'Supervision');
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    // a connected call whose Duration grows while watched (a call may end meanwhile: try another)
    let ticked = false;
    for (let attempt = 0; attempt < 5 && !ticked; attempt++) {
      const connected = page.locator('table.calls tbody tr').filter({ hasText: 'Connected' }).first();
      await connected.waitFor({ timeout: 120_000 });
      const callId = await connected.getAttribute('data-call');
      const row = page.locator(`table.calls tbody tr[data-call="${callId}"]`);
      const first = Number(await row.locator('td.duration').innerText());
      await page.waitForTimeout(2500);
      if ((await row.count()) === 0 || !(await row.innerText()).includes('Connected')) continue;
      const later = Number(await row.locator('td.duration').innerText());
      assert.ok(later >= first + 1, `duration went from ${first} to ${later}`);
      ticked = true;
    }
    assert.ok(ticked, 'no connected call stayed up for 2.5 s');
    for (const h of ['Caller', 'Status', 'UserID', 'Credit (units)', 'Credit (Euros)', 'Dialed', 'Cost (ups)', 'Duration', 'Consumption (units)', 'Consumption (Euros)']) {
      await page.getByRole('columnheader', { name: h, exact: true }).waitFor();
    }
    await shot('supervision');
  });

  it('shows a call as Connected within 1 s of its CONNECTED and drops its row within 1 s of its end', { skip: process.env.PREPAID_WWW_BASE ? 'external appliance: its log is not here' : false }, async () => {
    await go('/supervision', 'Supervision');
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    const since = Date.now();
    await page.evaluate(ROW_PROBE);
    type Rows = Record<'present' | 'connected' | 'gone', Record<string, number>>;
    const rows = () => page.evaluate('window.__rows') as Promise<Rows>;
    const endOf = (call: string) => callLog.find((e) => e.event === 'CALL_ENDED' && e.call === call);
    const deadline = Date.now() + 90_000;
    const next = async (pick: (r: Rows) => { at: number; call: string } | undefined) => {
      for (;;) {
        const e = pick(await rows());
        if (e) return e;
        assert.ok(Date.now() < deadline, 'the demo placed no call to judge in 90 s');
        await page.waitForTimeout(250);
      }
    };
    // the first call to connect from now on (one that also ended within that second cannot tell)
    const tooShort = new Set<string>();
    for (;;) {
      const c = await next(() => callLog.find((e) => e.event === 'CALL_CONNECTED' && e.at >= since && !tooShort.has(e.call)));
      await page.waitForTimeout(Math.max(0, c.at + 1100 - Date.now()));
      const end = endOf(c.call);
      if (end && end.at < c.at + 1000) {
        tooShort.add(c.call);
        continue;
      }
      const shown = (await rows()).connected[c.call];
      assert.ok(shown !== undefined && shown - c.at <= 1000, `call ${c.call} connected; its row showed it ${shown === undefined ? 'not within 1 s' : `${shown - c.at} ms later`}`);
      break;
    }
    // the first call the table showed that ends from now on
    const e = await next((r) => callLog.find((x) => x.event === 'CALL_ENDED' && x.at >= since && (r.present[x.call] ?? Infinity) < x.at));
    await page.waitForTimeout(Math.max(0, e.at + 1100 - Date.now()));
    const gone = (await rows()).gone[e.call];
    assert.ok(gone !== undefined && gone - e.at <= 1000, `call ${e.call} ended; its row went ${gone === undefined ? 'not within 1 s' : `${gone - e.at} ms later`}`);
  });

  it('lists CDRs with the seed columns and a CSV export link', async () => {
    await go('/cdrs', 'CDRs');
    for (const h of ['Date', 'TimeStamp', 'ConnectDelay', 'Durat.', 'Cost', 'User', 'Dialed num', 'CallId']) {
      await page.getByRole('columnheader', { name: h, exact: true }).waitFor();
    }
    assert.equal(await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href'), 'api/cdrs.csv');
    await shot('cdrs');
  });

  it('Start billing asks first, writes the archive, and the archive downloads', async () => {
    await go('/users', 'Users');
    await page.getByRole('button', { name: 'Start billing' }).click();
    const dialog = page.locator('dialog[open]');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await page.getByRole('link', { name: /^BILLING_\d{8}_\d{6}\.csv$/ }).count(), 0);

    await page.getByRole('button', { name: 'Start billing' }).click();
    await dialog.getByRole('button', { name: 'Start billing' }).click();
    const link = page.getByRole('link', { name: /^BILLING_\d{8}_\d{6}\.csv$/ });
    await link.waitFor();
    const name = await link.innerText();
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    assert.equal(download.suggestedFilename(), name);
    const csv = readFileSync(await download.path(), 'utf8');
    assert.match(csv, /User number : 4242/);
    assert.match(csv, /250000/);

    await go('/archives', 'Archived billing');
    await page.getByRole('link', { name: `Download ${name}` }).waitFor();
    await shot('archives');
  });

  it('fits a 360 px wide screen with labelled controls on every page', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    const pages: [string, string | RegExp][] = [
      ['/', 'Home'], ['/config', /^General parameters/], ['/users', 'Users'], ['/users/4242', 'UserID 4242'],
      ['/users/4242/dids', 'DID mapping for user 4242'], ['/costs', 'Costs'], ['/supervision', 'Supervision'],
      ['/cdrs', 'CDRs'], ['/archives', 'Archived billing'],
    ];
    for (const [hash, heading] of pages) {
      await go(hash, heading);
      await page.waitForTimeout(200);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 360, `${hash} is ${width} px wide at 360`);
      const unlabelled = await page.evaluate(() =>
        Array.from(document.querySelectorAll('input, select, textarea'))
          .filter((el) => (el as HTMLInputElement).labels?.length === 0 && !el.getAttribute('aria-label'))
          .map((el) => el.outerHTML),
      );
      assert.deepEqual(unlabelled, [], `${hash} has controls without a label`);
    }
    await go('/users/4242', 'UserID 4242');
    await shot('user-360');
    await go('/supervision', 'Supervision');
    await shot('supervision-360');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('comes back by itself after the appliance restarts, still logged in', { skip: process.env.PREPAID_WWW_BASE ? 'external appliance' : false }, async () => {
    let sockets = 0;
    page.on('websocket', () => sockets++);
    await go('/supervision', 'Supervision');
    const live = page.getByRole('status').filter({ hasText: 'Live' });
    await live.waitFor();
    const before = sockets;
    await target.restart!();
    // a new socket goes live by itself: the session survived the restart (kept in the store)
    const login = page.getByRole('heading', { name: 'Administration login' });
    const deadline = Date.now() + 30_000;
    while (!(sockets > before && (await live.isVisible()))) {
      assert.equal(await login.isVisible(), false, 'the restart logged the admin out');
      assert.ok(Date.now() < deadline, 'the page did not reconnect');
      await page.waitForTimeout(200);
    }
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Supervision' }).waitFor();
    assert.equal(await login.isVisible(), false);
  });

  it('loaded nothing from outside the appliance and threw no error', () => {
    assert.deepEqual(foreign, []);
    assert.deepEqual(pageErrors, []);
  });
});
