// Users: the list with a quick "Add" of units per row, a new-user form, and Start billing.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import { api, seg } from '../api.ts';
import { useApp } from '../context.ts';
import { asCalls } from '../live.ts';
import { errorText, useForm, useLoad, useRefresh, type Status } from '../hooks.ts';
import type { User } from '../types.ts';
import { checkAll, isCallerIdOrEmpty, isName, isPin, isUnitsDelta, isUserId } from '../validate.ts';
import { confirmAction } from '../widgets/confirm.ts';
import { Field, Notice } from '../widgets/field.ts';
import { PageHead } from '../widgets/page-head.ts';
import { TableWrap } from '../widgets/table.ts';

function AddUnits(p: { user: User; onDone(): Promise<void> }): VNode {
  const { t } = useApp();
  const form = useForm({
    initial: { units: '' },
    checks: (v) => checkAll(v, { units: isUnitsDelta }),
    send: async (v) => {
      await api('POST', `users/${seg(p.user.id)}/credit`, { units: Number(v.units.trim()) });
      form.setValues({ units: '' });
      await p.onDone();
    },
  });
  return html`<form class="inline" onSubmit=${form.onSubmit} novalidate>
    <${Field} form=${form} name="units" label=${t('addUnitsFor', { id: p.user.id })} hideLabel inputmode="numeric" placeholder=${t('unitsPlaceholder')} class="units-in" />
    <button class="btn small" type="submit" disabled=${form.busy}>${t('add')}</button>
    ${form.status?.kind === 'error' ? html`<small class="err" role="alert">${form.status.text}</small>` : null}
  </form>`;
}

export function Users(): VNode {
  const { t } = useApp();
  const list = useLoad(() => api<User[]>('GET', 'users'), []);
  useRefresh(list.reload);
  const [billing, setBilling] = useState<Status | null>(null);
  const [archive, setArchive] = useState<string | null>(null);
  const [closing, setClosing] = useState(false);

  const startBilling = async () => {
    if (!(await confirmAction(t('startBillingConfirm'), t('startBilling')))) return;
    setClosing(true);
    setArchive(null);
    try {
      const r = await api<{ name: string }>('POST', 'billing/close');
      setArchive(r.name);
      // the calls still up were left out of the closed period (the close answers only its name)
      const live = asCalls(await api<unknown>('GET', 'calls').catch(() => [])).filter((c) => c.status === 'connected').length;
      // calls up at the close are billed in the new period: the admin should know why they are missing
      setBilling({ kind: 'ok', text: live > 0 ? `${t('billingLiveCalls', { n: live })} ${t('billingDone')} ` : `${t('billingDone')} ` });
      await list.reload();
    } catch (e) {
      setBilling({ kind: 'error', text: errorText(e, t) });
    } finally {
      setClosing(false);
    }
  };

  const create = useForm({
    initial: { id: '', name: '', pin: '', callerId: '' },
    checks: (v) => checkAll(v, { id: isUserId, name: isName, pin: isPin, callerId: isCallerIdOrEmpty }),
    send: async (v) => {
      const body: Record<string, string> = { id: v.id.trim(), name: v.name.trim(), pin: v.pin.trim() };
      if (v.callerId.trim() !== '') body.callerId = v.callerId.trim();
      await api('POST', 'users', body);
      create.setValues({ id: '', name: '', pin: '', callerId: '' });
      await list.reload();
      return `${t('saved')} ${body.id}`;
    },
  });

  const users = list.data ?? [];
  return html`<section>
    <${PageHead} title=${t('users')}><a href="#/">${t('home')}</a><//>
    <div class="row">
      <button class="btn" type="button" onClick=${startBilling} disabled=${closing}>${t('startBilling')}</button>
    </div>
    <${Notice} status=${billing}>${archive ? html`<a href=${`api/billing/archives/${seg(archive)}`} download=${archive}>${archive}</a>` : null}<//>
    ${list.error ? html`<p class="notice bad" role="alert">${list.error}</p>` : null}
    <${TableWrap} label=${t('users')}>
      <table class="users">
        <thead><tr><th scope="col">${t('userId')}</th><th scope="col">${t('name')}</th><th scope="col" class="num">${t('units')}</th><th scope="col">${t('add')}</th></tr></thead>
        <tbody>
          ${users.map((u) => html`<tr key=${u.id}>
            <td><a href=${`#/users/${seg(u.id)}`}>${u.id}</a></td>
            <td>${u.name}</td>
            <td class="num">${u.units}</td>
            <td><${AddUnits} user=${u} onDone=${list.reload} /></td>
          </tr>`)}
          ${!list.loading && users.length === 0 ? html`<tr><td colspan="4" class="empty">${t('none')}</td></tr>` : null}
        </tbody>
      </table>
    <//>
    <h2>${t('newUser')}</h2>
    <form class="card grid" onSubmit=${create.onSubmit} novalidate aria-label=${t('newUser')}>
      <${Field} form=${create} name="id" label=${t('userId')} inputmode="numeric" />
      <${Field} form=${create} name="name" label=${t('name')} />
      <${Field} form=${create} name="pin" label=${t('pin')} inputmode="numeric" />
      <${Field} form=${create} name="callerId" label=${t('callerId')} inputmode="tel" />
      <div class="span">
        <${Notice} status=${create.status} />
        <button class="btn primary" type="submit" disabled=${create.busy}>${t('create')}</button>
      </div>
    </form>
  </section>`;
}
