// Request-body checks shared by the API handlers: every failure is a 400 naming the field,
// raised before anything is changed.
import { AppError } from '../../errors.ts';
import type { Req } from '../http.ts';

export function bad(field: string | undefined, message: string): AppError {
  return new AppError('BAD_REQUEST', message, field);
}

/** The JSON body as an object whose keys are all in `allowed`. */
export function objectBody(req: Req, allowed: readonly string[]): Record<string, unknown> {
  const v = req.json();
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(undefined, 'the body must be a JSON object');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw bad(k, `unknown field ${JSON.stringify(k)}`);
  return o;
}

export function has(o: Record<string, unknown>, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k) && o[k] !== undefined;
}

/** Length in characters (code points), so "é" counts as one. */
export function charCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function text(
  v: unknown,
  field: string,
  o: { min?: number; max: number; pattern?: RegExp; hint?: string },
): string {
  if (typeof v !== 'string') throw bad(field, `${field} must be a string`);
  const n = charCount(v);
  const min = o.min ?? 0;
  if (n < min || n > o.max) {
    throw bad(field, min === o.max ? `${field} must be ${min} characters` : `${field} must be ${min} to ${o.max} characters`);
  }
  // control characters never belong in these fields (they would corrupt CSVs and logs)
  if (/[\x00-\x1f\x7f]/.test(v)) throw bad(field, `${field} must not contain control characters`);
  if (o.pattern && !o.pattern.test(v)) throw bad(field, o.hint ?? `${field} is not valid`);
  return v;
}

export function integer(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw bad(field, `${field} must be a whole number`);
  if (v < min || v > max) throw bad(field, `${field} must be between ${min} and ${max}`);
  return v === 0 ? 0 : v;
}

export function boolean(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') throw bad(field, `${field} must be true or false`);
  return v;
}

/** Digits, optionally with a leading +: phone numbers and caller IDs. */
export const PHONE = /^\+?\d{1,32}$/;
export const DIGITS = /^\d+$/;
