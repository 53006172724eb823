// Money: exact decimals and the units ↔ currency conversions every screen and report uses.
export { Decimal } from './decimal.ts';
export {
  type Lang,
  AMOUNT_SCALE,
  MAX_PRICE_SCALE,
  MAX_UNIT_PRICE,
  UNIT_PRICE_RULE,
  amountOf,
  amountString,
  unitsOf,
  localize,
  formatAmount,
  formatAmountFull,
  amountTrimmed,
  formatUnitPrice,
  ratePerMinute,
  validUnitPrice,
} from './amounts.ts';
