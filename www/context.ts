// What every page needs: texts, number language, the general parameters.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Lang } from './format.ts';
import type { T } from './i18n.ts';
import type { Config } from './types.ts';

export interface AppCtx {
  t: T;
  /** The language of the page's texts (the switch). */
  lang: Lang;
  /**
   * The language of numbers: the box's `language` parameter, as in the reports and the
   * seed's screens (decimal comma for FR even on English screens).
   */
  num: Lang;
  config: Config;
  reloadConfig(): Promise<void>;
}

export const AppContext = createContext<AppCtx | null>(null);

export function useApp(): AppCtx {
  const ctx = useContext(AppContext);
  if (!ctx) throw new Error('useApp outside AppContext');
  return ctx;
}
