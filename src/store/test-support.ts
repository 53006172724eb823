// Fixtures for tests that need a store (temp directories, sample calls); also used by src/reports tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SEED_DEFAULT_ROW } from '../rating/index.ts';
import { Store } from './store.ts';
import type { Cdr, OpenCall } from './types.ts';

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'prepaid-store-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A store in a fresh temp dir; `done()` closes it and removes the dir. */
export function freshStore(): { store: Store; dir: string; done(): Promise<void> } {
  const t = tempDir();
  const store = Store.open(t.dir);
  return {
    store,
    dir: t.dir,
    async done() {
      await store.close().catch(() => {});
      t.remove();
    },
  };
}

export function cdrOf(callId: string, user: string, endAt: number, over: Partial<Cdr> = {}): Cdr {
  return {
    endAt,
    offerAt: endAt - 30_000,
    connectDelay: 2,
    duration: 20,
    cost: 0,
    user,
    dialed: '0141587070',
    callId,
    from: '5173',
    cause: '16',
    ...over,
  };
}

export function openCallOf(callId: string, userId: string, over: Partial<OpenCall> = {}): OpenCall {
  return {
    callId,
    userId,
    from: '5173',
    dialed: '0141587070',
    offerAt: 1_700_000_000_000,
    dialAt: 1_700_000_005_000,
    connectedAt: 1_700_000_010_000,
    row: { ...SEED_DEFAULT_ROW },
    checkpointAt: null,
    ...over,
  };
}

/** A settlement of `units` for a call ending at endAt. */
export function settlementOf(callId: string, userId: string, units: number, endAt: number) {
  return { callId, userId, units, at: endAt, dialed: '0141587070', duration: 20, cdr: cdrOf(callId, userId, endAt, { cost: units }) };
}
