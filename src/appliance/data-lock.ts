// One running appliance per data folder. LMDB itself is safe with two processes, but two
// appliances on one store would both drive calls and close billing periods on the same
// balances. `prepaid passwd` does not take the lock: it may change a running appliance's store.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../errors.ts';

export const LOCK_FILE = 'serve.lock';

/** This boot's id: a pid written before a reboot says nothing about the processes after it. */
function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

/** True when `pid` is a live process that looks like an appliance (`... serve ...`). */
function liveAppliance(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // a recycled pid belongs to some other program: its command line says so
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').includes('serve');
  } catch {
    return true; // no /proc to ask: a live pid is taken at its word
  }
}

/**
 * Claims `dir` for this process; returns the release. Throws CONFLICT when another live
 * appliance holds it. A lock left by a killed process or an earlier boot is taken over.
 */
export function claimDataDir(dir: string): () => void {
  const file = join(dir, LOCK_FILE);
  const mine = `${process.pid} ${bootId()}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, mine, { flag: 'wx', mode: 0o600 });
      return () => {
        try {
          if (readFileSync(file, 'utf8') === mine) unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new AppError('INTERNAL', `cannot lock the data folder ${dir}: ${(e as Error).message}`);
      }
    }
    let held = '';
    try {
      held = readFileSync(file, 'utf8');
    } catch {
      continue; // released meanwhile
    }
    const [pid, boot] = held.trim().split(' ');
    if ((boot ?? '') === bootId() && liveAppliance(Number(pid))) {
      throw new AppError('CONFLICT', `the data folder ${dir} is in use by another appliance (pid ${pid})`);
    }
    try {
      unlinkSync(file); // stale: its process is gone
    } catch {
      // another starter took it over first: try again
    }
  }
  throw new AppError('CONFLICT', `cannot lock the data folder ${dir}: another appliance is starting`);
}
