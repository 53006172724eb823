// The seam between a server library (uWS today, node:http + ws possibly later) and the
// request pipeline. An adapter turns its native requests into these and nothing else.
import { AppError } from '../errors.ts';
import { errorReply, HttpError, type Req, type Res } from './http.ts';

export const MAX_BODY = 64 * 1024;
/** A whole rate deck (100,000 rows) is imported in one body. */
export const RATE_DECK_MAX_BODY = 16 * 1024 * 1024;

/** The body size a request may carry: 64 KB, but a rate deck upload may be larger. */
export function bodyLimit(method: string, path: string): number {
  return method === 'PUT' && path === '/api/costs.csv' ? RATE_DECK_MAX_BODY : MAX_BODY;
}

export interface IncomingReq extends Req {
  /** Client IP as text (rate limiting, logs). */
  ip: string;
}

export interface WsPeer {
  send(msg: string): void;
  /** Bytes queued and not yet taken by the client. */
  bufferedAmount(): number;
}

export interface OutgoingRes extends Res {
  /** The status line went out: no error answer is possible any more. */
  readonly started: boolean;
  /** Cuts the connection (an error in the middle of a stream). */
  abort(): void;
}

/** What an adapter drives. `handle` never throws: it answers every request itself. */
export interface WebCore {
  handle(req: IncomingReq, res: OutgoingRes): Promise<void>;
  /** Decides a WebSocket upgrade on `path` from its headers; null = accept, else the refusal. */
  wsRefusal(path: string, header: (name: string) => string, ip: string): Promise<{ status: number; body: string } | null>;
  wsOpen(peer: WsPeer): void;
  wsClose(peer: WsPeer): void;
}

export interface Listening {
  port: number;
  /** Broadcasts to the open WebSockets subscribed to `topic`, skipping slow ones. */
  publish(topic: string, msg: string): void;
  close(): Promise<void>;
}

export type Adapter = (core: WebCore, port: number) => Promise<Listening>;

/** Shared by adapters: Req.json() semantics. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) throw new HttpError(400, 'a JSON body is required', 'BAD_REQUEST');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new HttpError(400, 'body is not valid UTF-8', 'BAD_REQUEST');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'body is not valid JSON', 'BAD_REQUEST');
  }
}

export const payloadTooLarge = (limit = MAX_BODY): AppError => new AppError('PAYLOAD_TOO_LARGE', `body larger than ${limit} bytes`);

export const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized',
  403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 413: 'Payload Too Large',
  415: 'Unsupported Media Type', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

export function statusLine(code: number): string {
  return `${code} ${STATUS_TEXT[code] ?? 'Status'}`;
}

/** Strips CR/LF and other controls: a header value must never split the response. */
export function headerSafe(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, ' ');
}

/** The request a handler sees, whatever server library read it; JSON is parsed on demand, once. */
export function incomingReq(method: string, path: string, query: string, headers: Map<string, string>, ip: string, body: Buffer): IncomingReq {
  let parsed: { value: unknown } | null = null;
  return {
    method,
    path,
    params: {},
    query: new URLSearchParams(query),
    header: (name) => headers.get(name.toLowerCase()) ?? '',
    body,
    json() {
      if (!parsed) parsed = { value: parseJsonBody(body) };
      return parsed.value;
    },
    ip,
  };
}

/** Answers a request with the error mapper's status and body. */
export function answerError(res: OutgoingRes, e: unknown): void {
  const r = errorReply(e);
  res.status(r.status).json(r.body);
}

/**
 * The status and headers of a response being prepared, the same for every server library:
 * one value per header (cookies may repeat), control characters stripped.
 */
export abstract class ResponseHead {
  protected code = 200;
  protected readonly headers: [string, string][] = [];
  /** Set when the request body was left unread: close after answering. */
  unreadBody = false;

  status(code: number): this {
    this.code = code;
    return this;
  }

  header(name: string, value: string): this {
    const lower = name.toLowerCase();
    if (lower !== 'set-cookie') {
      const i = this.headers.findIndex(([n]) => n.toLowerCase() === lower);
      if (i >= 0) this.headers.splice(i, 1);
    }
    this.headers.push([headerSafe(name), headerSafe(value)]);
    return this;
  }
}

/** What the headers allow of a request body before any of it is read. */
export type BodyAdmission = 'answered' | 'empty' | { limit: number };

/**
 * Checks Content-Length and the route's body limit. 'answered': the request was refused
 * (400 or 413) and the body must not be read; 'empty': nothing to read.
 */
export function admitBody(headers: Map<string, string>, method: string, path: string, out: ResponseHead & OutgoingRes): BodyAdmission {
  const length = headers.get('content-length');
  if (length !== undefined && !/^\d+$/.test(length.trim())) {
    out.unreadBody = true;
    out.status(400).json({ error: 'bad Content-Length', code: 'BAD_REQUEST' });
    return 'answered';
  }
  const declared = length === undefined ? 0 : Number(length);
  const limit = bodyLimit(method, path);
  if (declared > limit) {
    answerError(out, payloadTooLarge(limit));
    return 'answered';
  }
  return declared === 0 && !headers.has('transfer-encoding') ? 'empty' : { limit };
}

/** Gathers a body chunk by chunk; past the limit it answers 413 once and keeps nothing. */
export class BodyCollector {
  private chunks: Buffer[] = [];
  private size = 0;
  refused = false;

  constructor(
    private readonly limit: number,
    private readonly out: OutgoingRes,
  ) {}

  add(chunk: Buffer): void {
    if (this.refused) return;
    this.size += chunk.length;
    if (this.size > this.limit) {
      this.refused = true;
      this.chunks = [];
      answerError(this.out, payloadTooLarge(this.limit));
      return;
    }
    this.chunks.push(chunk);
  }

  body(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}
