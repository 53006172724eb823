// A user's DID map: DID → forwarded number; rows are edited here and sent in one PUT.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, seg } from '../api.ts';
import { useApp } from '../context.ts';
import { errorText, useLoad, type Status } from '../hooks.ts';
import type { DidRoute } from '../types.ts';
import { isPhone } from '../validate.ts';
import { Notice } from '../widgets/field.ts';
import { PageHead } from '../widgets/page-head.ts';
import { TableWrap } from '../widgets/table.ts';

interface Row extends DidRoute {
  key: number;
}

let rowSeq = 0;
const toRows = (list: DidRoute[]): Row[] => list.map((r) => ({ did: r.did, to: r.to, key: ++rowSeq }));

export function Dids(p: { id: string }): VNode {
  const { t, config } = useApp();
  const loaded = useLoad(() => api<DidRoute[]>('GET', `users/${seg(p.id)}/dids`), [p.id]);
  const [rows, setRows] = useState<Row[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [status, setStatus] = useState<Status | null>(null);
  const [busy, setBusy] = useState(false);
  const focusKey = useRef<number | null>(null);
  const tableRef = useRef<HTMLTableElement>(null);

  useEffect(() => {
    if (loaded.data) setRows(toRows(Array.isArray(loaded.data) ? loaded.data : []));
  }, [loaded.data]);

  useEffect(() => {
    if (focusKey.current !== null) {
      tableRef.current?.querySelector<HTMLInputElement>(`#did-${focusKey.current}`)?.focus();
      focusKey.current = null;
    }
  });

  const edit = (key: number, field: 'did' | 'to', value: string) => {
    setRows((rs) => rs.map((r) => (r.key === key ? { ...r, [field]: value } : r)));
    setErrors((e) => ({ ...e, [`${field}-${key}`]: '' }));
  };
  const addRow = () => {
    const key = ++rowSeq;
    focusKey.current = key;
    setRows((rs) => [...rs, { did: '', to: '', key }]);
  };
  const removeRow = (key: number) => {
    setRows((rs) => rs.filter((r) => r.key !== key));
    setStatus(null);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const kept = rows.filter((r) => r.did.trim() !== '' || r.to.trim() !== '');
    const errs: Record<string, string> = {};
    const seen = new Set<string>();
    for (const r of kept) {
      const d = isPhone(r.did);
      if (d) errs[`did-${r.key}`] = t(d);
      else if (r.did.trim() === config.ivrDid) errs[`did-${r.key}`] = t('e_ivrDid');
      else if (seen.has(r.did.trim())) errs[`did-${r.key}`] = t('didDuplicate');
      seen.add(r.did.trim());
      const to = isPhone(r.to);
      if (to) errs[`to-${r.key}`] = t(to);
    }
    setErrors(errs);
    setStatus(null);
    const focusError = () => setTimeout(() => tableRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus(), 0);
    if (Object.keys(errs).length) {
      focusError();
      return;
    }
    setBusy(true);
    try {
      const body = kept.map((r) => ({ did: r.did.trim(), to: r.to.trim() }));
      await api('PUT', `users/${seg(p.id)}/dids`, body);
      setRows(toRows(body));
      setStatus({ kind: 'ok', text: t('saved') });
    } catch (err) {
      // a field like "dids[2].did" or "did": put the message on that row when it can be told
      if (err instanceof ApiError && err.field) {
        const idx = /(\d+)/.exec(err.field);
        const col = /to$/i.test(err.field) ? 'to' : 'did';
        const row = idx ? kept[Number(idx[1])] : kept.find((r) => err.message.includes(r.did.trim()));
        if (row) {
          setErrors({ [`${col}-${row.key}`]: errorText(err, t) });
          focusError();
          return;
        }
      }
      setStatus({ kind: 'error', text: errorText(err, t) });
    } finally {
      setBusy(false);
    }
  };

  const input = (r: Row, field: 'did' | 'to', label: string) => {
    const id = `${field}-${r.key}`;
    const err = errors[id];
    return html`<label class="sr-only" for=${id}>${label}</label>
      <input id=${id} value=${r[field]} inputmode="tel" autocomplete="off" spellcheck="false"
        aria-invalid=${err ? 'true' : undefined} aria-describedby=${err ? `${id}-e` : undefined}
        onInput=${(e: Event) => edit(r.key, field, (e.currentTarget as HTMLInputElement).value)} />
      ${err ? html`<small id=${`${id}-e`} class="err">${err}</small>` : null}`;
  };

  return html`<section>
    <${PageHead} title=${t('didTitle', { id: p.id })}>
      <a href=${`#/users/${seg(p.id)}`}>${t('userTitle', { id: p.id })}</a>
    <//>
    ${loaded.error ? html`<p class="notice bad" role="alert">${loaded.error}</p>` : null}
    <form onSubmit=${submit} novalidate>
      <${TableWrap} label=${t('didTitle', { id: p.id })}>
        <table ref=${tableRef} class="dids">
          <thead><tr>
            <th scope="col">${t('did')}</th><th scope="col">${t('forwardTo')}</th>
            <th scope="col"><button class="btn small" type="button" onClick=${addRow}>${t('add')}</button></th>
          </tr></thead>
          <tbody>
            ${rows.map((r, i) => html`<tr key=${r.key}>
              <td>${input(r, 'did', `${t('did')} ${i + 1}`)}</td>
              <td>${input(r, 'to', `${t('forwardTo')} ${i + 1}`)}</td>
              <td class="actions"><button class="btn small ghost" type="button" onClick=${() => removeRow(r.key)}
                aria-label=${`${t('remove')} ${r.did || i + 1}`}>${t('remove')}</button></td>
            </tr>`)}
            ${!loaded.loading && rows.length === 0 ? html`<tr><td colspan="3" class="empty">${t('none')}</td></tr>` : null}
          </tbody>
        </table>
      <//>
      <${Notice} status=${status} />
      <div class="row"><button class="btn primary" type="submit" disabled=${busy || loaded.loading}>${t('submit')}</button></div>
    </form>
  </section>`;
}
