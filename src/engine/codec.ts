// Wire format of the engine link (spec: shared/spec/engine-link.md, "Message format").
// Pure functions; decode never throws, whatever bytes arrive.

export const MAX_LINE_BYTES = 4096;

export interface Message {
  verb: string;
  fields: Record<string, string>;
}

export type ProtocolErrorKind = 'empty' | 'bad-verb' | 'bad-key' | 'bad-escape' | 'bad-utf8' | 'bad-value';

/** A line that is not a message; returned, never thrown. */
export class ProtocolError {
  constructor(
    readonly kind: ProtocolErrorKind,
    readonly detail: string,
  ) {}
  toString(): string {
    return `${this.kind}: ${this.detail}`;
  }
}

export function isProtocolError(x: unknown): x is ProtocolError {
  return x instanceof ProtocolError;
}

export type FieldValue = string | number | undefined;

// Bytes that travel unescaped: A-Z a-z 0-9 - . _ ~ / , : + * #
const UNRESERVED = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/,:+*#') UNRESERVED[c.charCodeAt(0)] = 1;
const HEX = '0123456789ABCDEF';

export function percentEncode(value: string): string {
  const bytes = Buffer.from(value, 'utf8');
  let out = '';
  for (const b of bytes) out += UNRESERVED[b] ? String.fromCharCode(b) : '%' + HEX[b >> 4] + HEX[b & 15];
  return out;
}

const VERB_RE = /^[A-Z][A-Z0-9_]*$/;
const KEY_RE = /^[a-z_]+$/;

/** One line, without its LF. Undefined fields are left out; numbers are written as they print. */
export function encode(verb: string, fields: Record<string, FieldValue> = {}): string {
  let line = verb;
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    line += ' ' + k + '=' + percentEncode(String(v));
  }
  return line;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function hexVal(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  return -1;
}

function decodeValue(raw: Buffer, key: string): string | ProtocolError {
  const out = Buffer.allocUnsafe(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i];
    if (b === 0x25) {
      const hi = i + 2 < raw.length ? hexVal(raw[i + 1]) : -1;
      const lo = hi >= 0 ? hexVal(raw[i + 2]) : -1;
      if (lo < 0) return new ProtocolError('bad-escape', `bad %-escape in ${key}`);
      out[n++] = (hi << 4) | lo;
      i += 2;
    } else if (b < 0x21 || b === 0x7f) {
      // Control bytes must be escaped; a raw one means a broken sender.
      return new ProtocolError('bad-value', `raw control byte 0x${b.toString(16)} in ${key}`);
    } else {
      // Printable ASCII outside the set, and raw UTF-8, are accepted (lenient reader).
      out[n++] = b;
    }
  }
  try {
    return utf8.decode(out.subarray(0, n));
  } catch {
    return new ProtocolError('bad-utf8', `invalid UTF-8 in ${key}`);
  }
}

/** Parses one line (bytes or string, without LF). Duplicate keys: the last wins. */
export function decode(line: Buffer | string): Message | ProtocolError {
  const buf = typeof line === 'string' ? Buffer.from(line, 'utf8') : line;
  // Split on runs of spaces; tolerant of leading/trailing/double spaces.
  const tokens: Buffer[] = [];
  let start = -1;
  for (let i = 0; i <= buf.length; i++) {
    const sp = i === buf.length || buf[i] === 0x20;
    if (sp) {
      if (start >= 0) tokens.push(buf.subarray(start, i));
      start = -1;
    } else if (start < 0) start = i;
  }
  if (tokens.length === 0) return new ProtocolError('empty', 'empty line');
  const verb = tokens[0].toString('latin1');
  if (!VERB_RE.test(verb)) return new ProtocolError('bad-verb', `bad verb ${JSON.stringify(verb.slice(0, 32))}`);
  const fields: Record<string, string> = Object.create(null);
  for (let t = 1; t < tokens.length; t++) {
    const tok = tokens[t];
    const eq = tok.indexOf(0x3d);
    const key = (eq < 0 ? tok : tok.subarray(0, eq)).toString('latin1');
    if (eq < 0 || eq === 0) return new ProtocolError('bad-key', `bad key ${JSON.stringify(key.slice(0, 32))}`);
    // a key outside [a-z_]+ can be no key of this protocol: an unknown key, ignored with its
    // value (an engine's `x-codec=` must not cost the call); a bare word still spoils the line,
    // as it may be the rest of a known key's value
    if (!KEY_RE.test(key)) continue;
    const v = decodeValue(tok.subarray(eq + 1), key);
    if (v instanceof ProtocolError) return v;
    fields[key] = v;
  }
  return { verb, fields };
}

/**
 * Cuts a byte stream into LF-terminated lines (CR before LF dropped). A line longer than
 * `max` bytes is discarded up to its LF and reported once; memory stays bounded by `max`.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private discarding = false;
  /** Number of over-long lines discarded so far. */
  overlong = 0;

  constructor(
    private readonly onLine: (line: Buffer) => void,
    private readonly onOverlong: (count: number) => void = () => {},
    private readonly max = MAX_LINE_BYTES,
  ) {}

  /** Bytes held for the current, unfinished line. */
  get buffered(): number {
    return this.size;
  }

  push(chunk: Buffer): void {
    let from = 0;
    while (from < chunk.length) {
      const lf = chunk.indexOf(0x0a, from);
      const end = lf < 0 ? chunk.length : lf;
      if (!this.discarding) {
        const piece = chunk.subarray(from, end);
        // +1: a CR that may still turn out to precede the LF.
        if (this.size + piece.length > this.max + 1) this.overflow();
        else if (piece.length > 0) {
          this.parts.push(Buffer.from(piece));
          this.size += piece.length;
        }
      }
      if (lf < 0) break;
      if (!this.discarding) this.finishLine();
      this.discarding = false;
      from = lf + 1;
    }
  }

  private finishLine(): void {
    let line = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    if (line.length > this.max) {
      this.overlong++;
      this.onOverlong(this.overlong);
      return;
    }
    this.onLine(line);
  }

  private overflow(): void {
    this.parts = [];
    this.size = 0;
    this.discarding = true;
    this.overlong++;
    this.onOverlong(this.overlong);
  }
}
