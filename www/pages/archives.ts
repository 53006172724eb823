// Billing archives written by "Start billing" (or the schedule), as CSV downloads.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { api, seg } from '../api.ts';
import { useApp } from '../context.ts';
import { showDate, showSize } from '../format.ts';
import { useLoad } from '../hooks.ts';
import type { ArchiveEntry } from '../types.ts';
import { PageHead } from '../widgets/page-head.ts';
import { TableWrap } from '../widgets/table.ts';

export function Archives(): VNode {
  const { t, num, config } = useApp();
  const list = useLoad(() => api<ArchiveEntry[]>('GET', 'billing/archives'), []);
  const items = Array.isArray(list.data) ? list.data : [];
  return html`<section>
    <${PageHead} title=${t('archivedBilling')}>
      <a href="#/">${t('home')}</a>
      <a href="#/cdrs">${t('cdrs')}</a>
    <//>
    ${list.error ? html`<p class="notice bad" role="alert">${list.error}</p>` : null}
    <${TableWrap} label=${t('archivedBilling')}>
      <table class="archives">
        <thead><tr><th scope="col">${t('archiveName')}</th><th scope="col">${t('date')}</th><th scope="col" class="num">${t('size')}</th></tr></thead>
        <tbody>
          ${items.map((a) => html`<tr key=${a.name}>
            <td><a href=${`api/billing/archives/${seg(a.name)}`} download=${a.name} aria-label=${t('download', { name: a.name })}>${a.name}</a></td>
            <td class="mono">${showDate(a.date, config.timezone)}</td>
            <td class="num">${showSize(a.size, num)}</td>
          </tr>`)}
          ${!list.loading && items.length === 0 ? html`<tr><td colspan="3" class="empty">${t('none')}</td></tr>` : null}
        </tbody>
      </table>
    <//>
  </section>`;
}
