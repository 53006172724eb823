// The HTTP abstraction every handler is written against. No server types leak in here, so
// the uWS adapter (uws.ts) and any other adapter run the very same handlers and tests.
import { isAppError, type ErrorCode } from '../errors.ts';
import type { Appliance } from './appliance.ts';

export interface Req {
  /** Upper case: GET, PUT, POST, DELETE... */
  method: string;
  /** The URL path, still percent-encoded, without the query string. */
  path: string;
  /** `:param` values, percent-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** Header value by case-insensitive name; '' when absent. */
  header(name: string): string;
  body: Buffer;
  /** The body parsed as JSON; HttpError 400 when empty or malformed. */
  json(): unknown;
}

export interface StreamWriter {
  /** Resolves once the chunk is handed to the socket (waits while the client is slow). */
  write(chunk: string | Buffer): Promise<void>;
  end(): void;
  /** True once the client went away; a streaming loop stops then. */
  readonly aborted: boolean;
}

export interface Res {
  status(code: number): Res;
  header(name: string, value: string): Res;
  json(obj: unknown): void;
  send(body: string | Buffer, contentType?: string): void;
  stream(contentType: string): StreamWriter;
}

export type Handler = (req: Req, res: Res) => void | Promise<void>;

export interface Routes {
  get(path: string, h: Handler): void;
  put(path: string, h: Handler): void;
  post(path: string, h: Handler): void;
  delete(path: string, h: Handler): void;
}

export type RouteModule = (r: Routes, app: Appliance) => void;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: ErrorCode,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** AppError code → HTTP status. Codes not listed are server-side failures (500). */
const STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  NOT_ALLOWED: 400,
  NOT_FOUND: 404,
  UNKNOWN_USER: 404,
  CONFLICT: 409,
  USER_EXISTS: 409,
  PIN_IN_USE: 409,
  CALLER_ID_IN_USE: 409,
  DID_IN_USE: 409,
  USER_BUSY: 409,
  ARCHIVE_EXISTS: 409,
  INSUFFICIENT_CREDIT: 409,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_ATTEMPTS: 429,
  LINK_DOWN: 503,
  SHUTDOWN: 503,
};

const DEFAULT_CODE: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'NOT_ALLOWED',
  404: 'NOT_FOUND',
  405: 'NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'TOO_MANY_ATTEMPTS',
};

export interface ErrorReply {
  status: number;
  body: { error: string; code: ErrorCode; field?: string; params?: Readonly<Record<string, string>> };
  /** Set for 5xx: the original error, for the log (its message is not shown to the client). */
  internal?: unknown;
}

/** The one mapping from a thrown value to the JSON error answer. */
export function errorReply(e: unknown): ErrorReply {
  if (e instanceof HttpError) {
    const code = e.code ?? DEFAULT_CODE[e.status] ?? 'INTERNAL';
    const body: ErrorReply['body'] = { error: e.message, code };
    if (e.field) body.field = e.field;
    return e.status >= 500 ? { status: e.status, body, internal: e } : { status: e.status, body };
  }
  if (isAppError(e)) {
    const status = STATUS[e.code];
    if (status !== undefined) {
      const body: ErrorReply['body'] = { error: e.message, code: e.code };
      if (e.field) body.field = e.field;
      if (e.params) body.params = e.params;
      return status >= 500 ? { status, body, internal: e } : { status, body };
    }
  }
  return { status: 500, body: { error: 'internal error', code: 'INTERNAL' }, internal: e };
}

// --- router -------------------------------------------------------------------------------

type Segment = { literal: string } | { param: string; suffix: string };

interface Route {
  method: string;
  pattern: string;
  segments: Segment[];
  handler: Handler;
}

export type RouteMatch =
  | { kind: 'found'; handler: Handler; params: Record<string, string>; pattern: string }
  | { kind: 'method'; allow: string[] }
  | { kind: 'none' };

function parsePattern(pattern: string): Segment[] {
  if (!pattern.startsWith('/')) throw new Error(`route must start with /: ${pattern}`);
  return pattern
    .slice(1)
    .split('/')
    .map((s) => {
      // ':name' takes a whole segment; ':name.csv' takes a segment ending in '.csv'
      const m = /^:([A-Za-z_]\w*)(.*)$/.exec(s);
      return m ? { param: m[1]!, suffix: m[2]! } : { literal: s };
    });
}

/** Percent-decoding that never throws on a malformed escape. */
function decodeSegment(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

export class Router implements Routes {
  private readonly routes: Route[] = [];

  get(path: string, h: Handler): void {
    this.add('GET', path, h);
  }
  put(path: string, h: Handler): void {
    this.add('PUT', path, h);
  }
  post(path: string, h: Handler): void {
    this.add('POST', path, h);
  }
  delete(path: string, h: Handler): void {
    this.add('DELETE', path, h);
  }

  private add(method: string, pattern: string, handler: Handler): void {
    if (this.routes.some((r) => r.method === method && r.pattern === pattern))
      throw new Error(`route registered twice: ${method} ${pattern}`);
    this.routes.push({ method, pattern, segments: parsePattern(pattern), handler });
  }

  /**
   * Finds the route for a still-encoded path. Literal segments win over parameters, so
   * `/api/billing/close` is never taken as `/api/billing/:x`; segments match whole, so
   * `ledger.csv` is never taken by a `ledger` route.
   */
  match(method: string, path: string): RouteMatch {
    const parts = path.slice(1).split('/');
    let best: { route: Route; params: Record<string, string>; score: string } | null = null;
    const allow = new Set<string>();
    for (const route of this.routes) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let score = '';
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = route.segments[i]!;
        const raw = parts[i]!;
        if ('literal' in seg) {
          ok = raw === seg.literal;
          score += '2';
        } else {
          const value = decodeSegment(raw);
          ok =
            value !== null &&
            value.length > seg.suffix.length &&
            value.endsWith(seg.suffix) &&
            !value.includes('/');
          if (ok) params[seg.param] = value!.slice(0, value!.length - seg.suffix.length);
          score += seg.suffix ? '1' : '0';
        }
      }
      if (!ok) continue;
      const effective = method === 'HEAD' ? 'GET' : method;
      if (route.method !== effective) {
        allow.add(route.method);
        continue;
      }
      if (!best || score > best.score) best = { route, params, score };
    }
    if (best) return { kind: 'found', handler: best.route.handler, params: best.params, pattern: best.route.pattern };
    if (allow.size > 0) return { kind: 'method', allow: [...allow].sort() };
    return { kind: 'none' };
  }
}
