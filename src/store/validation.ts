// Input checks for everything the store writes. Each returns the canonical value or throws
// AppError BAD_REQUEST naming the field, and runs before any write is queued.
import { AppError } from '../errors.ts';
import { UNIT_PRICE_RULE, validUnitPrice } from '../money/index.ts';
import { isValidTimezone, normalizeCostRow, type CostRow } from '../rating/index.ts';
import { validate as validCron } from 'node-cron';
import { MAX_TIME } from './keys.ts';
import type { Cdr, Config, OpenCall } from './types.ts';

export function bad(field: string, message: string): AppError {
  return new AppError('BAD_REQUEST', message, field);
}

const CONTROL = /[\u0000-\u001f\u007f]/;

export function userId(v: unknown, field = 'id'): string {
  if (typeof v !== 'string' || !/^\d{1,16}$/.test(v)) throw bad(field, `${field} must be 1 to 16 digits`);
  return v;
}

export function userName(v: unknown): string {
  if (typeof v !== 'string') throw bad('name', 'name must be text');
  const n = [...v].length;
  if (n < 1 || n > 64) throw bad('name', 'name must be 1 to 64 characters');
  if (CONTROL.test(v)) throw bad('name', 'name must not contain control characters');
  return v;
}

export function pin(v: unknown): string {
  if (typeof v !== 'string' || !/^\d{4,12}$/.test(v)) throw bad('pin', 'pin must be 4 to 12 digits');
  return v;
}

/** '' (none) or digits with an optional leading '+', 20 characters at most. */
export function callerId(v: unknown): string {
  if (v === undefined || v === null || v === '') return '';
  if (typeof v !== 'string' || !/^\+?\d+$/.test(v) || v.length > 20) {
    throw bad('callerId', 'callerId must be digits with an optional leading +, at most 20 characters');
  }
  return v;
}

/** A DID or a forwarded number: digits with an optional leading '+', 32 characters at most. */
export function phoneNumber(v: unknown, field: string): string {
  if (typeof v !== 'string' || !/^\+?\d+$/.test(v) || v.length > 32) {
    throw bad(field, `${field} must be digits with an optional leading +`);
  }
  return v;
}

export function units(v: unknown, field = 'units'): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw bad(field, `${field} must be a whole number of units`);
  return v === 0 ? 0 : v;
}

export function nonNegativeInt(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(field, `${field} must be a whole number ≥ 0`);
  return v === 0 ? 0 : v;
}

export function time(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > MAX_TIME) {
    throw bad(field, `${field} must be a time in epoch milliseconds`);
  }
  return v === 0 ? 0 : v;
}

export function optionalTime(v: unknown, field: string): number | null {
  return v === null ? null : time(v, field);
}

/** Free text that ends up in CDRs and logs (dialed, from, cause): bounded, no NUL. */
export function text(v: unknown, field: string, max: number): string {
  if (typeof v !== 'string' || v.length > max || v.includes('\u0000')) {
    throw bad(field, `${field} must be text of at most ${max} characters`);
  }
  return v;
}

/** Engine call ids: opaque, 1 to 64 bytes. */
export function callId(v: unknown, field = 'callId'): string {
  if (typeof v !== 'string' || v.length === 0 || Buffer.byteLength(v, 'utf8') > 64) {
    throw bad(field, `${field} must be 1 to 64 bytes`);
  }
  return v;
}

export function archiveName(v: unknown): string {
  if (typeof v !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(v)) {
    throw bad('name', 'archive name must be 1 to 100 letters, digits, "_", "." or "-"');
  }
  return v;
}

export function costRow(v: unknown): CostRow {
  return normalizeCostRow(v);
}

export function cdr(v: unknown): Cdr {
  if (typeof v !== 'object' || v === null) throw bad('cdr', 'cdr must be an object');
  const c = v as Record<string, unknown>;
  const out: Cdr = {
    endAt: time(c.endAt, 'endAt'),
    offerAt: time(c.offerAt, 'offerAt'),
    connectDelay: c.connectDelay === null ? null : nonNegativeInt(c.connectDelay, 'connectDelay'),
    duration: nonNegativeInt(c.duration, 'duration'),
    cost: nonNegativeInt(c.cost, 'cost'),
    user: c.user === '' ? '' : userId(c.user, 'user'),
    dialed: text(c.dialed, 'dialed', 64),
    callId: callId(c.callId),
    from: text(c.from, 'from', 64),
    cause: text(c.cause, 'cause', 64),
  };
  if (c.recovered !== undefined) {
    if (typeof c.recovered !== 'boolean') throw bad('recovered', 'recovered must be a boolean');
    out.recovered = c.recovered;
  }
  return out;
}

