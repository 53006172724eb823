// Login with the admin password.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { api, ApiError } from '../api.ts';
import { useApp } from '../context.ts';
import { useForm } from '../hooks.ts';
import type { Key } from '../i18n.ts';
import { Field, Notice } from '../widgets/field.ts';
import { PageHead } from '../widgets/page-head.ts';

export function Login(p: { onDone(): void }): VNode {
  const { t } = useApp();
  const form = useForm({
    initial: { password: '' },
    checks: (v): Record<string, Key> => (v.password === '' ? { password: 'required' } : {}),
    send: async (v) => {
      try {
        await api('POST', 'session', { password: v.password });
      } catch (e) {
        // the login's own words for its two expected refusals
        if (e instanceof ApiError && e.status === 401) throw new ApiError(401, t('wrongPassword'), 'password');
        if (e instanceof ApiError && e.status === 429) throw new ApiError(429, t('tooMany'));
        throw e;
      }
      p.onDone();
    },
  });
  return html`<section class="narrow">
    <${PageHead} title=${t('loginTitle')} />
    <form class="card" onSubmit=${form.onSubmit} novalidate>
      <${Field} form=${form} name="password" type="password" label=${t('password')} autocomplete="current-password" focus />
      <${Notice} status=${form.status} />
      <div class="row"><button class="btn primary" type="submit" disabled=${form.busy}>${t('login')}</button></div>
    </form>
  </section>`;
}
