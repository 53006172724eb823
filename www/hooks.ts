// Data loading and form state shared by the pages.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.ts';
import { openFeed } from './live.ts';
import { useApp } from './context.ts';
import { errorKey, type T } from './i18n.ts';
import type { Problem } from './validate.ts';

export interface Loaded<D> {
  data: D | null;
  error: string | null;
  loading: boolean;
  reload(): Promise<void>;
}

/** The message for a failed call, in the page's language where it knows the API's code. */
export function errorText(e: unknown, t: T): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return t('netError');
    const key = errorKey(e.code, e.params, e.field);
    return key ? t(key, e.params) : e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

export function useLoad<D>(fetcher: () => Promise<D>, deps: unknown[]): Loaded<D> {
  const { t } = useApp();
  const [data, setData] = useState<D | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const gen = useRef(0);
  const reload = useCallback(async () => {
    const mine = ++gen.current;
    setLoading(true);
    try {
      const d = await fetcher();
      if (mine !== gen.current) return; // a newer load won
      setData(d);
      setError(null);
    } catch (e) {
      if (mine === gen.current) setError(errorText(e, t));
    } finally {
      if (mine === gen.current) setLoading(false);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, loading, reload };
}

/** A page's data changes behind its back: calls settle, scripts credit users. */
export const REFRESH_EVERY_MS = 15_000;

/**
 * Reloads when a live call ends (it was just settled: balances and statements moved) and
 * every REFRESH_EVERY_MS while the tab is shown (changes made elsewhere, by a script).
 */
export function useRefresh(reload: () => Promise<void>): void {
  const latest = useRef(reload);
  latest.current = reload;
  useEffect(() => {
    let live: Set<string> | null = null;
    const closeFeed = openFeed({
      calls: (calls) => {
        const now = new Set(calls.map((c) => c.callId));
        const ended = live !== null && [...live].some((id) => !now.has(id));
        live = now;
        if (ended) void latest.current();
      },
      state: () => {},
    });
    const timer = setInterval(() => {
      if (typeof document === 'undefined' || !document.hidden) void latest.current();
    }, REFRESH_EVERY_MS);
    return () => {
      closeFeed();
      clearInterval(timer);
    };
  }, []);
}

export interface Status {
  kind: 'ok' | 'error';
  text: string;
}

export type Values = Record<string, string | boolean>;

export interface Form<V extends Values> {
  id: string;
  values: V;
  errors: Record<string, string>;
  busy: boolean;
  status: Status | null;
  set(name: keyof V & string, value: string | boolean): void;
  setValues(v: V): void;
  setStatus(s: Status | null): void;
  onSubmit(e: Event): void;
}

let formSeq = 0;

/**
 * A form: client checks first (same rules as the API), then `send`; an API error with a
 * `field` is shown next to that field, any other error above the button.
 */
export function useForm<V extends Values>(o: {
  initial: V;
  /** field → message key, or [key, values] for a message with placeholders. */
  checks?: (v: V) => Record<string, Problem>;
  send: (v: V) => Promise<string | void>;
}): Form<V> {
  const { t } = useApp();
  const id = useMemo(() => `f${++formSeq}`, []);
  const [values, setValues] = useState<V>(o.initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<Status | null>(null);

  const set = (name: keyof V & string, value: string | boolean) => {
    setValues((v) => ({ ...v, [name]: value }));
    if (errors[name]) setErrors((e) => ({ ...e, [name]: '' }));
  };

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const formEl = e.currentTarget as HTMLFormElement;
    const focusFirstError = () => setTimeout(() => formEl.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus(), 0);
    const found = o.checks ? o.checks(values) : {};
    const local: Record<string, string> = {};
    for (const [k, msg] of Object.entries(found)) local[k] = Array.isArray(msg) ? t(msg[0], msg[1]) : t(msg);
    setErrors(local);
    setStatus(null);
    if (Object.keys(local).length > 0) {
      focusFirstError();
      return;
    }
    setBusy(true);
    try {
      const msg = await o.send(values);
      setStatus(msg ? { kind: 'ok', text: msg } : null);
    } catch (err) {
      if (err instanceof ApiError && err.field && err.field in values) {
        setErrors({ [err.field]: errorText(err, t) });
        focusFirstError();
      } else {
        setStatus({ kind: 'error', text: errorText(err, t) });
      }
    } finally {
      setBusy(false);
    }
  };

  return { id, values, errors, busy, status, set, setValues, setStatus, onSubmit: (e) => void onSubmit(e) };
}
