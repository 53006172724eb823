// One user: name / PIN / Caller ID, the balance, credit in currency or units, the statement.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { api, seg } from '../api.ts';
import { useApp } from '../context.ts';
import { amountOf, showAmount, showDate, showUnitPrice, signedUnits, unitsForAmount } from '../format.ts';
import { errorText, useForm, useLoad, useRefresh, type Status } from '../hooks.ts';
import { go } from '../router.ts';
import type { Ledger, User } from '../types.ts';
import { amountCheck, checkAll, isCallerIdOrEmpty, isName, isUnitsDelta } from '../validate.ts';
import { confirmAction } from '../widgets/confirm.ts';
import { Field, Notice } from '../widgets/field.ts';
import { PageHead } from '../widgets/page-head.ts';
import { TableWrap } from '../widgets/table.ts';

function EditUser(p: { user: User; onDone(): Promise<void> }): VNode {
  const { t } = useApp();
  const form = useForm({
    initial: { name: p.user.name, pin: '', callerId: p.user.callerId ?? '' },
    checks: (v) => checkAll(v, { name: isName, callerId: isCallerIdOrEmpty, ...(v.pin.trim() !== '' ? { pin: (s: string) => (/^\d{4,12}$/.test(s.trim()) ? null : 'e_pin' as const) } : {}) }),
    send: async (v) => {
      const body: Record<string, string> = { name: v.name.trim(), callerId: v.callerId.trim() };
      if (v.pin.trim() !== '') body.pin = v.pin.trim();
      await api('PUT', `users/${seg(p.user.id)}`, body);
      form.set('pin', '');
      await p.onDone();
      return t('saved');
    },
  });
  return html`<form class="card grid" onSubmit=${form.onSubmit} novalidate aria-label=${t('userTitle', { id: p.user.id })}>
    <${Field} form=${form} name="name" label=${t('name')} />
    <${Field} form=${form} name="pin" label=${t('pin')} inputmode="numeric" hint=${t('pinHint')} />
    <${Field} form=${form} name="callerId" label=${t('callerId')} inputmode="tel" />
    <div class="span">
      <${Notice} status=${form.status} />
      <button class="btn primary" type="submit" disabled=${form.busy}>${t('submit')}</button>
    </div>
  </form>`;
}

function Credit(p: { user: User; onDone(): Promise<void> }): VNode {
  const { t, num, config } = useApp();
  const cur = config.currency;
  const byAmount = useForm({
    initial: { amount: '' },
    checks: (v) => {
      const e = checkAll(v, { amount: amountCheck(config.unitPrice) });
      // the price in the message tells why 0,00001 cannot be credited
      return e.amount === 'e_amountUnits' ? { amount: ['e_amountUnits', { price: `${showUnitPrice(config.unitPrice, num)} ${cur}` }] } : e;
    },
    send: async (v) => {
      await api('POST', `users/${seg(p.user.id)}/credit`, { amount: v.amount.trim().replace(',', '.') });
      byAmount.setValues({ amount: '' });
      await p.onDone();
      return t('credited');
    },
  });
  const byUnits = useForm({
    initial: { units: '' },
    checks: (v) => checkAll(v, { units: isUnitsDelta }),
    send: async (v) => {
      await api('POST', `users/${seg(p.user.id)}/credit`, { units: Number(v.units.trim()) });
      byUnits.setValues({ units: '' });
      await p.onDone();
      return t('credited');
    },
  });
  const preview = unitsForAmount(byAmount.values.amount, config.unitPrice);
  const unitsPreview = /^[+-]?\d{1,15}$/.test(byUnits.values.units.trim())
    ? `= ${showAmount(amountOf(Number(byUnits.values.units.trim()), config.unitPrice), num, 2)} ${cur}`
    : undefined;
  return html`<div class="two">
    <form class="card inline-form" onSubmit=${byAmount.onSubmit} novalidate>
      <${Field} form=${byAmount} name="amount" label=${t('addAmount', { cur })} inputmode="decimal"
        hint=${preview !== null && byAmount.values.amount.trim() !== '' ? t('equalsUnits', { units: preview }) : undefined} />
      <button class="btn primary" type="submit" disabled=${byAmount.busy}>${t('submit')}</button>
      <${Notice} status=${byAmount.status} />
    </form>
    <form class="card inline-form" onSubmit=${byUnits.onSubmit} novalidate>
      <${Field} form=${byUnits} name="units" label=${t('addUnits')} inputmode="numeric" hint=${unitsPreview} />
      <button class="btn primary" type="submit" disabled=${byUnits.busy}>${t('submit')}</button>
      <${Notice} status=${byUnits.status} />
    </form>
  </div>`;
}

