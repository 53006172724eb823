// The shell: session (first run / login), language, header and menu, and the page router.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, onUnauthorized } from './api.ts';
import { AppContext, type AppCtx } from './context.ts';
import { releaseName, type Lang } from './format.ts';
import { errorText } from './hooks.ts';
import { storedLang, storeLang, translator, type Key } from './i18n.ts';
import { match, useHashPath } from './router.ts';
import type { Config, Session } from './types.ts';
import { ConfirmHost } from './widgets/confirm.ts';
import { Archives } from './pages/archives.ts';
import { Cdrs } from './pages/cdrs.ts';
import { ConfigPage } from './pages/config.ts';
import { Costs } from './pages/costs.ts';
import { Dids } from './pages/dids.ts';
import { Home } from './pages/home.ts';
import { Login } from './pages/login.ts';
import { Setup } from './pages/setup.ts';
import { Supervision } from './pages/supervision.ts';
import { UserPage } from './pages/user.ts';
import { Users } from './pages/users.ts';

/** The seed's defaults: only used for texts before the real parameters are loaded. */
const SEED_CONFIG: Config = {
  webPort: 8078, language: 'fr', ivrDid: '6000', engineAddress: '127.0.0.1', enginePort: 15749,
  engineTimeout: 2, timezone: 'Europe/Paris', defaultCallingAddress: '', defaultCallingForced: false,
  serviceLog: true, csvSeparator: '', currency: 'Euros', unitPrice: '0.0001', warningSeconds: 60, billingSchedule: '',
};

const MENU: [string, Key][] = [
  ['/', 'home'],
  ['/config', 'config'],
  ['/users', 'users'],
  ['/costs', 'costs'],
  ['/supervision', 'supervision'],
  ['/cdrs', 'cdrs'],
  ['/archives', 'archives'],
];

function route(path: string, t: AppCtx['t']): VNode {
  let p: Record<string, string> | null;
  if (path === '/' || path === '') return html`<${Home} />`;
  if (match('/config', path)) return html`<${ConfigPage} />`;
  if (match('/users', path)) return html`<${Users} />`;
  if ((p = match('/users/:id/dids', path))) return html`<${Dids} key=${p.id} id=${p.id} />`;
  if ((p = match('/users/:id', path))) return html`<${UserPage} key=${p.id} id=${p.id} />`;
  if (match('/costs', path)) return html`<${Costs} />`;
  if (match('/supervision', path)) return html`<${Supervision} />`;
  if (match('/cdrs', path)) return html`<${Cdrs} />`;
  if (match('/archives', path)) return html`<${Archives} />`;
  return html`<p class="notice bad" role="alert">${t('notFound')} <a href="#/">${t('home')}</a></p>`;
}

/** `GET api/session`, read loosely; an older server without it is probed through `api/config`. */
async function fetchSession(): Promise<Session> {
  try {
    const s = await api<(Partial<Session> & { loggedIn?: boolean }) | null>('GET', 'session');
    const o = s ?? {};
    return {
      authenticated: o.loggedIn === true || o.authenticated === true,
      passwordSet: o.passwordSet !== false,
      language: o.language === 'fr' || o.language === 'en' ? o.language : undefined,
    };
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    if (e.status === 401) return { authenticated: false, passwordSet: true };
    if (e.status !== 404 && e.status !== 405) throw e;
  }
  try {
    await api('GET', 'config');
    return { authenticated: true, passwordSet: true };
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return { authenticated: false, passwordSet: true };
    throw e;
  }
}

export function App(): VNode {
  const [session, setSession] = useState<Session | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [config, setConfig] = useState<Config | null>(null);
  const [lang, setLangState] = useState<Lang>(() => storedLang() ?? 'fr');
  const path = useHashPath();
  const t = useMemo(() => translator(lang), [lang]);

  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  const loadConfig = useCallback(async () => {
    const c = await api<Config>('GET', 'config');
    setConfig(c);
    if (!storedLang() && (c.language === 'fr' || c.language === 'en')) setLangState(c.language);
  }, []);

  const start = useCallback(async () => {
    setFailure(null);
    try {
      const s = await fetchSession();
      if (!storedLang() && s.language) setLangState(s.language);
      if (s.authenticated) await loadConfig();
      setSession(s);
    } catch (e) {
      setFailure(errorText(e, translator(storedLang() ?? 'fr')));
    }
  }, [loadConfig]);

  useEffect(() => {
    onUnauthorized(() => {
      setConfig(null);
      setSession((s) => ({ passwordSet: true, ...s, authenticated: false }));
    });
    void start();
  }, [start]);

  const chooseLang = (l: Lang) => {
    storeLang(l);
    setLangState(l);
  };
  const logout = async () => {
    try {
      await api('DELETE', 'session');
    } catch {
      // the session is dropped on this side anyway
    }
    setConfig(null);
    setSession((s) => ({ passwordSet: true, ...s, authenticated: false }));
  };

  const ctx: AppCtx = {
    t,
    lang,
    num: config?.language === 'en' || config?.language === 'fr' ? config.language : lang,
    config: config ?? SEED_CONFIG,
    reloadConfig: loadConfig,
  };
  const inside = !!(session?.authenticated && config);
  const section = path.split('/')[1] ?? '';

  let body: VNode;
  if (failure) {
    body = html`<div class="narrow"><p class="notice bad" role="alert">${failure}</p>
      <button class="btn" type="button" onClick=${() => void start()}>${t('retry')}</button></div>`;
  } else if (!session) {
    body = html`<p>${t('loading')}</p>`;
  } else if (!session.passwordSet) {
    body = html`<${Setup} onDone=${() => void start()} />`;
  } else if (!session.authenticated) {
    body = html`<${Login} onDone=${() => void start()} />`;
  } else if (!config) {
    body = html`<p>${t('loading')}</p>`;
  } else {
    body = route(path, t);
  }

  return html`<${AppContext.Provider} value=${ctx}>
    <a class="skip" href="#main" onClick=${(e: Event) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>${t('skip')}</a>
    <header class="top">
      <div class="brand">
        <span class="by">${t('brandBy')} <strong>m2mSOFT</strong></span>
        <span class="app">${lang === 'fr' ? html`Application <b>Prepaid</b>` : html`<b>Prepaid</b> Application`}</span>
      </div>
      <div class="tools">
        <div class="langs" role="group" aria-label=${t('language')}>
          ${(['fr', 'en'] as Lang[]).map((l) => html`<button type="button" class="lang" lang=${l} aria-pressed=${lang === l}
            onClick=${() => chooseLang(l)}>${l.toUpperCase()}</button>`)}
        </div>
        ${inside ? html`<button type="button" class="btn small on-dark" onClick=${() => void logout()}>${t('logout')}</button>` : null}
      </div>
    </header>
    ${inside
      ? html`<nav class="menu" aria-label=${t('mainNav')}><ul>
          ${MENU.map(([p, key]) => {
            const current = p === '/' ? section === '' : section === p.slice(1);
            return html`<li><a href=${`#${p}`} aria-current=${current ? 'page' : undefined}>${t(key)}</a></li>`;
          })}
        </ul></nav>`
      : null}
    <main id="main" tabindex="-1">${body}</main>
    <footer class="foot">Prepaid v${releaseName(__VERSION__)}</footer>
    <${ConfirmHost} />
  <//>`;
}
