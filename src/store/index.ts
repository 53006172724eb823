// The appliance's persistent state (LMDB). See store.ts for the durability design.
export { Store, DEFAULT_CONFIG, CDR_PAGE_DEFAULT, CDR_PAGE_MAX } from './store.ts';
export { SCHEMA_VERSION } from './keys.ts';
export type {
  Config,
  User,
  LedgerLine,
  Cdr,
  OpenCall,
  ArchiveUserBlock,
  Archive,
  DidEntry,
  SettleInput,
  CdrQuery,
} from './types.ts';
