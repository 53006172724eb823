// Authentication through the real server: Basic, cookie sessions, rate limit, first run.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASIC, openBed, PASSWORD, type Bed } from './testbed.ts';

let bed: Bed;
before(async () => {
  bed = await openBed();
});
after(async () => {
  await bed.close();
});

const basic = (user: string, pw: string): string => 'Basic ' + Buffer.from(`${user}:${pw}`).toString('base64');

async function login(password: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(bed.url + '/api/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ password }),
  });
}

function sessionCookie(res: Response): string {
  const set = res.headers.get('set-cookie') ?? '';
  const m = /^(prepaid_session=[^;]+)/.exec(set);
  assert.ok(m, `a session cookie: ${set}`);
  return m[1]!;
}

test('/api/* without credentials is 401 with a JSON error; /health needs none', async () => {
  const r = await fetch(bed.url + '/api/users');
  assert.equal(r.status, 401);
  const body = await r.json();
  assert.equal(body.code, 'UNAUTHORIZED');
  assert.equal(typeof body.error, 'string');
  // scripts get the Basic challenge their tools wait for; the admin page (X-Requested-With) none,
  // so the browser never opens its own password dialog over the page's login
  assert.equal(r.headers.get('www-authenticate'), 'Basic realm="prepaid", charset="UTF-8"');
  const page = await fetch(bed.url + '/api/users', { headers: { 'x-requested-with': 'prepaid-admin' } });
  assert.equal(page.status, 401);
  assert.equal(page.headers.get('www-authenticate'), null);
  const h = await fetch(bed.url + '/health');
  assert.equal(h.status, 200);
  assert.deepEqual(await h.json(), { status: 'ok', engine: 'up', natives: { uws: 'test' } });
  assert.equal(h.headers.get('cache-control'), 'no-store');
  // unknown API paths are not revealed before authentication
  assert.equal((await fetch(bed.url + '/api/nothing-here')).status, 401);
});

test('Basic auth: user admin with the password; anything else 401', async () => {
  assert.equal((await fetch(bed.url + '/api/users', { headers: { authorization: BASIC } })).status, 200);
  assert.equal((await fetch(bed.url + '/api/users', { headers: { authorization: basic('root', PASSWORD) } })).status, 401);
  assert.equal((await fetch(bed.url + '/api/users', { headers: { authorization: basic('admin', 'nope') } })).status, 401);
  assert.equal((await fetch(bed.url + '/api/users', { headers: { authorization: 'Bearer abc' } })).status, 401);
});

