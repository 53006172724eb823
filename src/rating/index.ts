export {
  type CostRow,
  normalizeCostRow,
  normalizePrefix,
  timeOfDayMinutes,
  formatTimeOfDay,
  DEFAULT_PREFIX,
  MAX_PREFIX_DIGITS,
  MAX_INCREMENT,
  SEED_DEFAULT_ROW,
} from './cost-row.ts';
export { RateTable, billableSeconds, MAX_SECONDS } from './rate-table.ts';
export { PrefixIndex } from './prefix-index.ts';
export { isValidTimezone } from '../timezone/index.ts';
