// The byte pipe under the engine link: TCP, serial line, or an in-process pair for tests.

export interface TransportHandlers {
  data(chunk: Buffer): void;
  /** Called once, when the pipe is gone for any reason (peer close, error, close()). */
  closed(reason: string): void;
}

export interface Transport {
  /** Human-readable peer, for logs. */
  readonly peer: string;
  /** Starts delivery; data that arrived before is held until then. */
  attach(h: TransportHandlers): void;
  write(data: string | Buffer): void;
  close(): void;
}

export interface ConnectOptions {
  connectTimeoutMs: number;
  /** Aborted by the link when it gives up on this attempt. */
  signal: AbortSignal;
}

/** Opens a transport to `target`; rejects with an Error whose message says why. */
export type TransportFactory = (target: string, o: ConnectOptions) => Promise<Transport>;