test('cookie session: login, use, GET /api/session, logout', async () => {
  const bad = await login('wrong', { 'x-forwarded-for': 'ignored' });
  assert.equal(bad.status, 401);
  assert.equal(bad.headers.get('set-cookie'), null);
  const ok = await login(PASSWORD);
  assert.equal(ok.status, 200);
  const set = ok.headers.get('set-cookie') ?? '';
  assert.match(set, /HttpOnly/);
  assert.match(set, /SameSite=Strict/);
  assert.match(set, /Path=\//);
  const cookie = sessionCookie(ok);
  assert.equal((await fetch(bed.url + '/api/users', { headers: { cookie } })).status, 200);
  assert.deepEqual(await (await fetch(bed.url + '/api/session', { headers: { cookie } })).json(), { loggedIn: true, passwordSet: true });
  assert.deepEqual(await (await fetch(bed.url + '/api/session')).json(), { loggedIn: false, passwordSet: true });

  const out = await fetch(bed.url + '/api/session', { method: 'DELETE', headers: { cookie } });
  assert.equal(out.status, 200);
  assert.match(out.headers.get('set-cookie') ?? '', /Max-Age=0/);
  assert.equal((await fetch(bed.url + '/api/users', { headers: { cookie } })).status, 401, 'the session is gone server-side');
  assert.equal((await fetch(bed.url + '/api/users', { headers: { cookie: 'prepaid_session=forged' } })).status, 401);
});

test('CSRF: a write from a browser needs a JSON body, X-Requested-With or our Origin, cookie or Basic', async () => {
  const cookie = sessionCookie(await login(PASSWORD));
  const formLike = await fetch(bed.url + '/api/users', {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
    body: JSON.stringify({ id: '7001', name: 'x', pin: '7001' }),
  });
  assert.equal(formLike.status, 403);
  assert.equal(bed.store.user('7001'), undefined);
  const ours = await fetch(bed.url + '/api/users', {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json', origin: bed.url },
    body: JSON.stringify({ id: '7001', name: 'x', pin: '7001' }),
  });
  assert.equal(ours.status, 201);
  const del = await fetch(bed.url + '/api/users/7001', { method: 'DELETE', headers: { cookie, 'x-requested-with': 'fetch', origin: 'http://evil.example' } });
  assert.equal(del.status, 204);
  // a script (no Origin: curl, wget) may send its JSON under any content type
  const script = await fetch(bed.url + '/api/users', { method: 'POST', headers: { authorization: BASIC, 'content-type': 'text/plain' }, body: JSON.stringify({ id: '7002', name: 'y', pin: '7002' }) });
  assert.equal(script.status, 201);
  // a browser's cached Basic credentials sent by another site's form change nothing
  const cached = await fetch(bed.url + '/api/users', {
    method: 'POST',
    headers: { authorization: BASIC, 'content-type': 'text/plain', origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
    body: JSON.stringify({ id: '7003', name: 'z', pin: '7003' }),
  });
  assert.equal(cached.status, 403);
  assert.equal(bed.store.user('7003'), undefined);
});

test('wrong passwords: 5 per minute per client, then 429 with Retry-After, one try a second; the right one still gets in', async () => {
  for (let i = 0; i < 5; i++) {
    const r = i % 2 ? await login('bad' + i) : await fetch(bed.url + '/api/users', { headers: { authorization: basic('admin', 'bad' + i) } });
    assert.equal(r.status, 401, `attempt ${i}`);
  }
  const sixth = login('bad5');
  await new Promise((r) => setTimeout(r, 50));
  bed.clock.advance(1000); // its turn (the server's clock)
  const limited = await sixth;
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get('retry-after'), '1');
  assert.equal((await limited.json()).code, 'TOO_MANY_ATTEMPTS');
  const right = fetch(bed.url + '/api/users', { headers: { authorization: BASIC } });
  await new Promise((r) => setTimeout(r, 50));
  bed.clock.advance(1000);
  assert.equal((await right).status, 200, 'the right password is not locked out');
  assert.equal((await login(PASSWORD)).status, 200, 'and the count starts again');
});

test('login body errors are 400, not counted as wrong passwords', async () => {
  for (const body of ['', '{', '[]', '{"password":5}', '{"password":"x","extra":1}', '{"password":""}']) {
    const r = await fetch(bed.url + '/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(r.status, 400, body);
  }
  assert.equal((await login(PASSWORD)).status, 200);
});

test('changing the admin password logs out other sessions and the old password stops working', async () => {
  const mine = sessionCookie(await login(PASSWORD));
  const other = sessionCookie(await login(PASSWORD));
  const r = await fetch(bed.url + '/api/config', {
    method: 'PUT',
    headers: { cookie: mine, 'content-type': 'application/json' },
    body: JSON.stringify({ adminPassword: 'new pass' }),
  });
  assert.equal(r.status, 200);
  const cfg = await r.json();
  assert.equal('adminPassword' in cfg, false);
  assert.equal((await fetch(bed.url + '/api/users', { headers: { cookie: mine } })).status, 200);
  assert.equal((await fetch(bed.url + '/api/users', { headers: { cookie: other } })).status, 401);
  assert.equal((await fetch(bed.url + '/api/users', { headers: { authorization: BASIC } })).status, 401);
  assert.equal((await fetch(bed.url + '/api/users', { headers: { authorization: basic('admin', 'new pass') } })).status, 200);
  assert.match(bed.store.adminPasswordHash() ?? '', /^scrypt\$/);
  // restore for the other tests
  await fetch(bed.url + '/api/config', { method: 'PUT', headers: { authorization: basic('admin', 'new pass'), 'content-type': 'application/json' }, body: JSON.stringify({ adminPassword: PASSWORD }) });
});

test('first run: nothing authenticates until setup; setup works once', async () => {
  const fresh = await openBed({ password: null });
  try {
    assert.deepEqual(await (await fetch(fresh.url + '/api/session')).json(), { loggedIn: false, passwordSet: false });
    assert.equal((await fetch(fresh.url + '/api/users', { headers: { authorization: basic('admin', '') } })).status, 401);
    assert.equal((await fetch(fresh.url + '/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"password":""}' })).status, 400);
    assert.equal((await fetch(fresh.url + '/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"password":"x"}' })).status, 401);
    const bad = await fetch(fresh.url + '/api/session/setup', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"password":""}' });
    assert.equal(bad.status, 400);
    assert.equal(fresh.store.adminPasswordHash(), null);
    const setup = await fetch(fresh.url + '/api/session/setup', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"password":"first one"}' });
    assert.equal(setup.status, 201);
    const cookie = sessionCookie(setup);
    assert.equal((await fetch(fresh.url + '/api/users', { headers: { cookie } })).status, 200, 'setup logs in');
    const again = await fetch(fresh.url + '/api/session/setup', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"password":"takeover"}' });
    assert.equal(again.status, 409);
    assert.equal((await fetch(fresh.url + '/api/users', { headers: { authorization: basic('admin', 'first one') } })).status, 200);
    assert.equal((await fetch(fresh.url + '/api/users', { headers: { authorization: basic('admin', 'takeover') } })).status, 401);
  } finally {
    await fresh.close();
  }
});
