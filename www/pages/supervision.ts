// Live calls over /ws. Connected calls' durations tick every second between pushes.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { useApp } from '../context.ts';
import { showAmount } from '../format.ts';
import type { Key } from '../i18n.ts';
import { asCalls, openFeed, type FeedState } from '../live.ts';
import type { LiveCall } from '../types.ts';
import { PageHead } from '../widgets/page-head.ts';
import { TableWrap } from '../widgets/table.ts';

const STATUS_KEYS: Record<string, Key> = {
  offered: 'st_offered', ivr: 'st_ivr', dialing: 'st_dialing', ringing: 'st_ringing', connected: 'st_connected',
};

export function Supervision(): VNode {
  const { t, num, config } = useApp();
  const [snap, setSnap] = useState<{ calls: LiveCall[]; at: number }>({ calls: [], at: Date.now() });
  const [feed, setFeed] = useState<FeedState>('connecting');
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    let pushed = false;
    api<unknown>('GET', 'calls')
      .then((r) => !pushed && setSnap({ calls: asCalls(r), at: Date.now() }))
      .catch(() => {});
    return openFeed({
      calls: (calls) => {
        pushed = true;
        setSnap({ calls, at: Date.now() });
      },
      state: setFeed,
    });
  }, []);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  // between pushes the clock runs on here; without the feed the last known figures stay put
  const elapsed = feed === 'live' ? Math.max(0, Math.floor((now - snap.at) / 1000)) : 0;
  const cur = config.currency;
  const feedText = feed === 'live' ? t('live') : feed === 'connecting' ? t('connecting') : t('reconnecting');
  return html`<section>
    <${PageHead} title=${t('supervision')}><a href="#/">${t('home')}</a><//>
    <p class="feed" role="status"><span class=${`dot ${feed}`} aria-hidden="true"></span>${feedText}</p>
    <${TableWrap} label=${t('supervision')}>
      <table class="calls">
        <thead><tr>
          <th scope="col">${t('caller')}</th><th scope="col">${t('status')}</th><th scope="col">${t('userIdShort')}</th>
          <th scope="col" class="num">${t('creditUnits')}</th><th scope="col" class="num">${t('creditAmount', { cur })}</th>
          <th scope="col">${t('dialed')}</th><th scope="col" class="num">${t('rate')}</th><th scope="col" class="num">${t('durationLive')}</th>
          <th scope="col" class="num">${t('consUnits')}</th><th scope="col" class="num">${t('consAmount', { cur })}</th>
        </tr></thead>
        <tbody>
          ${snap.calls.map((c) => {
            const key = STATUS_KEYS[c.status];
            const duration = (c.duration ?? 0) + (c.status === 'connected' ? elapsed : 0);
            return html`<tr key=${c.callId} data-call=${c.callId}>
              <td>${c.caller}</td>
              <td><span class=${`st ${c.status}`}>${key ? t(key) : c.status}</span></td>
              <td>${c.userId ?? ''}</td>
              <td class="num">${c.creditUnits ?? ''}</td>
              <td class="num">${showAmount(c.creditAmount, num, 2)}</td>
              <td>${c.dialed ?? ''}</td>
              <td class="num">${c.rate ?? ''}</td>
              <td class="num duration">${duration}</td>
              <td class="num">${c.consumptionUnits ?? ''}</td>
              <td class="num">${showAmount(c.consumptionAmount, num, 2)}</td>
            </tr>`;
          })}
          ${snap.calls.length === 0 ? html`<tr><td colspan="10" class="empty">${t('noCalls')}</td></tr>` : null}
        </tbody>
      </table>
    <//>
  </section>`;
}
