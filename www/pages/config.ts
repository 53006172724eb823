// General parameters: every field of the seed's screen, plus the warning and the schedule.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useMemo } from 'preact/hooks';
import { api } from '../api.ts';
import { useApp } from '../context.ts';
import { releaseName, showUnitPrice, type Lang } from '../format.ts';
import { useForm } from '../hooks.ts';
import type { Key } from '../i18n.ts';
import type { Config } from '../types.ts';
import {
  checkAll, intIn, isCronOrEmpty, isCurrency, isDigits, isHost, isPassword, isPort,
  isSeparator, isTimezone, isUnitPrice, type Problem,
} from '../validate.ts';
import { Field, Notice } from '../widgets/field.ts';
import { PageHead } from '../widgets/page-head.ts';

type Form = {
  webPort: string; adminPassword: string; adminPasswordConfirm: string; language: string; ivrDid: string;
  engineAddress: string; enginePort: string; engineTimeout: string; timezone: string;
  defaultCallingAddress: string; defaultCallingForced: boolean; serviceLog: boolean;
  csvSeparator: string; currency: string; unitPrice: string; warningSeconds: string; billingSchedule: string;
};

function toForm(c: Config, num: Lang): Form {
  return {
    webPort: String(c.webPort ?? ''),
    adminPassword: '',
    adminPasswordConfirm: '',
    language: c.language ?? 'fr',
    ivrDid: c.ivrDid ?? '',
    engineAddress: c.engineAddress ?? '',
    enginePort: String(c.enginePort ?? ''),
    engineTimeout: String(c.engineTimeout ?? ''),
    timezone: c.timezone ?? '',
    defaultCallingAddress: c.defaultCallingAddress ?? '',
    defaultCallingForced: c.defaultCallingForced === true,
    serviceLog: c.serviceLog === true,
    csvSeparator: c.csvSeparator ?? '',
    currency: c.currency ?? '',
    unitPrice: c.unitPrice ? showUnitPrice(c.unitPrice, num) : '',
    warningSeconds: String(c.warningSeconds ?? ''),
    billingSchedule: c.billingSchedule ?? '',
  };
}

const NUMBERS = ['webPort', 'enginePort', 'engineTimeout', 'warningSeconds'] as const;

export function ConfigPage(): VNode {
  const { t, config, num, reloadConfig } = useApp();
  const zones = useMemo(() => {
    try {
      return Intl.supportedValuesOf('timeZone');
    } catch {
      return [] as string[];
    }
  }, []);
  const initial = toForm(config, num);
  const form = useForm<Form>({
    initial,
    checks: (v) => {
      const e: Record<string, Problem> = checkAll(v, {
        webPort: isPort, ivrDid: isDigits, engineAddress: isHost, enginePort: isPort,
        engineTimeout: intIn(1, 60), timezone: isTimezone, csvSeparator: isSeparator,
        currency: isCurrency, unitPrice: isUnitPrice, warningSeconds: intIn(0, 3600), billingSchedule: isCronOrEmpty,
      });
      if (v.adminPassword !== '') {
        const weak = isPassword(v.adminPassword);
        if (weak) e.adminPassword = weak;
        else if (v.adminPasswordConfirm !== v.adminPassword) e.adminPasswordConfirm = 'passwordsDiffer';
      }
      return e;
    },
    send: async (v) => {
      // only what changed: PUT takes a partial object
      const before = toForm(config, num);
      const patch: Record<string, unknown> = {};
      for (const k of Object.keys(v) as (keyof Form)[]) {
        if (k === 'adminPassword' || k === 'adminPasswordConfirm' || v[k] === before[k]) continue;
        const val = v[k];
        if ((NUMBERS as readonly string[]).includes(k)) patch[k] = Number(String(val).trim());
        else if (k === 'unitPrice') patch[k] = String(val).trim().replace(',', '.');
        else if (typeof val === 'string' && k !== 'csvSeparator') patch[k] = val.trim();
        else patch[k] = val;
      }
      if (v.adminPassword !== '') patch.adminPassword = v.adminPassword;
      if (Object.keys(patch).length > 0) {
        const saved = await api<Config>('PUT', 'config', patch);
        await reloadConfig();
        form.setValues(toForm(saved && typeof saved === 'object' && 'unitPrice' in saved ? saved : config, num));
      }
      return t('saved');
    },
  });
  const F = (name: keyof Form, label: Key, more: Record<string, unknown> = {}) =>
    html`<${Field} form=${form} name=${name} label=${t(label)} ...${more} />`;
  return html`<section>
    <${PageHead} title=${`${t('config')} (Prepaid v${releaseName(__VERSION__)})`}><a href="#/">${t('home')}</a><//>
    <form class="card grid" onSubmit=${form.onSubmit} novalidate>
      ${F('webPort', 'webPort', { inputmode: 'numeric', hint: t('webPortHint') })}
      ${F('adminPassword', 'adminPassword', { type: 'password', placeholder: '*****', autocomplete: 'new-password', hint: t('adminPasswordHint') })}
      ${form.values.adminPassword !== '' ? F('adminPasswordConfirm', 'adminPasswordConfirm', { type: 'password', autocomplete: 'new-password' }) : null}
      ${F('language', 'mediaLanguage', { type: 'select', options: [{ value: 'fr', label: 'FR' }, { value: 'en', label: 'EN' }] })}
      ${F('ivrDid', 'ivrDid', { inputmode: 'tel' })}
      ${F('engineAddress', 'engineAddress')}
      ${F('enginePort', 'enginePort', { inputmode: 'numeric' })}
      ${F('engineTimeout', 'engineTimeout', { inputmode: 'numeric' })}
      ${F('timezone', 'timezone', { list: 'tz-list' })}
      ${F('defaultCallingAddress', 'defaultCallingAddress')}
      ${F('defaultCallingForced', 'defaultCallingForced', { type: 'checkbox' })}
      ${F('serviceLog', 'serviceLog', { type: 'checkbox' })}
      ${F('csvSeparator', 'csvSeparator', { hint: t('csvSeparatorHint'), class: 'short' })}
      ${F('currency', 'currency')}
      ${F('unitPrice', 'unitPrice', { inputmode: 'decimal' })}
      ${F('warningSeconds', 'warningSeconds', { inputmode: 'numeric', hint: t('warningSecondsHint') })}
      ${F('billingSchedule', 'billingSchedule', { hint: t('billingScheduleHint') })}
      <datalist id="tz-list">${zones.map((z) => html`<option value=${z} />`)}</datalist>
      <div class="span">
        <${Notice} status=${form.status} />
        <button class="btn primary" type="submit" disabled=${form.busy}>${t('submit')}</button>
      </div>
    </form>
  </section>`;
}
