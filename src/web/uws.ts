// uWebSockets.js adapter: turns uWS requests into Req/Res for the pipeline.
// uWS rules kept here and nowhere else: the native request is only valid during the
// callback (read everything up front), onAborted is attached first, every write after
// an await happens inside res.cork, and nothing may throw out of a uWS callback.
import type * as uWS from '@trufflesuite/uws-js-unofficial';
import { log } from '../log.ts';
import { loadUws } from '../native/index.ts';
import type { StreamWriter } from './http.ts';
import {
  admitBody,
  answerError,
  BodyCollector,
  ResponseHead,
  headerSafe,
  incomingReq,
  statusLine,
  type Adapter,
  type Listening,
  type OutgoingRes,
  type WebCore,
  type WsPeer,
} from './transport.ts';

/** uWS ListenOptions.LIBUS_LISTEN_EXCLUSIVE_PORT. */
const LISTEN_EXCLUSIVE_PORT = 1;

/** A socket with this much unsent data skips pushes; it gets the next full snapshot. */
const WS_SKIP_BUFFERED = 256 * 1024;
/** Bodies larger than this are sent with tryEnd/onWritable instead of one copy. */
const LARGE_BODY = 64 * 1024;

interface Flight {
  aborted: boolean;
  /** Headers/status written (no error page possible any more). */
  started: boolean;
  /** The response is complete. */
  finished: boolean;
  onAbort: (() => void)[];
}

interface WsData {
  peer: WsPeer | null;
  open: boolean;
}


function asText(ab: ArrayBuffer): string {
  return Buffer.from(ab).toString('latin1');
}

function remoteIp(res: uWS.HttpResponse): string {
  try {
    return asText(res.getRemoteAddressAsText());
  } catch {
    return '';
  }
}

class UwsRes extends ResponseHead implements OutgoingRes {
  constructor(
    private readonly res: uWS.HttpResponse,
    private readonly flight: Flight,
    /** HEAD: headers only. (This uWS build ignores closeConnection on endWithoutBody, so a
     * HEAD connection stays open for the client to reuse or close.) */
    private readonly head: boolean,
  ) {
    super();
  }

  get started(): boolean {
    return this.flight.started;
  }

  private writeHead(contentType: string | undefined): void {
    this.res.writeStatus(statusLine(this.code));
    let typed = false;
    for (const [n, v] of this.headers) {
      if (n.toLowerCase() === 'content-type') typed = true;
      // uWS writes Content-Length / Transfer-Encoding itself
      if (n.toLowerCase() === 'content-length') continue;
      this.res.writeHeader(n, v);
    }
    if (!typed && contentType) this.res.writeHeader('Content-Type', headerSafe(contentType));
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
    this.res.cork(() => {
      this.writeHead(contentType);
      if (this.head || this.code === 204 || this.code === 304) {
        this.res.endWithoutBody(this.head ? buf.length : 0, close);
        this.flight.finished = true;
      } else if (buf.length <= LARGE_BODY || close) {
        this.res.end(buf, close);
        this.flight.finished = true;
      } else {
        this.sendLarge(buf);
      }
    });
  }

  /** tryEnd + onWritable: never more than the socket can take is copied into uWS. */
  private sendLarge(buf: Buffer): void {
    const res = this.res;
    const start = res.getWriteOffset();
    const [, done] = res.tryEnd(buf, buf.length);
    if (done) {
      this.flight.finished = true;
      return;
    }
    res.onWritable((offset) => {
      if (this.flight.aborted) return true;
      const [ok, finished] = res.tryEnd(buf.subarray(offset - start), buf.length);
      if (finished) this.flight.finished = true;
      return ok;
    });
  }

