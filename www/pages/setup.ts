// First run: no admin password yet (`GET api/session` says passwordSet: false).
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { api } from '../api.ts';
import { useApp } from '../context.ts';
import { useForm } from '../hooks.ts';
import type { Key } from '../i18n.ts';
import { isPassword } from '../validate.ts';
import { Field, Notice } from '../widgets/field.ts';
import { PageHead } from '../widgets/page-head.ts';

export function Setup(p: { onDone(): void }): VNode {
  const { t } = useApp();
  const form = useForm({
    initial: { password: '', confirm: '' },
    checks: (v) => {
      const e: Record<string, Key> = {};
      // the API takes any non-empty password (up to 1024 characters)
      const weak = isPassword(v.password);
      if (weak) e.password = weak;
      else if (v.confirm !== v.password) e.confirm = 'passwordsDiffer';
      return e;
    },
    send: async (v) => {
      await api('POST', 'session/setup', { password: v.password });
      p.onDone();
    },
  });
  return html`<section class="narrow">
    <${PageHead} title=${t('setupTitle')} />
    <p>${t('setupIntro')}</p>
    <form class="card" onSubmit=${form.onSubmit} novalidate>
      <${Field} form=${form} name="password" type="password" label=${t('newPassword')} autocomplete="new-password" />
      <${Field} form=${form} name="confirm" type="password" label=${t('confirmPassword')} autocomplete="new-password" />
      <${Notice} status=${form.status} />
      <div class="row"><button class="btn primary" type="submit" disabled=${form.busy}>${t('setPassword')}</button></div>
    </form>
  </section>`;
}
