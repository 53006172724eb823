// The demonstration accounts `serve --engine demo` creates on an empty store (the seed's
// users 1001 and 1002, plus one with little credit to show a cut-off), and their top-ups
// so the demo keeps running for as long as it is left on.
import { log } from '../log.ts';
import type { Store } from '../store/index.ts';

export interface DemoUser {
  id: string;
  name: string;
  pin: string;
  callerId?: string;
  units: number;
  dids?: { did: string; to: string }[];
}

export const DEMO_USERS: DemoUser[] = [
  {
    id: '1001',
    name: '1001',
    pin: '2345',
    callerId: '5173',
    units: 250000,
    dids: [
      { did: '0561500001', to: '0141587070' },
      { did: '0561500002', to: '0141587075' },
      { did: '0561500003', to: '0141587077' },
      { did: '0561500004', to: '0141591190' },
    ],
  },
  { id: '1002', name: '1002', pin: '3456', callerId: '5172', units: 250000 },
  { id: '1003', name: 'Low credit', pin: '4567', units: 3000 },
];

/** Creates the demo users when the store has none; true when it did. */
export function seedDemoUsers(store: Store, now: number): boolean {
  if (store.users().length > 0) return false;
  for (const u of DEMO_USERS) {
    store.createUser({ id: u.id, name: u.name, pin: u.pin, ...(u.callerId ? { callerId: u.callerId } : {}) });
    store.credit(u.id, u.units, now);
    if (u.dids) store.setDids(u.id, u.dids);
  }
  log('DEMO_USERS_CREATED', { count: DEMO_USERS.length });
  return true;
}

/** Tops a demo user back up once its credit is nearly gone. */
export function topUpDemoUsers(store: Store, now: number, busy: (id: string) => boolean): void {
  for (const u of DEMO_USERS) {
    const cur = store.user(u.id);
    if (!cur || busy(u.id) || cur.units >= Math.min(u.units, 20000)) continue;
    store.credit(u.id, u.units - cur.units, now);
  }
}
