// Power cut and dropped link: no call lost, none billed twice.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineEmulator } from '../engine/emulator.ts';
import { api, setPassword, startBundle, tempData, until } from './harness.ts';

async function newUser(base: string, id: string, callerId: string, units: number) {
  await api(base, 'POST', '/api/users', { id, name: id, pin: id + '99', callerId });
  await api(base, 'POST', `/api/users/${id}/credit`, { units });
}
const linkUp = (base: string) => until('link up', async () => ((await api(base, 'GET', '/health')).body as any).engine === 'up' || undefined, 15_000);
const cdrOf = (base: string, call: string) =>
  until(`CDR of ${call}`, async () => ((await api(base, 'GET', '/api/cdrs')).body as any).cdrs.find((c: any) => c.callId === call), 15_000);

describe('recovery (bundle + emulator)', () => {
  it('kill -9 during connected calls, restart: every call billed to the second the engine says', async () => {
    const emu = await EngineEmulator.start({ dial: { kind: 'answer', afterMs: 100 } });
    const data = tempData();
    setPassword(data);
    let app = await startBundle({ dataDir: data, engine: emu.address });
    await linkUp(app.base);
    await newUser(app.base, '5001', '0611111111', 100000);
    await newUser(app.base, '5002', '0622222222', 100000);
    const a = emu.offer({ from: '0611111111', to: '0145111111' });
    const b = emu.offer({ from: '0622222222', to: '0145222222' });
    await emu.waitFor(() => emu.call(a)?.state === 'connected' && emu.call(b)?.state === 'connected', 5000, 'connected');
    await new Promise((r) => setTimeout(r, 2500));
    await app.kill9();
    // a ends while the application is dead (replayed as ENDED); b is still up at restart (ACTIVE)
    emu.hangupByCaller(a);
    await new Promise((r) => setTimeout(r, 500));
    app = await startBundle({ dataDir: data, engine: emu.address });
    await linkUp(app.base);
    await new Promise((r) => setTimeout(r, 1000));
    emu.hangupByCallee(b);
    const ca = await cdrOf(app.base, a);
    const cb = await cdrOf(app.base, b);
    for (const [cdr, id] of [[ca, a], [cb, b]] as const) {
      const c = emu.call(id);
      const seconds = Math.ceil((c!.ended!.at - c!.connectedAt!) / 1000);
      assert.equal(cdr.duration, seconds, `${id} duration`);
      assert.equal(cdr.cost, seconds * 200, `${id} cost`);
    }
    const u1 = ((await api(app.base, 'GET', '/api/users/5001')).body as any).units;
    assert.equal(u1, 100000 - ca.cost);
    const all = ((await api(app.base, 'GET', '/api/cdrs')).body as any).cdrs;
    assert.equal(all.filter((c: any) => c.callId === a).length, 1);
    assert.equal(await app.stop(), 0);
    await emu.close();
  });

  it('a dropped link loses no call: the call ended meanwhile is settled from the replay', async () => {
    const emu = await EngineEmulator.start({ dial: { kind: 'answer', afterMs: 100 } });
    const data = tempData();
    setPassword(data);
    const app = await startBundle({ dataDir: data, engine: emu.address });
    await linkUp(app.base);
    await newUser(app.base, '6001', '0633333333', 100000);
    const a = emu.offer({ from: '0633333333', to: '0145333333' });
    await emu.waitFor(() => emu.call(a)?.state === 'connected', 5000, 'connected');
    await new Promise((r) => setTimeout(r, 1200));
    emu.dropLink();
    emu.hangupByCaller(a);
    const cdr = await cdrOf(app.base, a);
    const c = emu.call(a)!;
    const seconds = Math.ceil((c.ended!.at - c.connectedAt!) / 1000);
    assert.equal(cdr.cost, seconds * 200);
    assert.equal(await app.stop(), 0);
    await emu.close();
  });

  it('an IVR call whose command went unanswered when the link dropped is released after the replay, with a CDR', async () => {
    const emu = await EngineEmulator.start({ dial: { kind: 'answer', afterMs: 100 } });
    const data = tempData();
    setPassword(data);
    const app = await startBundle({ dataDir: data, engine: emu.address });
    await linkUp(app.base);
    const a = emu.offer({ from: '0655555555', to: '6000' });
    emu.silence(true); // the engine takes the ANSWER but its OK never comes: the link is dying
    await emu.waitFor(() => emu.commands.some((l) => l.verb === 'ANSWER' && l.fields.call === a), 5000, 'ANSWER');
    const before = emu.commands.length;
    emu.dropLink();
    emu.silence(false);
    // after the reconnection the replay lists the call: the app owes it a release
    await emu.waitFor(() => emu.commands.slice(before).some((l) => l.verb === 'HANGUP' && l.fields.call === a), 10_000, 'HANGUP after the replay');
    const cdr = await cdrOf(app.base, a);
    assert.equal(cdr.cost, 0);
    assert.equal(cdr.duration, 0);
    assert.equal(emu.call(a)?.ended !== undefined, true);
    assert.equal(await app.stop(), 0);
    await emu.close();
  });

  it('SIGTERM releases open calls with HANGUP, settles them and exits 0', async () => {
    const emu = await EngineEmulator.start({ dial: { kind: 'answer', afterMs: 100 } });
    const data = tempData();
    setPassword(data);
    let app = await startBundle({ dataDir: data, engine: emu.address });
    await linkUp(app.base);
    await newUser(app.base, '7001', '0644444444', 100000);
    const a = emu.offer({ from: '0644444444', to: '0145444444' });
    await emu.waitFor(() => emu.call(a)?.state === 'connected', 5000, 'connected');
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(await app.stop(), 0);
    assert.ok(emu.commands.some((l) => l.verb === 'HANGUP' && l.fields.call === a));
    app = await startBundle({ dataDir: data, engine: emu.address });
    const cdr = await cdrOf(app.base, a);
    assert.ok(cdr.cost >= 400 && cdr.cost <= 600, `cost ${cdr.cost}`);
    assert.equal(await app.stop(), 0);
    await emu.close();
  });
});
