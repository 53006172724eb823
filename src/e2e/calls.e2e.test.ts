// End to end: the built bundle, an engine emulator over TCP, the JSON API over HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EngineEmulator, type ReceivedLine } from '../engine/emulator.ts';
import { api, setPassword, startBundle, tempData, until, type Running } from './harness.ts';

function cmd(emu: EngineEmulator, verb: string, call: string, match: (l: ReceivedLine) => boolean = () => true) {
  return emu.commands.find((l) => l.verb === verb && l.fields.call === call && match(l));
}
async function waitCmd(emu: EngineEmulator, verb: string, call: string, match?: (l: ReceivedLine) => boolean, ms = 8000) {
  await emu.waitFor(() => cmd(emu, verb, call, match) !== undefined, ms, `${verb} on ${call}`);
  return cmd(emu, verb, call, match)!;
}
const prompts = (l: ReceivedLine) => (l.fields.prompts ?? '').split(',');

async function createUser(base: string, u: { id: string; pin: string; callerId?: string; units: number }) {
  const r = await api(base, 'POST', '/api/users', { id: u.id, name: `User ${u.id}`, pin: u.pin, ...(u.callerId ? { callerId: u.callerId } : {}) });
  assert.equal(r.status < 300, true, JSON.stringify(r.body));
  const c = await api(base, 'POST', `/api/users/${u.id}/credit`, { units: u.units });
  assert.equal(c.status < 300, true, JSON.stringify(c.body));
}

