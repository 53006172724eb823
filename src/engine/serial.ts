// The engine's control port on a UART. Only the port itself is opened: no port listing,
// because SerialPort.list() spawns udevadm, which the box does not have.
// serialport is loaded on first use, so a box without its native binding still runs TCP.
import type { SerialPort } from 'serialport';
import type { ConnectOptions, Transport, TransportHandlers } from './transport.ts';

export function parseSerialTarget(target: string): { path: string; baudRate: number } | null {
  const m = /^serial:(\/[^?\s]+)(?:\?(.*))?$/.exec(target);
  if (!m) return null;
  const q = new URLSearchParams(m[2] ?? '');
  const baud = q.get('baud') ?? '115200';
  if (!/^\d{2,7}$/.test(baud)) return null;
  return { path: m[1], baudRate: Number(baud) };
}

class SerialTransport implements Transport {
  private handlers: TransportHandlers | null = null;
  private held: Buffer[] = [];
  private gone: string | null = null;

  constructor(
    private readonly port: SerialPort,
    readonly peer: string,
  ) {
    port.on('data', (d: Buffer) => (this.handlers ? this.handlers.data(d) : this.held.push(d)));
    port.on('error', (e: Error) => this.finish(e.message));
    port.on('close', () => this.finish('serial port closed'));
  }

  attach(h: TransportHandlers): void {
    this.handlers = h;
    for (const d of this.held.splice(0)) h.data(d);
    if (this.gone !== null) h.closed(this.gone);
  }

  write(data: string | Buffer): void {
    if (this.gone === null && this.port.isOpen) this.port.write(data);
  }

  close(): void {
    this.finish('closed');
    if (this.port.isOpen) this.port.close(() => {});
  }

  private finish(reason: string): void {
    if (this.gone !== null) return;
    this.gone = reason;
    this.handlers?.closed(reason);
  }
}

export function openSerial(target: string, o: ConnectOptions): Promise<Transport> {
  const t = parseSerialTarget(target);
  if (!t) return Promise.reject(new Error(`bad serial target ${JSON.stringify(target)}`));
  return import('serialport').then(
    (mod) => openWith(mod.SerialPort, t, o),
    (e: Error) => Promise.reject(new Error(`serial support unavailable: ${e.message}`)),
  );
}

function openWith(
  Ctor: typeof SerialPort,
  t: { path: string; baudRate: number },
  o: ConnectOptions,
): Promise<Transport> {
  return new Promise((resolve, reject) => {
    let port: SerialPort;
    try {
      port = new Ctor({
        path: t.path,
        baudRate: t.baudRate,
        dataBits: 8,
        stopBits: 1,
        parity: 'none',
        rtscts: false,
        xon: false,
        xoff: false,
        autoOpen: false,
      });
    } catch (e) {
      reject(new Error(`serial ${t.path}: ${(e as Error).message}`));
      return;
    }
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      if (port.isOpen) port.close(() => {});
      reject(new Error(`serial ${t.path}: ${why}`));
    };
    o.signal.addEventListener('abort', () => fail('open aborted'), { once: true });
    port.open((err) => {
      if (err) return fail(err.message);
      if (settled) {
        port.close(() => {});
        return;
      }
      settled = true;
      resolve(new SerialTransport(port, t.path));
    });
  });
}
