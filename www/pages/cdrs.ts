// Call detail records, newest first, paged with the API's cursor; CSV export of the range.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { useApp } from '../context.ts';
import { showDate } from '../format.ts';
import { useLoad } from '../hooks.ts';
import type { CdrPage } from '../types.ts';
import { PageHead } from '../widgets/page-head.ts';
import { TableWrap } from '../widgets/table.ts';

const PAGE = 50;

/**
 * A date input ("2012-04-12") as a range bound in the API's "YYYYMMDD_HHMMSS" form, which
 * the box reads in its own timezone: the day is the box's day, wherever the browser is.
 */
function bound(v: string, time: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  return m ? `${m[1]}${m[2]}${m[3]}_${time}` : null;
}

export function Cdrs(): VNode {
  const { t, config } = useApp();
  const [range, setRange] = useState({ from: '', to: '' });
  const [draft, setDraft] = useState({ from: '', to: '' });
  const [rangeError, setRangeError] = useState<string | null>(null);
  // cursors of the pages seen so far; the last one is shown (null: the newest page)
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const before = cursors[cursors.length - 1] ?? null;

  const rangeQuery = new URLSearchParams();
  const from = bound(range.from, '000000');
  const to = bound(range.to, '235959');
  if (from !== null) rangeQuery.set('from', from);
  if (to !== null) rangeQuery.set('to', to);
  const pageQuery = new URLSearchParams(rangeQuery);
  pageQuery.set('limit', String(PAGE));
  if (before) pageQuery.set('before', before);

  const page = useLoad(() => api<CdrPage>('GET', `cdrs?${pageQuery}`), [pageQuery.toString()]);
  // a failed load shows its error alone, not the rows of an earlier filter under it
  const cdrs = page.error || rangeError ? [] : (page.data?.cdrs ?? []);
  const csvHref = `api/cdrs.csv${rangeQuery.toString() ? `?${rangeQuery}` : ''}`;

  const apply = (e: Event) => {
    e.preventDefault();
    // ISO dates compare as text
    if (draft.from && draft.to && draft.from > draft.to) return setRangeError(t('e_fromAfterTo'));
    setRangeError(null);
    setRange(draft);
    setCursors([null]);
  };
  const date = (name: 'from' | 'to', label: string) => html`<div class="field">
    <label for=${`cdr-${name}`}>${label}</label>
    <input id=${`cdr-${name}`} type="date" value=${draft[name]}
      onInput=${(e: Event) => setDraft({ ...draft, [name]: (e.currentTarget as HTMLInputElement).value })} />
  </div>`;

  return html`<section>
    <${PageHead} title=${t('cdrs')}>
      <a href="#/">${t('home')}</a>
      <a href="#/archives">${t('archives')}</a>
    <//>
    <form class="row filters" onSubmit=${apply}>
      ${date('from', t('from'))}
      ${date('to', t('to'))}
      <button class="btn" type="submit">${t('filter')}</button>
      <a class="btn" href=${csvHref} download>${t('exportCsv')}</a>
    </form>
    ${rangeError ?? page.error ? html`<p class="notice bad" role="alert">${rangeError ?? page.error}</p>` : null}
    <${TableWrap} label=${t('cdrs')}>
      <table class="cdrs">
        <thead><tr>
          <th scope="col">${t('date')}</th><th scope="col" class="num">${t('timestamp')}</th><th scope="col" class="num">${t('connectDelay')}</th>
          <th scope="col" class="num">${t('durat')}</th><th scope="col" class="num">${t('cost')}</th><th scope="col">${t('user')}</th>
          <th scope="col">${t('dialedNum')}</th><th scope="col">${t('callId')}</th>
        </tr></thead>
        <tbody>
          ${cdrs.map((c) => html`<tr key=${c.callId}>
            <td class="mono">${showDate(c.date, config.timezone)}</td>
            <td class="num">${c.timestamp}</td>
            <td class="num">${c.connectDelay ?? ''}</td>
            <td class="num">${c.duration}</td>
            <td class="num">${c.cost}</td>
            <td>${c.user}</td>
            <td>${c.dialed}</td>
            <td class="mono">${c.callId}</td>
          </tr>`)}
          ${!page.loading && cdrs.length === 0 ? html`<tr><td colspan="8" class="empty">${t('none')}</td></tr>` : null}
        </tbody>
      </table>
    <//>
    <nav class="row pager" aria-label="pages">
      <button class="btn" type="button" disabled=${cursors.length <= 1} onClick=${() => setCursors([null])}>${t('newest')}</button>
      <button class="btn" type="button" disabled=${cursors.length <= 1} onClick=${() => setCursors(cursors.slice(0, -1))}>${t('newer')}</button>
      <button class="btn" type="button" disabled=${!page.data?.next} onClick=${() => setCursors([...cursors, page.data!.next])}>${t('older')}</button>
    </nav>
  </section>`;
}