  stream(contentType: string): StreamWriter {
    const flight = this.flight;
    const res = this.res;
    const head = this.head;
    let ended = false;
    let drained: (() => void) | null = null;
    const release = (): void => {
      const d = drained;
      drained = null;
      d?.();
    };
    if (!flight.started && !flight.aborted) {
      flight.started = true;
      res.cork(() => this.writeHead(contentType));
      res.onWritable(() => {
        release();
        return true;
      });
    } else {
      ended = true; // a second stream() or one after send(): writes go nowhere
    }
    flight.onAbort.push(release);
    return {
      write(chunk: string | Buffer): Promise<void> {
        if (ended || flight.aborted || head) return Promise.resolve();
        const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        if (data.length === 0) return Promise.resolve();
        let ok = true;
        res.cork(() => {
          ok = res.write(data);
        });
        if (ok) return Promise.resolve();
        // uWS keeps the chunk; we wait until the socket drains before the next one
        return new Promise<void>((resolve) => {
          drained = resolve;
        });
      },
      end(): void {
        if (ended || flight.aborted) return;
        ended = true;
        res.cork(() => {
          if (head) res.endWithoutBody(0);
          else res.end();
        });
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
    try {
      this.res.close();
    } catch {
      // already gone
    }
  }
}

function collectHeaders(req: uWS.HttpRequest): Map<string, string> {
  const headers = new Map<string, string>();
  req.forEach((k, v) => {
    const prev = headers.get(k);
    headers.set(k, prev === undefined ? v : `${prev}, ${v}`);
  });
  return headers;
}



function onHttp(core: WebCore, res: uWS.HttpResponse, req: uWS.HttpRequest): void {
  // everything from `req` is read now: it is invalid after this callback returns
  const method = req.getMethod().toUpperCase();
  const path = req.getUrl();
  const query = req.getQuery() ?? '';
  const headers = collectHeaders(req);
  const flight: Flight = { aborted: false, started: false, finished: false, onAbort: [] };
  res.onAborted(() => {
    flight.aborted = true;
    for (const f of flight.onAbort.splice(0)) f();
  });
  const ip = remoteIp(res);
  const out = new UwsRes(res, flight, method === 'HEAD');

  const run = (body: Buffer): void => {
    core.handle(incomingReq(method, path, query, headers, ip, body), out).then(
      () => {
        // the pipeline answers every request; this is a last resort against a hang
        if (!flight.started && !flight.aborted) answerError(out, new Error('no response'));
      },
      (e: unknown) => {
        log('HTTP_ADAPTER_ERROR', { method, path, error: e instanceof Error ? e.message : String(e) });
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
  const body = new BodyCollector(admission.limit, out);
  res.onData((chunk, isLast) => {
    try {
      if (body.refused || flight.aborted) return;
      // uWS neuters the ArrayBuffer after this callback: copy it
      body.add(Buffer.from(new Uint8Array(chunk).slice()));
      if (isLast && !body.refused) run(body.body());
    } catch (e) {
      log('HTTP_ADAPTER_ERROR', { method, path, error: e instanceof Error ? e.message : String(e) });
    }
  });
}

export const uwsAdapter: Adapter = (core: WebCore, port: number): Promise<Listening> => {
  const u = loadUws();
  const app = u.App();
  const sockets = new Set<uWS.WebSocket<WsData>>();

  app.ws<WsData>('/ws', {
    maxPayloadLength: 4 * 1024,
    idleTimeout: 60,
    sendPingsAutomatically: true,
    maxBackpressure: 1024 * 1024,
    upgrade: (res, req, context) => {
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      const path = req.getUrl();
      const headers = collectHeaders(req);
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      const ip = remoteIp(res);
      core
        .wsRefusal(path, (n) => headers.get(n.toLowerCase()) ?? '', ip)
        .catch((e: unknown) => {
          log('WS_UPGRADE_ERROR', { error: e instanceof Error ? e.message : String(e) });
          return { status: 500, body: JSON.stringify({ error: 'internal error', code: 'INTERNAL' }) };
        })
        .then((refusal) => {
          if (aborted) return;
          try {
            res.cork(() => {
              if (refusal) {
                res
                  .writeStatus(statusLine(refusal.status))
                  .writeHeader('Content-Type', 'application/json; charset=utf-8')
                  .end(refusal.body, true);
              } else {
                res.upgrade<WsData>({ peer: null, open: false }, key, protocol, extensions, context);
              }
            });
          } catch (e) {
            log('WS_UPGRADE_ERROR', { error: e instanceof Error ? e.message : String(e) });
          }
        });
    },
    open: (ws) => {
      const data = ws.getUserData();
      data.open = true;
      const peer: WsPeer = {
        send: (msg) => {
          if (data.open) ws.send(msg, false);
        },
        bufferedAmount: () => (data.open ? ws.getBufferedAmount() : 0),
      };
      data.peer = peer;
      sockets.add(ws);
      ws.subscribe('calls');
      try {
        core.wsOpen(peer);
      } catch (e) {
        log('WS_ERROR', { error: e instanceof Error ? e.message : String(e) });
      }
    },
    message: () => {
      // the page only listens; client messages are ignored
    },
    close: (ws) => {
      const data = ws.getUserData();
      data.open = false;
      sockets.delete(ws);
      try {
        if (data.peer) core.wsClose(data.peer);
      } catch (e) {
        log('WS_ERROR', { error: e instanceof Error ? e.message : String(e) });
      }
    },
  });

  app.any('/*', (res, req) => {
    try {
      onHttp(core, res, req);
    } catch (e) {
      log('HTTP_ADAPTER_ERROR', { error: e instanceof Error ? e.message : String(e) });
      try {
        res.cork(() => res.writeStatus(statusLine(500)).end(JSON.stringify({ error: 'internal error', code: 'INTERNAL' }), true));
      } catch {
        // the response may already be gone
      }
    }
  });

  return new Promise((resolve, reject) => {
    // LIBUS_LISTEN_EXCLUSIVE_PORT: without it uWS sets SO_REUSEPORT, and a second appliance
    // started on a busy port would share it, the kernel splitting requests between two stores
    app.listen(port, LISTEN_EXCLUSIVE_PORT, (listenSocket) => {
      if (!listenSocket) {
        // uWS gives no reason; below 1024 it is most often the permission
        const hint = port > 0 && port < 1024 && process.getuid?.() !== 0 ? 'in use, or a port below 1024 without root or CAP_NET_BIND_SERVICE?' : 'in use?';
        reject(new Error(`cannot listen on port ${port} (${hint})`));
        return;
      }
      const actual = u.us_socket_local_port(listenSocket as unknown as uWS.us_socket);
      resolve({
        port: actual,
        publish(topic: string, msg: string): void {
          for (const ws of sockets) {
            const data = ws.getUserData();
            if (!data.open || !ws.isSubscribed(topic)) continue;
            // a slow client is skipped: the next push is a full snapshot anyway
            if (ws.getBufferedAmount() > WS_SKIP_BUFFERED) continue;
            try {
              ws.send(msg, false);
            } catch {
              // closed between the check and the send
            }
          }
        },
        async close(): Promise<void> {
          u.us_listen_socket_close(listenSocket);
          for (const ws of [...sockets]) {
            try {
              ws.end(1001, 'server stopping');
            } catch {
              // already closed
            }
          }
          // newer uWS builds can also drop idle keep-alive connections
          const closable = app as unknown as { close?: () => void };
          if (typeof closable.close === 'function') closable.close();
        },
      });
    });
  });
};