describe('calls over the engine link (bundle + emulator)', () => {
  let emu: EngineEmulator;
  let app: Running;
  let data: string;

  before(async () => {
    emu = await EngineEmulator.start({ promptMs: 50, dial: { kind: 'answer', afterMs: 200 } });
    data = tempData();
    setPassword(data);
    app = await startBundle({ dataDir: data, engine: emu.address });
    await until('link up', async () => ((await api(app.base, 'GET', '/health')).body as any).engine === 'up' || undefined);
    await api(app.base, 'PUT', '/api/costs/38', { h1: 180, h2Begin: '00:00', h2End: '00:00', h2: 0 });
    await api(app.base, 'PUT', '/api/costs/42', { h1: 250 });
  });
  after(async () => {
    const code = await app?.stop();
    await emu?.close();
    assert.equal(code, 0);
  });

  it('IVR: 250000 units announced as 25 euros; a 40 s call to 38… costs 7200 (-0,72) and leaves 23,58-style amounts', async () => {
    await createUser(app.base, { id: '1001', pin: '2345', units: 250000 });
    const call = emu.offer({ from: '0600000001', to: '6000' });
    await waitCmd(emu, 'PLAY', call, (l) => prompts(l).includes('fr/agent-pass'));
    emu.sendDigits(call, '2345#');
    const credit = await waitCmd(emu, 'PLAY', call, (l) => prompts(l).includes('fr/vm-youhave'));
    assert.deepEqual(prompts(credit).slice(0, 4), ['fr/vm-youhave', 'fr/digits/20', 'fr/digits/5', 'fr/currency-euros']);
    emu.sendDigits(call, '380141587070#');
    const dial = await waitCmd(emu, 'DIAL', call);
    assert.equal(dial.fields.to, '380141587070');
    assert.equal(dial.fields.limit, String(Math.floor(250000 / 180)));
    await emu.waitFor(() => emu.call(call)?.state === 'connected', 5000, 'connected');
    const live = await api(app.base, 'GET', '/api/calls');
    assert.equal((live.body as any[]).find((c) => c.callId === call)?.status, 'connected');
    // hang up just before 40 s on the engine's clock: 39.95 s is billed as 40 s
    const connectedAt = emu.call(call)!.connectedAt!;
    await new Promise((r) => setTimeout(r, connectedAt + 39_950 - Date.now()));
    emu.hangupByCaller(call);
    const cdr = await until('CDR', async () => {
      const r = await api(app.base, 'GET', '/api/cdrs');
      return (r.body as any).cdrs.find((c: any) => c.callId === call);
    });
    const ended = emu.call(call)!.ended!.at;
    assert.ok(ended - connectedAt <= 40_000, `engine said ${ended - connectedAt} ms`);
    assert.equal(cdr.duration, 40);
    assert.equal(cdr.cost, 7200);
    const ledger = (await api(app.base, 'GET', '/api/users/1001/ledger')).body as any;
    const line = ledger.lines.find((l: any) => l.operation === 'CALL');
    assert.equal(line.units, -7200);
    assert.equal(line.amount, '-0.720000');
    assert.equal(line.dialed, '380141587070');
    assert.equal(ledger.total.units, 242800);
  });

  it('cut-off: 1000 units at 200 u/s: DIAL limit=5, released with the announcement 5 s after CONNECTED, billed exactly 1000', async () => {
    await createUser(app.base, { id: '2001', pin: '5555', callerId: '0600000002', units: 1000 });
    const call = emu.offer({ from: '0600000002', to: '0145000000' });
    const dial = await waitCmd(emu, 'DIAL', call);
    assert.equal(dial.fields.limit, '5');
    await emu.waitFor(() => emu.call(call)?.state === 'connected', 5000, 'connected');
    const connectedAt = emu.call(call)!.connectedAt!;
    const hangup = await waitCmd(emu, 'HANGUP', call, undefined, 8000);
    assert.deepEqual(prompts(hangup), ['fr/credit-exhausted', 'fr/goodbye']);
    const lag = hangup.at - (connectedAt + 5000);
    assert.ok(Math.abs(lag) < 200, `cut ${lag} ms from the exact instant`);
    const user = await until('settled', async () => {
      const u = (await api(app.base, 'GET', '/api/users/2001')).body as any;
      return u.units === 0 ? u : undefined;
    });
    assert.equal(user.units, 0);
    const cdr = ((await api(app.base, 'GET', '/api/cdrs')).body as any).cdrs.find((c: any) => c.callId === call);
    assert.equal(cdr.cost, 1000);
  });

  it('two concurrent calls on one balance never bill more than it; billed + left = start', async () => {
    await createUser(app.base, { id: '3001', pin: '6666', callerId: '0600000003', units: 1500 });
    const a = emu.offer({ from: '0600000003', to: '0145000001' });
    await emu.waitFor(() => emu.call(a)?.state === 'connected', 5000, 'a connected');
    const b = emu.offer({ from: '0600000003', to: '0145000002' });
    await emu.waitFor(() => emu.call(b)?.state === 'connected', 5000, 'b connected');
    await waitCmd(emu, 'HANGUP', a, undefined, 10_000);
    await waitCmd(emu, 'HANGUP', b, undefined, 10_000);
    const cdrs = await until('both CDRs', async () => {
      const all = ((await api(app.base, 'GET', '/api/cdrs')).body as any).cdrs.filter((c: any) => c.callId === a || c.callId === b);
      return all.length === 2 ? all : undefined;
    });
    const billed = cdrs[0].cost + cdrs[1].cost;
    const left = ((await api(app.base, 'GET', '/api/users/3001')).body as any).units;
    assert.ok(billed <= 1500);
    assert.equal(billed + left, 1500);
    assert.ok(left < 200, `left ${left}: the calls used what the balance could pay`);
  });

  it('a call that fails to connect costs nothing and leaves a CDR with an empty connect delay', async () => {
    await createUser(app.base, { id: '4001', pin: '7777', callerId: '0600000004', units: 5000 });
    const call = emu.offer({ from: '0600000004', to: '0145000003', dial: { kind: 'fail', cause: 'busy', afterMs: 50 } });
    await waitCmd(emu, 'HANGUP', call);
    const cdr = await until('CDR', async () =>
      ((await api(app.base, 'GET', '/api/cdrs')).body as any).cdrs.find((c: any) => c.callId === call),
    );
    assert.equal(cdr.cost, 0);
    assert.equal(cdr.duration, 0);
    assert.ok(cdr.connectDelay === null || cdr.connectDelay === '');
  });

  it('fuzzed engine lines never crash the app nor drop the link', async () => {
    const before = emu.stats.connections;
    const junk = [
      'GARBAGE',
      'offer call=x',
      'OFFER call=%ZZ from=1 to=2 at=1',
      'DIGITS call=nobody digits=1 at=1',
      'ENDED call=nobody by=caller cause=16 at=notanumber',
      'FROB ref=77 x=1',
      'CONNECTED',
      '=== ===',
      'PLAYED call=x ref=abc',
      'x'.repeat(5000),
      'OFFER call=' + 'y'.repeat(100) + ' from=1 to=6000 at=1',
    ];
    for (const l of junk) emu.rawSend(l);
    for (let i = 0; i < 50; i++) emu.rawWrite(Buffer.from(Array.from({ length: 64 }, () => Math.floor(Math.random() * 256))));
    emu.rawWrite(Buffer.from('\n'));
    const err = await emu.waitFor(() => emu.sent.some(() => true), 1000).then(() => emu.commands.find((l) => l.verb === 'ERR' && l.fields.ref === '77'));
    await until('ERR for the unknown verb', () => emu.commands.find((l) => l.verb === 'ERR' && l.fields.ref === '77'), 3000);
    void err;
    const health = (await api(app.base, 'GET', '/health')).body as any;
    assert.equal(health.engine, 'up');
    assert.equal(emu.stats.connections, before);
    assert.equal(app.proc.exitCode, null);
  });

  it('malformed HTTP requests get a 4xx and change nothing', async () => {
    const users = (await api(app.base, 'GET', '/api/users')).body;
    const bad: [string, string, unknown][] = [
      ['POST', '/api/users', { id: 'abc', name: 'x', pin: '12' }],
      ['POST', '/api/users', { id: '9', name: 'x', pin: '2345' }], // PIN of 1001 already
      ['POST', '/api/users/1001/credit', { units: 1.5 }],
      ['POST', '/api/users/1001/credit', { amount: 'lots' }],
      ['PUT', '/api/config', { webPort: 'eighty' }],
      ['PUT', '/api/costs/12a', { h1: 5 }],
      ['DELETE', '/api/costs/DEFAULT', undefined],
    ];
    for (const [m, p, b] of bad) {
      const r = await api(app.base, m, p, b);
      assert.ok(r.status >= 400 && r.status < 500, `${m} ${p} → ${r.status}`);
    }
    const raw = await fetch(app.base + '/api/users', {
      method: 'POST',
      headers: { authorization: 'Basic ' + Buffer.from('admin:e2e-secret').toString('base64'), 'content-type': 'application/json' },
      body: '{not json',
    });
    assert.equal(raw.status, 400);
    assert.deepEqual((await api(app.base, 'GET', '/api/users')).body, users);
  });
});
