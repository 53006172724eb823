// End to end: general parameters that act on a running appliance (bundle + emulator over TCP).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EngineEmulator } from '../engine/emulator.ts';
import { api, freePort, setPassword, startBundle, tempData, until, type Running } from './harness.ts';

const linkState = async (base: string): Promise<string> => ((await api(base, 'GET', '/health')).body as { engine: string }).engine;

describe('general parameters applied while running', () => {
  let emu: EngineEmulator;
  let app: Running;

  before(async () => {
    emu = await EngineEmulator.start({ promptMs: 20 });
    const data = tempData();
    setPassword(data);
    app = await startBundle({ dataDir: data, engine: null });
  });
  after(async () => {
    const code = await app?.stop();
    await emu?.close();
    assert.equal(code, 0);
  });

  it('A6000 address and port: the link leaves for the new engine without a restart', async () => {
    // nothing listens where the parameters point: the link stays down
    const nowhere = await freePort();
    assert.equal((await api(app.base, 'PUT', '/api/config', { enginePort: nowhere })).status, 200);
    await until('link down', async () => ((await linkState(app.base)) !== 'up' ? true : undefined));
    const put = await api(app.base, 'PUT', '/api/config', { engineAddress: '127.0.0.1', enginePort: emu.port });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    await until('link up with the new engine', async () => ((await linkState(app.base)) === 'up' ? true : undefined), 8000);
    assert.equal(emu.stats.connections, 1);
  });

  it('Service log off: calls leave no trace lines (their CDRs still written); on again: they do', async () => {
    await until('link up', async () => ((await linkState(app.base)) === 'up' ? true : undefined), 8000);
    assert.equal((await api(app.base, 'PUT', '/api/config', { serviceLog: false })).status, 200);
    const quiet = emu.offer({ from: '0600000009', to: '0145000000' }); // nobody's Caller ID: refused
    await until('CDR of the quiet call', async () => ((await api(app.base, 'GET', '/api/cdrs')).body as any).cdrs.find((c: any) => c.callId === quiet));
    assert.equal(app.lines.filter((l) => l.includes(quiet)).length, 0, app.lines.filter((l) => l.includes(quiet)).join('\n'));
    assert.equal((await api(app.base, 'PUT', '/api/config', { serviceLog: true })).status, 200);
    const traced = emu.offer({ from: '0600000009', to: '0145000000' });
    await app.waitLine(new RegExp(`CALL_OFFER call=${traced}`));
  });
});