export function openCall(v: unknown): OpenCall {
  if (typeof v !== 'object' || v === null) throw bad('call', 'open call must be an object');
  const c = v as Record<string, unknown>;
  return {
    callId: callId(c.callId),
    userId: userId(c.userId, 'userId'),
    from: text(c.from, 'from', 64),
    dialed: text(c.dialed, 'dialed', 64),
    offerAt: time(c.offerAt, 'offerAt'),
    dialAt: time(c.dialAt, 'dialAt'),
    connectedAt: optionalTime(c.connectedAt, 'connectedAt'),
    row: costRow(c.row),
    checkpointAt: optionalTime(c.checkpointAt, 'checkpointAt'),
  };
}

function port(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) {
    throw bad(field, `${field} must be a port number 1-65535`);
  }
  return v;
}

function bool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') throw bad(field, `${field} must be true or false`);
  return v;
}

const HOST = /^[A-Za-z0-9.:_-]{1,253}$/;
const CSV_SEPARATORS = ['', ',', ';', '\t', '|', ':', ' '];

/** One general parameter, canonical. Keys outside Config are refused. */
export function configField(key: string, v: unknown): Config[keyof Config] {
  switch (key) {
    case 'webPort':
    case 'enginePort':
      return port(v, key);
    case 'language': {
      const s = typeof v === 'string' ? v.toLowerCase() : v;
      if (s !== 'fr' && s !== 'en') throw bad(key, 'language must be fr or en');
      return s;
    }
    case 'ivrDid':
      return phoneNumber(v, key);
    case 'engineAddress':
      if (typeof v !== 'string' || !HOST.test(v)) throw bad(key, 'engineAddress must be a host name or IP address');
      return v;
    case 'engineTimeout':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 300) {
        throw bad(key, 'engineTimeout must be a whole number of seconds from 1 to 300');
      }
      return v;
    case 'timezone':
      if (typeof v !== 'string' || v === '' || !isValidTimezone(v)) throw bad(key, 'timezone must be an IANA time zone');
      return v;
    case 'defaultCallingAddress':
      if (typeof v !== 'string' || (v !== '' && !HOST.test(v))) {
        throw bad(key, 'defaultCallingAddress must be empty or a host[:port]');
      }
      return v;
    case 'defaultCallingForced':
    case 'serviceLog':
      return bool(v, key);
    case 'csvSeparator':
      if (typeof v !== 'string' || !CSV_SEPARATORS.includes(v)) {
        throw bad(key, 'csvSeparator must be empty (";"), ",", ";", tab, "|", ":" or space');
      }
      return v;
    case 'currency': {
      if (typeof v !== 'string') throw bad(key, 'currency must be text');
      const n = [...v].length;
      if (n < 1 || n > 32 || CONTROL.test(v)) throw bad(key, 'currency must be 1 to 32 characters');
      return v;
    }
    case 'unitPrice': {
      // JSON numbers are taken at their shortest decimal spelling ("0.0001"), never computed on.
      const s = typeof v === 'number' && Number.isFinite(v) ? String(v) : v;
      if (typeof s !== 'string' || s.length > 40 || !validUnitPrice(s.trim())) {
        throw bad(key, UNIT_PRICE_RULE);
      }
      return s.trim().replace(',', '.');
    }
    case 'warningSeconds':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 3600) {
        throw bad(key, 'warningSeconds must be a whole number of seconds from 0 to 3600');
      }
      return v;
    case 'billingSchedule':
      if (typeof v !== 'string' || v.length > 200 || (v.trim() !== '' && !validCron(v.trim()))) {
        throw bad(key, 'billingSchedule must be empty or a cron expression');
      }
      return v.trim();
    default:
      throw bad(key, `unknown parameter ${key}`);
  }
}
