// Speech: what the caller hears, as prompt names of the Asterisk core sound set (plus our own).
export {
  numberPrompts,
  amountPrompts,
  currencyPrompts,
  currencySlug,
  CENT_PROMPTS,
  type CurrencyPrompts,
} from './numbers.ts';
export { PROMPTS, OWN_PROMPTS, failedPrompts, inLanguage, type FailCause } from './prompts.ts';
