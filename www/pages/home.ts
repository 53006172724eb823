// Home: the menu, and whether the A6000 link is up.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { useApp } from '../context.ts';
import { asCalls, openFeed } from '../live.ts';
import type { Key, T } from '../i18n.ts';
import { PageHead } from '../widgets/page-head.ts';

const SECTIONS: [string, Key][] = [
  ['/config', 'config'],
  ['/users', 'users'],
  ['/costs', 'costs'],
  ['/supervision', 'supervision'],
  ['/cdrs', 'cdrs'],
  ['/archives', 'archives'],
];

const HEALTH_EVERY_MS = 5_000;

/** `GET health` answers the engine link state; its exact shape is read loosely. */
function linkOf(body: unknown): string | null {
  if (typeof body === 'string') return body.trim() || null;
  if (!body || typeof body !== 'object') return null;
  const o = body as Record<string, unknown>;
  for (const k of ['link', 'engine', 'linkState', 'state']) {
    const v = o[k];
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object' && typeof (v as { state?: unknown }).state === 'string') return (v as { state: string }).state;
  }
  return null;
}

function linkText(link: string | null, t: T): string {
  if (link === null) return t('linkUnknown');
  if (link === 'up') return t('linkUp');
  if (link === 'down') return t('linkDown');
  return ['connecting', 'handshake', 'replay'].includes(link) ? t('linkConnecting') : link;
}

export function Home(): VNode {
  const { t } = useApp();
  const [link, setLink] = useState<string | null>(null);
  const [counts, setCounts] = useState<{ users?: number; calls?: number }>({});
  useEffect(() => {
    let alive = true;
    Promise.all([api<unknown[]>('GET', 'users'), api<unknown>('GET', 'calls')])
      .then(([users, calls]) => alive && setCounts((c) => ({ ...c, users: Array.isArray(users) ? users.length : undefined, calls: c.calls ?? asCalls(calls).length })))
      .catch(() => {});
    const health = () =>
      fetch('health', { cache: 'no-store' })
        .then(async (r) => {
          const text = await r.text();
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // plain text answer
          }
          if (alive) setLink(linkOf(body));
        })
        .catch(() => alive && setLink(null));
    void health();
    // the facts stay current while the page is open: the link every few seconds, the calls
    // from the supervision feed
    const timer = setInterval(() => void health(), HEALTH_EVERY_MS);
    const closeFeed = openFeed({ calls: (calls) => alive && setCounts((c) => ({ ...c, calls: calls.length })), state: () => {} });
    return () => {
      alive = false;
      clearInterval(timer);
      closeFeed();
    };
  }, []);
  return html`<section>
    <${PageHead} title=${t('home')} />
    <p>${t('homeIntro')}</p>
    <dl class="facts">
      <div><dt>${t('engineLink')}</dt><dd><span class=${`pill ${link === 'up' ? 'up' : 'down'}`}>${linkText(link, t)}</span></dd></div>
      <div><dt>${t('users')}</dt><dd>${counts.users ?? '–'}</dd></div>
      <div><dt>${t('callsNow')}</dt><dd>${counts.calls ?? '–'}</dd></div>
    </dl>
    <ul class="tiles">
      ${SECTIONS.map(([path, key]) => html`<li><a class="tile" href=${`#${path}`}>${t(key)}</a></li>`)}
    </ul>
  </section>`;
}