function Statement(p: { ledger: Ledger }): VNode {
  const { t, num, config } = useApp();
  const lines = p.ledger.lines ?? [];
  return html`<${TableWrap} label=${t('statement')}>
    <table class="ledger">
      <caption>${t('statement')}</caption>
      <thead><tr>
        <th scope="col">${t('date')}</th><th scope="col">${t('operation')}</th><th scope="col">${t('dialed')}</th>
        <th scope="col" class="num">${t('duration')}</th><th scope="col" class="num">${t('units')}</th><th scope="col" class="num">${config.currency}</th>
      </tr></thead>
      <tbody>
        ${lines.map((l) => html`<tr>
          <td class="mono">${showDate(l.date, config.timezone)}</td>
          <td>${l.operation}</td>
          <td>${l.dialed ?? ''}</td>
          <td class="num">${l.duration ?? ''}</td>
          <td class="num">${signedUnits(l.units, l.operation === 'CALL')}</td>
          <td class="num">${showAmount(l.amount, num)}</td>
        </tr>`)}
      </tbody>
      <tfoot><tr>
        <th scope="row">${t('total')}</th><td></td><td></td><td></td>
        <td class="num">${signedUnits(p.ledger.total?.units ?? 0, false)}</td>
        <td class="num">${showAmount(p.ledger.total?.amount, num, 2)}</td>
      </tr></tfoot>
    </table>
  <//>`;
}

export function UserPage(p: { id: string }): VNode {
  const { t, num, config } = useApp();
  const user = useLoad(() => api<User>('GET', `users/${seg(p.id)}`), [p.id]);
  const ledger = useLoad(() => api<Ledger>('GET', `users/${seg(p.id)}/ledger`), [p.id]);
  const [status, setStatus] = useState<Status | null>(null);
  const reload = async () => {
    await Promise.all([user.reload(), ledger.reload()]);
  };
  useRefresh(reload);
  const remove = async () => {
    if (!(await confirmAction(t('deleteUserConfirm', { id: p.id }), t('deleteUser')))) return;
    try {
      await api('DELETE', `users/${seg(p.id)}`);
      go('/users');
    } catch (e) {
      setStatus({ kind: 'error', text: errorText(e, t) });
    }
  };
  const u = user.data;
  const amount = u ? (u.amount ?? amountOf(u.units, config.unitPrice)) : '';
  return html`<section>
    <${PageHead} title=${t('userTitle', { id: p.id })}>
      <a href="#/users">${t('cancel')}</a>
      <a href=${`#/users/${seg(p.id)}/dids`}>${t('didMap')}</a>
    <//>
    ${user.error ? html`<p class="notice bad" role="alert">${user.error}</p>` : null}
    ${u
      ? html`
        <${EditUser} key=${u.id} user=${u} onDone=${reload} />
        <p class="balance" aria-live="polite">${t('available', { units: u.units, amount: showAmount(amount, num, 2), cur: config.currency })}</p>
        <${Credit} user=${u} onDone=${reload} />`
      : user.loading ? html`<p>${t('loading')}</p>` : null}
    ${ledger.error && !user.error ? html`<p class="notice bad" role="alert">${ledger.error}</p>` : null}
    ${ledger.data ? html`<${Statement} ledger=${ledger.data} />` : null}
    ${u
      ? html`<div class="row danger-zone">
          <button class="btn danger" type="button" onClick=${remove}>${t('deleteUser')}</button>
          <${Notice} status=${status} />
        </div>`
      : null}
  </section>`;
}
