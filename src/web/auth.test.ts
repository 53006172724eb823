import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../clock.ts';
import { Auth, MAX_QUEUE_MS, THROTTLE_MS, basicCredentials, cookieValue, hashPassword, SESSION_COOKIE, verifyPassword } from './auth.ts';

test('hashPassword: scrypt$N$r$p$salt$hash, salted, verifies only the right password', async () => {
  const a = await hashPassword('s3cret é');
  const b = await hashPassword('s3cret é');
  assert.match(a, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.notEqual(a, b, 'random salt');
  assert.equal(await verifyPassword('s3cret é', a), true);
  assert.equal(await verifyPassword('s3cret e', a), false);
  assert.equal(await verifyPassword('', a), false);
});

test('verifyPassword refuses malformed and abusive hashes without throwing', async () => {
  const good = await hashPassword('pw');
  const parts = good.split('$');
  for (const bad of [
    '', 'plain', 'scrypt$1$2$3', `bcrypt$${parts.slice(1).join('$')}`,
    `scrypt$1073741824$8$1$${parts[4]}$${parts[5]}`, // N too large: would allocate gigabytes
    `scrypt$1000$8$1$${parts[4]}$${parts[5]}`, // N not a power of two
    `scrypt$16384$8$1$$${parts[5]}`,
  ]) {
    assert.equal(await verifyPassword('pw', bad), false, bad);
  }
});

const statusOf = (r: { ok: boolean; status?: number }): number => (r.ok ? 200 : r.status!);

test('Auth: past 5 wrong passwords a minute an IP gets one check a second, wrong ones 429; the right one still gets in', async () => {
  const clock = new FakeClock(1_000_000);
  let hash: string | null = await hashPassword('right');
  const auth = new Auth(() => hash, clock);
  const ip = '10.0.0.1';
  for (let i = 0; i < 5; i++) assert.equal(statusOf(await auth.checkPassword('wrong', ip)), 401);
  // over the limit: checks run one per THROTTLE_MS, each waiting its turn
  const settled: string[] = [];
  const a = auth.checkPassword('wrong', ip).then((r) => (settled.push('a'), r));
  const b = auth.checkPassword('wrong', ip).then((r) => (settled.push('b'), r));
  const c = auth.checkPassword('right', ip).then((r) => (settled.push('c'), r));
  const ra = await a;
  assert.equal(statusOf(ra), 429);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(settled, ['a'], 'the next checks wait for their turn');
  clock.advance(THROTTLE_MS);
  assert.equal(statusOf(await b), 429);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(settled, ['a', 'b']);
  clock.advance(THROTTLE_MS);
  assert.equal((await c).ok, true, 'the right password gets in');
  // ... and cleared the count: checks run at once again, 5 failures before any 429
  assert.equal((await auth.checkPassword('right', ip)).ok, true);
  for (let i = 0; i < 5; i++) assert.equal(statusOf(await auth.checkPassword('wrong', ip)), 401);
  assert.equal((await auth.checkPassword('right', '10.0.0.2')).ok, true, 'other clients are not affected');
  clock.advance(60_000);
  assert.equal(statusOf(await auth.checkPassword('wrong', ip)), 401, 'a new window');
  hash = null;
  const none = await auth.checkPassword('right', '10.0.0.3');
  assert.equal(none.ok === false && none.status, 401, 'no password set: nothing authenticates');
});

test('Auth: a flood of wrong passwords queues at most MAX_QUEUE_MS of checks; the rest are refused unchecked at once', async () => {
  const clock = new FakeClock(1_000_000);
  const auth = new Auth(() => 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0$' + 'A'.repeat(44), clock);
  const ip = '10.0.0.9';
  for (let i = 0; i < 5; i++) assert.equal(statusOf(await auth.checkPassword('wrong', ip)), 401);
  const settled: number[] = [];
  const flood = Array.from({ length: 30 }, (_, i) => auth.checkPassword('guess' + i, ip).then((r) => (settled.push(i), r)));
  const queued = MAX_QUEUE_MS / THROTTLE_MS;
  // past the queue: answered with no turn (the fake clock has not moved)
  const early = await Promise.all(flood.slice(queued));
  assert.ok(!settled.some((i) => i >= 1 && i < queued), 'the queued checks wait for their turn');
  for (const r of early) {
    assert.equal(r.ok === false && r.status, 429);
    assert.ok(r.ok === false && r.retryAfterS! >= 1 && r.retryAfterS! <= MAX_QUEUE_MS / 1000);
  }
  clock.advance(MAX_QUEUE_MS);
  for (const r of await Promise.all(flood)) assert.equal(r.ok === false && r.status, 429);
});

test('Auth: the wrong-password count lasts a window past the last failure, not the first', async () => {
  const clock = new FakeClock(1_000_000);
  const auth = new Auth(() => 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0$' + 'A'.repeat(44), clock);
  const ip = '10.0.0.8';
  for (let i = 0; i < 5; i++) assert.equal(statusOf(await auth.checkPassword('wrong', ip)), 401);
  clock.advance(50_000);
  assert.equal(statusOf(await auth.checkPassword('wrong', ip)), 429);
  clock.advance(20_000); // 70 s after the first failure, 20 s after the last
  // its turn was due: checked without the clock moving (a wait would never end)
  const next = await Promise.race([auth.checkPassword('wrong', ip), new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
  assert.ok(next, 'checked at once');
  assert.equal(statusOf(next), 429, 'still over the limit: no fresh free tries');
  clock.advance(60_000);
  assert.equal(statusOf(await auth.checkPassword('wrong', ip)), 401, 'a window after the last failure: counted afresh');
});

test('Auth: sessions expire after 12 h idle, are touched by use, and end on logout', async () => {
  const clock = new FakeClock(0);
  const auth = new Auth(() => 'scrypt$x', clock);
  const id = auth.newSession();
  assert.equal(id.length, 43, '32 random bytes, base64url');
  const cookie = `other=1; ${SESSION_COOKIE}=${id}`;
  clock.advance(11 * 3600_000);
  assert.equal(auth.session(cookie), id);
  clock.advance(11 * 3600_000);
  assert.equal(auth.session(cookie), id, 'idle timer restarted by the previous use');
  clock.advance(12 * 3600_000);
  assert.equal(auth.session(cookie), undefined);
  const id2 = auth.newSession();
  auth.endSession(id2);
  assert.equal(auth.session(`${SESSION_COOKIE}=${id2}`), undefined);
  assert.match(auth.cookieHeader(id2), /HttpOnly; SameSite=Strict; Path=\//);
});

test('cookie and Basic header parsing', () => {
  assert.equal(cookieValue('a=1; b = 2 ;c=3', 'b'), '2');
  assert.equal(cookieValue('a=1', 'b'), undefined);
  assert.deepEqual(basicCredentials('Basic ' + Buffer.from('admin:p:w').toString('base64')), { user: 'admin', password: 'p:w' });
  assert.equal(basicCredentials('Bearer x'), null);
  assert.equal(basicCredentials('Basic ' + Buffer.from('nocolon').toString('base64')), null);
});

test('Auth: sessions outlive a restart through the keeper, as digests, and end with a new password', () => {
  const clock = new FakeClock(0);
  let saved: unknown = null;
  const keeper = { load: () => saved, save: (s: unknown) => void (saved = structuredClone(s)) };
  let hash = 'scrypt$one';
  const first = new Auth(() => hash, clock, keeper);
  const id = first.newSession();
  const cookie = `${SESSION_COOKIE}=${id}`;
  assert.doesNotMatch(JSON.stringify(saved), new RegExp(id), 'the store never holds a usable session id');

  clock.advance(3600_000);
  const second = new Auth(() => hash, clock, keeper); // the appliance restarted
  assert.equal(second.session(cookie), id);
  assert.equal(second.session(`${SESSION_COOKIE}=forged`), undefined);

  // a password set while it was stopped (prepaid passwd) ends the sessions of the old one
  hash = 'scrypt$two';
  const third = new Auth(() => hash, clock, keeper);
  assert.equal(third.session(cookie), undefined);
  assert.deepEqual(saved, {}, 'the ended session is forgotten by the store too');

  // idle past 12 h while stopped: not brought back
  const fourth = new Auth(() => hash, clock, keeper);
  const id2 = fourth.newSession();
  clock.advance(12 * 3600_000);
  assert.equal(new Auth(() => hash, clock, keeper).session(`${SESSION_COOKIE}=${id2}`), undefined);
});
