// Writes that have been queued to LMDB but whose commit has not been seen yet. Reads look
// here first, so a change is visible to the next line of code even though lmdb-js commits
// it later, on its write thread.
import type { Database } from 'lmdb';

/** Marks a key removed by a pending write. */
export const GONE: unique symbol = Symbol('gone');
export type Slot = { value: unknown; tag: number };

export class PendingWrites {
  private readonly byDb = new Map<Database, Map<string, Slot>>();

  lookup(db: Database, key: string): Slot | undefined {
    return this.byDb.get(db)?.get(key);
  }

  set(db: Database, key: string, value: unknown, tag: number): void {
    let m = this.byDb.get(db);
    if (!m) this.byDb.set(db, (m = new Map()));
    m.set(key, { value, tag });
  }

  /** The commit of write `tag` is visible in LMDB: forget the key unless a later write replaced it. */
  release(db: Database, key: string, tag: number): void {
    const m = this.byDb.get(db);
    if (m?.get(key)?.tag === tag) m.delete(key);
  }

  /** Pending entries of db with lo ≤ key < hi, in key order (descending when reverse). */
  inRange(db: Database, lo: string, hi: string, reverse: boolean): { key: string; value: unknown }[] {
    const m = this.byDb.get(db);
    if (!m || m.size === 0) return [];
    const out: { key: string; value: unknown }[] = [];
    for (const [key, slot] of m) if (key >= lo && key < hi) out.push({ key, value: slot.value });
    out.sort(reverse ? (a, b) => (a.key < b.key ? 1 : -1) : (a, b) => (a.key < b.key ? -1 : 1));
    return out;
  }

  size(): number {
    let n = 0;
    for (const m of this.byDb.values()) n += m.size;
    return n;
  }
}
