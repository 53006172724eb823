// Cost rows: units per second in H1 and in the H2 window, billing step and setup charge.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { api, seg } from '../api.ts';
import { useApp } from '../context.ts';
import { ratePerMinute, showTimeOfDay } from '../format.ts';
import { errorText, useForm, useLoad, type Status } from '../hooks.ts';
import type { Key } from '../i18n.ts';
import type { CostRow } from '../types.ts';
import { checkAll, isIncrement, isPrefix, isTimeOfDay, isWholeNumber, type Problem } from '../validate.ts';
import { confirmAction } from '../widgets/confirm.ts';
import { Field, Notice } from '../widgets/field.ts';
import { PageHead } from '../widgets/page-head.ts';
import { TableWrap } from '../widgets/table.ts';

type RowForm = { prefix: string; h1: string; h2Begin: string; h2End: string; h2: string; increment: string; setup: string };

const EMPTY: RowForm = { prefix: '', h1: '', h2Begin: '0', h2End: '0', h2: '0', increment: '1', setup: '0' };

function toForm(r: CostRow): RowForm {
  return {
    prefix: r.prefix,
    h1: String(r.h1),
    h2Begin: showTimeOfDay(r.h2Begin),
    h2End: showTimeOfDay(r.h2End),
    h2: String(r.h2 ?? 0),
    increment: String(r.increment ?? 1),
    setup: String(r.setup ?? 0),
  };
}

/** "20" → "20:00", "8:30" → "08:30": the API's canonical time form. */
function hhmm(v: string): string {
  const m = /^(\d{1,2})(?::(\d{2}))?$/.exec(v.trim());
  if (!m) return v.trim();
  const h = Number(m[1]) === 24 && (m[2] ?? '00') === '00' ? 0 : Number(m[1]);
  return `${String(h).padStart(2, '0')}:${m[2] ?? '00'}`;
}

function RowEditor(p: { row: CostRow | null; existing: string[]; onDone(saved: string | null): Promise<void> }): VNode {
  const { t } = useApp();
  const form = useForm<RowForm>({
    initial: p.row ? toForm(p.row) : EMPTY,
    checks: (v) => {
      const e: Record<string, Problem> = checkAll(v, {
        prefix: isPrefix, h1: isWholeNumber, h2Begin: isTimeOfDay, h2End: isTimeOfDay, h2: isWholeNumber,
        increment: isIncrement, setup: isWholeNumber,
      });
      if (!p.row && !e.prefix && p.existing.includes(v.prefix.trim().toUpperCase())) e.prefix = 'e_prefixExists';
      return e;
    },
    send: async (v) => {
      const prefix = v.prefix.trim().toUpperCase();
      const body = {
        prefix,
        h1: Number(v.h1.trim()),
        h2Begin: hhmm(v.h2Begin),
        h2End: hhmm(v.h2End),
        h2: Number(v.h2.trim()),
        increment: Number(v.increment.trim()),
        setup: Number(v.setup.trim()),
      };
      await api('PUT', `costs/${seg(prefix)}`, body);
      await p.onDone(prefix);
    },
  });
  const title = p.row ? t('editCostRow', { prefix: p.row.prefix }) : t('newCostRow');
  return html`<form class="card grid editor" onSubmit=${form.onSubmit} novalidate aria-label=${title}>
    <h2 class="span">${title}</h2>
    <${Field} form=${form} name="prefix" label=${t('prefix')} readonly=${!!p.row} inputmode="numeric" />
    <${Field} form=${form} name="h1" label=${t('h1')} inputmode="numeric" />
    <${Field} form=${form} name="h2Begin" label=${t('h2Begin')} hint=${t('h2Hint')} />
    <${Field} form=${form} name="h2End" label=${t('h2End')} />
    <${Field} form=${form} name="h2" label=${t('h2')} inputmode="numeric" />
    <${Field} form=${form} name="increment" label=${t('increment')} inputmode="numeric" />
    <${Field} form=${form} name="setup" label=${t('setup')} inputmode="numeric" />
    <div class="span">
      <${Notice} status=${form.status} />
      <div class="row">
        <button class="btn primary" type="submit" disabled=${form.busy}>${t('submit')}</button>
        <button class="btn" type="button" onClick=${() => void p.onDone(null)}>${t('cancel')}</button>
      </div>
    </div>
  </form>`;
}

