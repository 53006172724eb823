// node:http + ws adapter: the fallback where no uWS binary fits (32-bit ARM on Node 22,
// an older C library). It mirrors uws.ts rule for rule so the pipeline and its tests see
// the same requests and answers: headers as uWS gives them (lower-case names, repeats
// joined with ", "), the per-route body limit, HEAD, streaming with back-pressure, /ws
// with the same upgrade checks, pub/sub with the same skip rule. Nothing may throw out of
// a server callback: a throw there would take the whole appliance down.
import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { log } from '../log.ts';
import type { StreamWriter } from './http.ts';
import {
  bodyLimit,
  admitBody,
  answerError,
  BodyCollector,
  ResponseHead,
  headerSafe,
  incomingReq,
  STATUS_TEXT,
  statusLine,
  type Adapter,
  type Listening,
  type OutgoingRes,
  type WebCore,
  type WsPeer,
} from './transport.ts';

/** A socket with this much unsent data skips pushes; it gets the next full snapshot (as uws.ts). */
const WS_SKIP_BUFFERED = 256 * 1024;
/** uWS maxBackpressure: past this, a direct send to a slow client is dropped. */
const WS_MAX_BACKPRESSURE = 1024 * 1024;
/** uWS maxPayloadLength: the page never sends anything bigger. */
const WS_MAX_PAYLOAD = 4 * 1024;
/** uWS idleTimeout 60 s with automatic pings: ping every 30 s, drop a peer silent for a whole round. */
const WS_PING_EVERY_MS = 30_000;
/** How long close() lets WebSockets answer the 1001 close frame before cutting them. */
const WS_CLOSE_GRACE_MS = 1000;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

interface Flight {
  aborted: boolean;
  /** Headers/status written (no error page possible any more). */
  started: boolean;
  /** The response is complete. */
  finished: boolean;
  onAbort: (() => void)[];
}

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));


/**
 * node:http writes header strings as latin1 and refuses characters above U+00FF; uWS
 * writes UTF-8. Handing node the UTF-8 bytes as latin1 text puts the same bytes on the wire.
 */
function wireValue(s: string): string {
  return Buffer.from(headerSafe(s), 'utf8').toString('latin1');
}

/** Lower-case names, repeated headers joined with ", " (what uWS's req.forEach yields). */
function collectHeaders(raw: string[]): Map<string, string> {
  const headers = new Map<string, string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    const v = raw[i + 1]!;
    const prev = headers.get(k);
    headers.set(k, prev === undefined ? v : `${prev}, ${v}`);
  }
  return headers;
}

