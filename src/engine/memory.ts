// An in-process duplex pair: what one end writes, the other receives (asynchronously,
// as a socket would). For tests of the link without sockets.
import type { Transport, TransportHandlers } from './transport.ts';

export class MemoryTransport implements Transport {
  other!: MemoryTransport;
  private handlers: TransportHandlers | null = null;
  private held: Buffer[] = [];
  private gone: string | null = null;
  /** Everything written through this end, as text. */
  readonly written: string[] = [];

  constructor(readonly peer: string) {}

  get closed(): boolean {
    return this.gone !== null;
  }

  attach(h: TransportHandlers): void {
    this.handlers = h;
    for (const d of this.held.splice(0)) h.data(d);
    if (this.gone !== null) h.closed(this.gone);
  }

  write(data: string | Buffer): void {
    if (this.gone !== null) return;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    this.written.push(bytes.toString('utf8'));
    queueMicrotask(() => this.other.deliver(bytes));
  }

  close(): void {
    this.finish('closed');
    queueMicrotask(() => this.other.finish('closed by peer'));
  }

  private deliver(bytes: Buffer): void {
    if (this.gone !== null) return;
    if (this.handlers) this.handlers.data(bytes);
    else this.held.push(bytes);
  }

  private finish(reason: string): void {
    if (this.gone !== null) return;
    this.gone = reason;
    this.handlers?.closed(reason);
  }
}

/** [application end, engine end]. */
export function memoryPair(): [MemoryTransport, MemoryTransport] {
  const a = new MemoryTransport('memory:engine');
  const b = new MemoryTransport('memory:app');
  a.other = b;
  b.other = a;
  return [a, b];
}
