import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { Store } from './store.ts';
import { tempDir } from './test-support.ts';
import type { Cdr, LedgerLine } from './types.ts';

const child = fileURLToPath(new URL('./crash-child.ts', import.meta.url));

it('a process killed (SIGKILL) while writing loses nothing flushed() acknowledged, and no change is half-written', async () => {
  const t = tempDir();
  try {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, t.dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_code, signal) => resolve(signal)));
    let acked: { units: number; ledger: LedgerLine[]; cdrs: Cdr[] } | undefined;
    for await (const line of createInterface({ input: proc.stdout! })) {
      if (line.startsWith('FLUSHED ')) acked = JSON.parse(line.slice(8));
      if (line === 'WRITING') {
        proc.kill('SIGKILL'); // in the middle of a stream of queued and committing writes
        break;
      }
    }
    assert.equal(await exited, 'SIGKILL');
    assert.ok(acked, 'the child reported its acknowledged state');

    const store = Store.open(t.dir);
    try {
      const ledger = store.ledger('1001');
      const cdrs = [...store.cdrRange()];
      // everything acknowledged is there, in place
      assert.deepEqual(ledger.slice(0, acked.ledger.length), acked.ledger);
      for (const c of acked.cdrs) assert.ok(cdrs.some((x) => x.callId === c.callId && x.cost === c.cost));
      assert.ok(ledger.length > acked.ledger.length, 'some unacknowledged writes made it too (the kill hit a live stream)');
      // every change is all or nothing: balance = statement, one CALL line per CDR with the same amount
      const units = store.user('1001')!.units;
      assert.equal(units, ledger.reduce((a, l) => a + l.units, 0));
      const calls = ledger.filter((l) => l.operation === 'CALL');
      assert.equal(calls.length, cdrs.length);
      const costOf = new Map(cdrs.map((c) => [c.callId, c.cost]));
      for (const l of calls) assert.equal(-l.units, costOf.get(l.callId!));
      // settled calls left the journal; the store still works
      for (const c of store.openCalls()) assert.equal(costOf.has(c.callId), false);
      assert.equal(store.credit('1001', 1, 1_800_000_000_000).units, units + 1);
      await store.flushed();
    } finally {
      await store.close();
    }
  } finally {
    t.remove();
  }
});