/** The request target split as uWS's getUrl()/getQuery() split it. */
function splitTarget(url: string | undefined): { path: string; query: string } {
  const target = url ?? '/';
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

/** IPv4 clients of a dual-stack socket show as ::ffff:a.b.c.d; uWS shows a.b.c.d. */
function remoteIp(socket: Socket | Duplex): string {
  const addr = (socket as Socket).remoteAddress ?? '';
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

class NodeRes extends ResponseHead implements OutgoingRes {
  constructor(
    private readonly res: ServerResponse,
    private readonly flight: Flight,
    /** HEAD: headers only. */
    private readonly head: boolean,
  ) {
    super();
  }

  get started(): boolean {
    return this.flight.started;
  }

  /** The status line and headers; `extra` are the framing headers uWS would add itself. */
  private writeHead(contentType: string | undefined, extra: [string, string][]): void {
    const flat: string[] = [];
    let typed = false;
    for (const [n, v] of this.headers) {
      const lower = n.toLowerCase();
      if (lower === 'content-type') typed = true;
      // framing is the adapter's (as uWS writes Content-Length / Transfer-Encoding itself)
      if (lower === 'content-length' || lower === 'transfer-encoding' || lower === 'connection') continue;
      // node throws on a name that is not a token; uWS would send it, nobody could use it
      if (!HEADER_NAME.test(n)) continue;
      flat.push(n, wireValue(v));
    }
    if (!typed && contentType) flat.push('Content-Type', wireValue(contentType));
    for (const [n, v] of extra) flat.push(n, v);
    this.res.writeHead(this.code, STATUS_TEXT[this.code] ?? 'Status', flat);
  }

  json(obj: unknown): void {
    this.send(JSON.stringify(obj) ?? 'null', 'application/json; charset=utf-8');
  }

  send(body: string | Buffer, contentType?: string): void {
    if (this.flight.started || this.flight.aborted) return;
    this.flight.started = true;
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    // the rest of a refused body is never read: the connection cannot be reused
    const close = this.code === 413 || this.unreadBody;
    const bodiless = this.code === 204 || this.code === 304;
    const extra: [string, string][] = [];
    // HEAD announces the length the GET would have (as uWS's endWithoutBody(length))
    if (!bodiless) extra.push(['Content-Length', String(buf.length)]);
    if (close) extra.push(['Connection', 'close']);
    this.writeHead(contentType, extra);
    // node keeps what the socket cannot take yet and sends it as it drains
    if (this.head || bodiless) this.res.end();
    else this.res.end(buf);
    this.flight.finished = true;
  }

  stream(contentType: string): StreamWriter {
    const flight = this.flight;
    const res = this.res;
    const head = this.head;
    let ended = false;
    let waiting: (() => void)[] = [];
    const release = (): void => {
      const w = waiting;
      waiting = [];
      for (const f of w) f();
    };
    if (!flight.started && !flight.aborted) {
      flight.started = true;
      // no Content-Length: node sends the body chunked, as uWS's res.write does
      this.writeHead(contentType, []);
      res.on('drain', release);
    } else {
      ended = true; // a second stream() or one after send(): writes go nowhere
    }
    flight.onAbort.push(release);
    return {
      write(chunk: string | Buffer): Promise<void> {
        if (ended || flight.aborted || head) return Promise.resolve();
        const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        if (data.length === 0) return Promise.resolve();
        if (res.write(data)) return Promise.resolve();
        // node keeps the chunk; we wait until the socket drains before the next one
        return new Promise<void>((resolve) => {
          waiting.push(resolve);
        });
      },
      end(): void {
        if (ended || flight.aborted) return;
        ended = true;
        res.end();
        flight.finished = true;
      },
      get aborted(): boolean {
        return flight.aborted;
      },
    };
  }

  /** Drops the connection (an error after the head was sent). */
  abort(): void {
    if (this.flight.aborted || this.flight.finished) return;
    this.flight.finished = true;
    this.res.destroy();
  }
}



/**
 * One request. `expectContinue`: the client waits for "100 Continue" before sending its
 * body; it gets it only once the body is known to fit (so a refused upload is never sent).
 * `source`: where the body comes from (the request itself, except after an Upgrade offer).
 */
function onHttp(core: WebCore, req: IncomingMessage, res: ServerResponse, expectContinue: boolean, source: Readable = req): void {
  const method = (req.method ?? 'GET').toUpperCase();
  const { path, query } = splitTarget(req.url);
  const headers = collectHeaders(req.rawHeaders);
  const flight: Flight = { aborted: false, started: false, finished: false, onAbort: [] };
  // a response the client dropped before it was complete (uWS's onAborted)
  res.on('close', () => {
    if (res.writableEnded) return;
    flight.aborted = true;
    for (const f of flight.onAbort.splice(0)) f();
  });
  res.on('error', (e) => log('HTTP_ADAPTER_ERROR', { method, path, error: errText(e) }));
  source.on('error', () => {
    // a client gone mid-body: res 'close' marks the flight aborted
  });
  const ip = remoteIp(req.socket);
  const out = new NodeRes(res, flight, method === 'HEAD');

  const run = (body: Buffer): void => {
    core.handle(incomingReq(method, path, query, headers, ip, body), out).then(
      () => {
        // the pipeline answers every request; this is a last resort against a hang
        if (!flight.started && !flight.aborted) answerError(out, new Error('no response'));
      },
      (e: unknown) => {
        log('HTTP_ADAPTER_ERROR', { method, path, error: errText(e) });
        if (!flight.started && !flight.aborted) answerError(out, e);
        else out.abort();
      },
    );
  };

  const admission = admitBody(headers, method, path, out);
  if (admission === 'answered') return;
  if (admission === 'empty') {
    run(Buffer.alloc(0));
    return;
  }
  if (expectContinue) res.writeContinue();
  // past the limit the rest is read and dropped until the connection closes after the 413
  const body = new BodyCollector(admission.limit, out);
  source.on('data', (chunk: Buffer) => {
    try {
      if (!flight.aborted) body.add(chunk);
    } catch (e) {
      log('HTTP_ADAPTER_ERROR', { method, path, error: errText(e) });
    }
  });
  source.on('end', () => {
    if (body.refused || flight.aborted) return;
    run(body.body());
  });
}

/** Last resort for a throw inside a request callback: a bare 500 if the head is not out yet. */
function internalError(res: ServerResponse, e: unknown): void {
  log('HTTP_ADAPTER_ERROR', { error: errText(e) });
  try {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = JSON.stringify({ error: 'internal error', code: 'INTERNAL' });
    res.writeHead(500, STATUS_TEXT[500], ['Content-Type', 'application/json; charset=utf-8', 'Content-Length', String(Buffer.byteLength(body)), 'Connection', 'close']);
    res.end(body);
  } catch {
    res.destroy();
  }
}

interface Peer {
  ws: WebSocket;
  socket: Duplex;
  peer: WsPeer;
  open: boolean;
  /** Heard from since the last ping. */
  alive: boolean;
  topics: Set<string>;
}

export const nodeHttpAdapter: Adapter = (core: WebCore, port: number): Promise<Listening> => {
  const server: Server = createServer({
    // uWS answers requests without a Host header; so does this adapter
    requireHostHeader: false,
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD, perMessageDeflate: false, clientTracking: false });
  const peers = new Map<WebSocket, Peer>();
  /** Every TCP connection, upgraded ones included: close() leaves none behind. */
  const connections = new Set<Socket>();

  server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    try {
      onHttp(core, req, res, false);
    } catch (e) {
      internalError(res, e);
    }
  });
  // without this listener node would send "100 Continue" before the body limit is checked
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    try {
      onHttp(core, req, res, true);
    } catch (e) {
      internalError(res, e);
    }
  });

  const onOpen = (ws: WebSocket, socket: Duplex): void => {
    const entry: Peer = {
      ws,
      socket,
      open: true,
      alive: true,
      topics: new Set(['calls']),
      peer: {
        send: (msg) => {
          if (!entry.open || ws.readyState !== ws.OPEN) return;
          // a client this far behind is skipped (uWS maxBackpressure)
          if (ws.bufferedAmount > WS_MAX_BACKPRESSURE) return;
          try {
            ws.send(msg);
          } catch (e) {
            log('WS_ERROR', { error: errText(e) });
          }
        },
        bufferedAmount: () => (entry.open ? ws.bufferedAmount : 0),
      },
    };
    peers.set(ws, entry);
    ws.on('message', () => {
      // the page only listens; client messages are ignored
      entry.alive = true;
    });
    ws.on('pong', () => {
      entry.alive = true;
    });
    ws.on('error', (e) => {
      // protocol errors (an oversized frame...): ws closes the socket itself
      log('WS_ERROR', { error: errText(e) });
    });
    ws.on('close', () => {
      entry.open = false;
      peers.delete(ws);
      try {
        core.wsClose(entry.peer);
      } catch (e) {
        log('WS_ERROR', { error: errText(e) });
      }
    });
    try {
      core.wsOpen(entry.peer);
    } catch (e) {
      log('WS_ERROR', { error: errText(e) });
    }
  };

  /** Answers a refused upgrade on the raw socket, then closes it. */
  const refuseUpgrade = (socket: Duplex, refusal: { status: number; body: string }): void => {
    const body = Buffer.from(refusal.body);
    const head =
      `HTTP/1.1 ${statusLine(refusal.status)}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
  };

  /**
   * A request with an Upgrade offer this server does not take (curl --http2's h2c, or not
   * a WebSocket handshake on /ws): uWS answers it as plain HTTP; so does this, on a
   * response bound to the socket node handed over. Node's parser stopped at the headers,
   * so a Content-Length body is read off the socket here.
   */
  const asPlainRequest = (req: IncomingMessage, socket: Duplex, head: Buffer, headers: Map<string, string>): void => {
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.once('finish', () => {
      res.detachSocket(socket as Socket);
      socket.end();
    });
    res.once('close', () => socket.destroy());
    const length = (headers.get('content-length') ?? '0').trim();
    if (headers.has('transfer-encoding')) {
      const out = new NodeRes(res, { aborted: false, started: false, finished: false, onAbort: [] }, req.method === 'HEAD');
      out.unreadBody = true;
      out.status(400).json({ error: 'a chunked body cannot come with an Upgrade offer', code: 'BAD_REQUEST' });
      return;
    }
    const body = new PassThrough();
    let left = /^\d+$/.test(length) ? Number(length) : 0;
    const feed = (chunk: Buffer): void => {
      const part = chunk.subarray(0, left);
      left -= part.length;
      if (part.length > 0) body.write(part);
      if (left === 0) {
        socket.off('data', feed);
        body.end();
      }
    };
    // onHttp subscribes first (and refuses an oversized body before any is read)
    onHttp(core, req, res, false, body);
    if (left > bodyLimit((req.method ?? 'GET').toUpperCase(), splitTarget(req.url).path)) return;
    feed(head);
    if (left > 0) socket.on('data', feed);
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // node no longer watches this socket: an error on it must not reach the process
    socket.on('error', () => {});
    try {
      const headers = collectHeaders(req.rawHeaders);
      const { path } = splitTarget(req.url);
      // what uWS takes as a WebSocket handshake; anything else is plain HTTP there
      const handshake =
        path === '/ws' &&
        (headers.get('upgrade') ?? '').trim().toLowerCase() === 'websocket' &&
        /^[+/0-9A-Za-z]{22}==$/.test((headers.get('sec-websocket-key') ?? '').trim());
      if (!handshake) {
        asPlainRequest(req, socket, head, headers);
        return;
      }
      const ip = remoteIp(socket);
      core
        .wsRefusal(path, (n) => headers.get(n.toLowerCase()) ?? '', ip)
        .catch((e: unknown) => {
          log('WS_UPGRADE_ERROR', { error: errText(e) });
          return { status: 500, body: JSON.stringify({ error: 'internal error', code: 'INTERNAL' }) };
        })
        .then((refusal) => {
          if (socket.destroyed) return;
          try {
            if (refusal) refuseUpgrade(socket, refusal);
            else wss.handleUpgrade(req, socket, head, (ws) => onOpen(ws, socket));
          } catch (e) {
            log('WS_UPGRADE_ERROR', { error: errText(e) });
            socket.destroy();
          }
        });
    } catch (e) {
      log('WS_UPGRADE_ERROR', { error: errText(e) });
      socket.destroy();
    }
  });

  const heartbeat = setInterval(() => {
    for (const entry of peers.values()) {
      try {
        if (!entry.alive) {
          entry.ws.terminate();
          continue;
        }
        entry.alive = false;
        entry.ws.ping();
      } catch (e) {
        log('WS_ERROR', { error: errText(e) });
      }
    }
  }, WS_PING_EVERY_MS);
  heartbeat.unref();

  let closing: Promise<void> | null = null;
  /** Resolves once the server and every connection are gone (wsClose ran for every peer). */
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      clearInterval(heartbeat);
      let grace: NodeJS.Timeout | null = null;
      let serverClosed = false;
      const settle = (): void => {
        if (!serverClosed || peers.size > 0) return;
        if (grace) clearTimeout(grace);
        resolve();
      };
      server.close(() => {
        serverClosed = true;
        settle();
      });
      const upgraded = new Set<Duplex>([...peers.values()].map((p) => p.socket));
      for (const socket of connections) if (!upgraded.has(socket)) socket.destroy();
      for (const entry of peers.values()) {
        entry.ws.once('close', settle);
        try {
          entry.ws.close(1001, 'server stopping');
        } catch {
          entry.ws.terminate();
        }
      }
      // a client that does not answer the close frame is cut
      grace = setTimeout(() => {
        for (const entry of peers.values()) entry.ws.terminate();
        for (const socket of connections) socket.destroy();
      }, WS_CLOSE_GRACE_MS);
    });
    return closing;
  };

  return new Promise((resolve, reject) => {
    const failed = (e: Error): void => {
      clearInterval(heartbeat);
      reject(new Error(`cannot listen on port ${port}: ${e.message}`));
    };
    server.once('error', failed);
    server.listen(port, () => {
      server.off('error', failed);
      server.on('error', (e) => log('HTTP_SERVER_ERROR', { error: errText(e) }));
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      resolve({
        port: actual,
        publish(topic: string, msg: string): void {
          for (const entry of peers.values()) {
            if (!entry.open || !entry.topics.has(topic) || entry.ws.readyState !== entry.ws.OPEN) continue;
            // a slow client is skipped: the next push is a full snapshot anyway
            if (entry.ws.bufferedAmount > WS_SKIP_BUFFERED) continue;
            try {
              entry.ws.send(msg);
            } catch {
              // closed between the check and the send
            }
          }
        },
        close,
      });
    });
  });
};
