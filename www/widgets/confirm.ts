// Destructive acts ask first, in a modal <dialog> (focus trapped, Esc cancels).
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useApp } from '../context.ts';

interface Ask {
  message: string;
  ok: string;
  resolve(v: boolean): void;
}

let ask: ((message: string, ok: string) => Promise<boolean>) | null = null;

export function confirmAction(message: string, okLabel: string): Promise<boolean> {
  return ask ? ask(message, okLabel) : Promise.resolve(window.confirm(message));
}

export function ConfirmHost(): VNode {
  const { t } = useApp();
  const ref = useRef<HTMLDialogElement>(null);
  const [req, setReq] = useState<Ask | null>(null);
  const opener = useRef<HTMLElement | null>(null);

  useEffect(() => {
    ask = (message, ok) =>
      new Promise<boolean>((resolve) => {
        opener.current = document.activeElement as HTMLElement | null;
        setReq({ message, ok, resolve });
      });
    return () => {
      ask = null;
    };
  }, []);

  useEffect(() => {
    const d = ref.current;
    if (req && d && !d.open) d.showModal();
  }, [req]);

  const done = (v: boolean) => {
    ref.current?.close();
    req?.resolve(v);
    setReq(null);
    opener.current?.focus();
  };

  return html`<dialog ref=${ref} class="confirm" aria-labelledby="confirm-msg"
      onCancel=${(e: Event) => { e.preventDefault(); done(false); }}>
    <p id="confirm-msg">${req?.message ?? ''}</p>
    <div class="row end">
      <button type="button" class="btn" autofocus onClick=${() => done(false)}>${t('cancel')}</button>
      <button type="button" class="btn danger" onClick=${() => done(true)}>${req?.ok ?? t('confirm')}</button>
    </div>
  </dialog>`;
}
