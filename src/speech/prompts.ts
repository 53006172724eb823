// Every prompt the call flows play, as prompt lists (names without the language prefix).
// Standard names were checked against `dpkg -c` of Debian's asterisk-core-sounds-fr-gsm and
// asterisk-core-sounds-en-gsm 1.6.1-1 and exist in BOTH languages; the few messages the core set
// cannot say are the application's own prompts, listed with their words in OWN_PROMPTS and in
// docs/prompts.md.
import type { Lang } from '../money/index.ts';
import { CENT_PROMPTS } from './numbers.ts';

/** A dial failure cause as the engine reports it in FAILED. */
export type FailCause = 'busy' | 'noanswer' | 'congestion' | 'invalid' | 'rejected';

type PromptList = readonly string[];

export const PROMPTS = {
  /** "Please enter your password followed by the pound key." */
  enterPin: ['agent-pass'],
  /** Wrong PIN, another try allowed: "Password incorrect. Please enter your password followed
   *  by the pound key." It asks again itself: do not add enterPin after it. */
  invalidPin: ['auth-incorrect'],
  /** The last wrong PIN of the call ("Login incorrect."), then goodbye. */
  accessDenied: ['vm-incorrect'],
  /** This calling number is locked after too many wrong PINs: "Login incorrect. Please try your
   *  call again later." */
  lockedOut: ['vm-incorrect', 'please-try-call-later'],
  /** "You have", followed by amountPrompts(...). */
  youHave: ['vm-youhave'],
  /** "Please enter the number you wish to call." */
  enterNumber: ['vm-enter-num-to-call'],
  /** Nothing dialed: "I'm sorry, I did not understand your response." (then enterNumber again). */
  noNumber: ['vm-sorry'],
  /** "Please try again." */
  tryAgain: ['please-try-again'],
  /** Optional, before DIAL: "Please hold while we try to connect you." */
  connecting: ['pls-hold-while-try'],
  /** "Goodbye!" */
  goodbye: ['goodbye'],
  /** Own: the call is cut because the credit ran out (HANGUP prompts, before goodbye). */
  creditExhausted: ['credit-exhausted'],
  /** Own: played to the caller during a connected call, warningSeconds before the cut. */
  creditWarning: ['credit-warning'],
  /** Own: the credit cannot pay one billing step of the dialed number; no DIAL. */
  insufficientCredit: ['credit-insufficient'],
  /** A DID called from a number that is not its user's Caller ID: "The party you are trying to
   *  reach does not accept unidentified calls." */
  notAllowed: ['privacy-unident'],
  /** The service cannot take the call now (internal error, shutting down): "I'm sorry. Please try
   *  your call again later." */
  unavailable: ['im-sorry', 'please-try-call-later'],
  /** After FAILED, by cause; use failedPrompts(cause) for causes outside the list. */
  callFailed: {
    /** "Nobody is available to take your call at the moment. Please try your call again later."
     *  (the core set has no "the line is busy") */
    busy: ['vm-nobodyavail', 'please-try-call-later'],
    /** Same words: French has no number-not-answering prompt. */
    noanswer: ['vm-nobodyavail', 'please-try-call-later'],
    /** "All circuits are busy now. Please try your call again later." */
    congestion: ['all-circuits-busy-now', 'please-try-call-later'],
    /** "The number you have dialed is not in service. Please check the number and try again." */
    invalid: ['ss-noservice'],
    /** "Your call cannot be completed as dialed." */
    rejected: ['cannot-complete-as-dialed'],
  } satisfies Record<FailCause, PromptList>,
} as const satisfies Record<string, PromptList | Record<FailCause, PromptList>>;

/** What to play after FAILED with any cause string (unknown causes are said as "rejected"). */
export function failedPrompts(cause: string): readonly string[] {
  const table: Record<string, PromptList> = PROMPTS.callFailed;
  return Object.hasOwn(table, cause) ? table[cause] : PROMPTS.callFailed.rejected;
}

/** Prefix names with the language for PLAY/HANGUP: ['vm-youhave'] → ['fr/vm-youhave']. */
export function inLanguage(lang: Lang, names: readonly string[]): string[] {
  return names.map((n) => `${lang}/${n}`);
}

/**
 * The application's own prompts (not in asterisk-core-sounds-fr/en) with the words they say.
 * docs/prompts.md lists the same; currency prompts for currencies other than Euros/Dollars
 * (`currency-<slug>`) are described there too.
 */
export const OWN_PROMPTS: Readonly<Record<string, Readonly<Record<Lang, string>>>> = {
  'credit-exhausted': { fr: 'Votre crédit est épuisé.', en: 'Your credit is exhausted.' },
  'credit-warning': { fr: 'Votre crédit est bientôt épuisé.', en: 'Your credit is about to run out.' },
  'credit-insufficient': {
    fr: 'Votre crédit est insuffisant pour cet appel.',
    en: 'Your credit is not sufficient for this call.',
  },
  'currency-euro': { fr: 'euro', en: 'euro' },
  'currency-euros': { fr: 'euros', en: 'euros' },
  [CENT_PROMPTS.cent]: { fr: 'centime', en: 'cent' },
  [CENT_PROMPTS.cents]: { fr: 'centimes', en: 'cents' },
};