export function Costs(): VNode {
  const { t, num, config } = useApp();
  const list = useLoad(() => api<CostRow[]>('GET', 'costs'), []);
  // null: no editor; 'new': adding; else the prefix being edited
  const [editing, setEditing] = useState<string | null>(null);
  const [status, setStatus] = useState<Status | null>(null);
  const opener = useRef<HTMLElement | null>(null);

  const rows = [...(list.data ?? [])].sort((a, b) => (a.prefix === 'DEFAULT' ? -1 : b.prefix === 'DEFAULT' ? 1 : 0));
  const rate = (ups: number) => `${ups} (${ratePerMinute(ups, config.unitPrice, num)} ${t('perMin', { cur: config.currency })})`;

  const open = (what: string) => {
    opener.current = document.activeElement as HTMLElement | null;
    setStatus(null);
    setEditing(what);
    setTimeout(() => document.querySelector<HTMLInputElement>('.editor input:not([readonly])')?.focus(), 0);
  };
  const done = async (saved: string | null) => {
    setEditing(null);
    if (saved) {
      await list.reload();
      setStatus({ kind: 'ok', text: `${t('saved')} ${saved}` });
    }
    opener.current?.focus();
  };
  const remove = async (prefix: string) => {
    if (!(await confirmAction(t('deleteCostConfirm', { prefix }), t('delete')))) return;
    try {
      await api('DELETE', `costs/${seg(prefix)}`);
      await list.reload();
      setStatus({ kind: 'ok', text: `${t('delete')} ${prefix} ✓` });
    } catch (e) {
      setStatus({ kind: 'error', text: errorText(e, t) });
    }
  };

  const editRow = editing && editing !== 'new' ? rows.find((r) => r.prefix === editing) ?? null : null;
  return html`<section>
    <${PageHead} title=${t('costs')}><a href="#/">${t('home')}</a><//>
    ${list.error ? html`<p class="notice bad" role="alert">${list.error}</p>` : null}
    <${Notice} status=${status} />
    <${TableWrap} label=${t('costs')}>
      <table class="costs">
        <thead><tr>
          <th scope="col">${t('prefix')}</th><th scope="col">${t('h1')}</th><th scope="col">${t('h2Begin')}</th>
          <th scope="col">${t('h2End')}</th><th scope="col">${t('h2')}</th><th scope="col" class="num">${t('increment')}</th>
          <th scope="col" class="num">${t('setup')}</th>
          <th scope="col"><button class="btn small" type="button" onClick=${() => open('new')} aria-expanded=${editing === 'new'}>${t('add')}</button></th>
        </tr></thead>
        <tbody>
          ${rows.map((r) => html`<tr key=${r.prefix}>
            <th scope="row">${r.prefix}</th>
            <td>${rate(r.h1)}</td>
            <td>${showTimeOfDay(r.h2Begin)}</td>
            <td>${showTimeOfDay(r.h2End)}</td>
            <td>${rate(r.h2 ?? 0)}</td>
            <td class="num">${r.increment ?? 1}</td>
            <td class="num">${r.setup ?? 0}</td>
            <td class="actions">
              <button class="btn small" type="button" onClick=${() => open(r.prefix)} aria-label=${`${t('edit')} ${r.prefix}`}>${t('edit')}</button>
              ${r.prefix === 'DEFAULT'
                ? null
                : html`<button class="btn small danger" type="button" onClick=${() => void remove(r.prefix)} aria-label=${`${t('delete')} ${r.prefix}`}>${t('delete')}</button>`}
            </td>
          </tr>`)}
        </tbody>
      </table>
    <//>
    ${editing !== null ? html`<${RowEditor} key=${editing} row=${editRow} existing=${rows.map((r) => r.prefix)} onDone=${done} />` : null}
  </section>`;
}
