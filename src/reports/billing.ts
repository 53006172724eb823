// Billing close: every statement frozen into an archive and a new period opened, in one
// store transaction. Calls connected at that instant are billed in the period in which
// they end; the archive records their ids (the page tells the admin how many).
import { log } from '../log.ts';
import type { Archive, Store } from '../store/index.ts';
import type { Supervision } from '../web/appliance.ts';
import { archiveName } from './archive.ts';

/** The part of the appliance a close needs. */
export interface BillingApp {
  store: Store;
  supervision: Pick<Supervision, 'list'>;
}

/** Closes the period at `at`; AppError ARCHIVE_EXISTS when a close already took that second. */
export function closeBilling(app: BillingApp, at: number, trigger: 'manual' | 'schedule' | 'catch-up'): Archive {
  const name = archiveName(at, app.store.config().timezone);
  const live = app.supervision
    .list()
    .filter((c) => c.status === 'connected')
    .map((c) => c.callId);
  const archive = app.store.closePeriod(at, name, live);
  log('BILLING_CLOSE', { name, trigger, users: archive.users.length, liveCalls: live.length });
  return archive;
}
