// A labelled form control bound to a useForm field, its hint and its error.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { Form, Values } from '../hooks.ts';

interface FieldProps<V extends Values> {
  form: Form<V>;
  name: keyof V & string;
  label: string;
  type?: 'text' | 'password' | 'checkbox' | 'select';
  hint?: string;
  inputmode?: 'numeric' | 'decimal' | 'tel' | 'text';
  autocomplete?: string;
  placeholder?: string;
  options?: { value: string; label: string }[];
  list?: string;
  readonly?: boolean;
  /** The label stays for screen readers only (inline table forms). */
  hideLabel?: boolean;
  class?: string;
  /** Focused when shown (the login's password: type at once). */
  focus?: boolean;
}

export function Field<V extends Values>(p: FieldProps<V>): VNode {
  const id = `${p.form.id}-${p.name}`;
  const error = p.form.errors[p.name];
  const described = [p.hint ? `${id}-h` : '', error ? `${id}-e` : ''].filter(Boolean).join(' ') || undefined;
  const value = p.form.values[p.name];
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (p.focus) ref.current?.focus();
  }, []);
  const common = {
    id,
    name: p.name,
    'aria-invalid': error ? 'true' : undefined,
    'aria-describedby': described,
  };
  let control: VNode;
  if (p.type === 'checkbox') {
    control = html`<input ...${common} type="checkbox" checked=${value === true}
      onChange=${(e: Event) => p.form.set(p.name, (e.currentTarget as HTMLInputElement).checked)} />`;
  } else if (p.type === 'select') {
    control = html`<select ...${common} value=${String(value)}
      onChange=${(e: Event) => p.form.set(p.name, (e.currentTarget as HTMLSelectElement).value)}>
      ${(p.options ?? []).map((o) => html`<option value=${o.value}>${o.label}</option>`)}
    </select>`;
  } else {
    control = html`<input ...${common} ref=${ref} type=${p.type ?? 'text'} value=${String(value ?? '')}
      inputmode=${p.inputmode} autocomplete=${p.autocomplete ?? 'off'} placeholder=${p.placeholder}
      list=${p.list} readonly=${p.readonly} spellcheck="false"
      onInput=${(e: Event) => p.form.set(p.name, (e.currentTarget as HTMLInputElement).value)} />`;
  }
  return html`<div class=${`field ${p.type === 'checkbox' ? 'check' : ''} ${p.class ?? ''}`}>
    <label for=${id} class=${p.hideLabel ? 'sr-only' : undefined}>${p.label}</label>
    ${control}
    ${p.hint ? html`<small id=${`${id}-h`} class="hint">${p.hint}</small>` : null}
    ${error ? html`<small id=${`${id}-e`} class="err">${error}</small>` : null}
  </div>`;
}

/** The outcome of a form or an action, announced to screen readers. */
export function Notice(p: { status: { kind: 'ok' | 'error'; text: string } | null; children?: unknown }): VNode | null {
  if (!p.status) return null;
  return p.status.kind === 'error'
    ? html`<p class="notice bad" role="alert">${p.status.text}</p>`
    : html`<p class="notice good" role="status">${p.status.text}${p.children ?? null}</p>`;
}
