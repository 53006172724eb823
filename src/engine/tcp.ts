import net from 'node:net';
import type { ConnectOptions, Transport, TransportHandlers } from './transport.ts';

/** 'host:port' or '[v6]:port' → parts; null when the target is not one. */
export function parseTcpTarget(target: string): { host: string; port: number } | null {
  const m = /^(?:\[([^\]]+)\]|([^:\s/]+)):(\d{1,5})$/.exec(target);
  if (!m) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { host: m[1] ?? m[2], port };
}

class TcpTransport implements Transport {
  private handlers: TransportHandlers | null = null;
  private held: Buffer[] = [];
  private gone: string | null = null;

  constructor(
    private readonly sock: net.Socket,
    readonly peer: string,
  ) {
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => (this.handlers ? this.handlers.data(d) : this.held.push(d)));
    sock.on('error', (e) => this.finish(e.message));
    sock.on('close', () => this.finish('closed by peer'));
    sock.on('end', () => sock.end());
  }

  attach(h: TransportHandlers): void {
    this.handlers = h;
    for (const d of this.held.splice(0)) h.data(d);
    if (this.gone !== null) h.closed(this.gone);
  }

  write(data: string | Buffer): void {
    if (this.gone === null && !this.sock.destroyed) this.sock.write(data);
  }

  close(): void {
    this.sock.destroy();
    this.finish('closed');
  }

  private finish(reason: string): void {
    if (this.gone !== null) return;
    this.gone = reason;
    this.handlers?.closed(reason);
  }
}

export function connectTcp(target: string, o: ConnectOptions): Promise<Transport> {
  const t = parseTcpTarget(target);
  if (!t) return Promise.reject(new Error(`bad engine address ${JSON.stringify(target)}`));
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: t.host, port: t.port });
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      reject(new Error(why));
    };
    // Own timer as well as the link's signal, so the transport is bounded on its own.
    const timer = setTimeout(() => fail(`connect timeout after ${o.connectTimeoutMs} ms`), o.connectTimeoutMs);
    o.signal.addEventListener('abort', () => fail('connect aborted'), { once: true });
    sock.once('error', (e) => fail(e.message));
    sock.once('connect', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(new TcpTransport(sock, `${t.host}:${t.port}`));
    });
  });
}

/** Wraps an accepted server socket (used by the engine emulator). */
export function tcpTransportOf(sock: net.Socket): Transport {
  return new TcpTransport(sock, `${sock.remoteAddress}:${sock.remotePort}`);
}
