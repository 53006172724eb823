// Reads the admin password for `prepaid passwd`: the first line of a pipe or file, or
// typed at a terminal without echo. Only one line is taken; the rest is left unread.
import type { Readable, Writable } from 'node:stream';

export const MAX_PASSWORD_BYTES = 1024;

export class PasswordInputError extends Error {}

/** The first line of `input`, without its CR/LF. EOF before any LF ends the line too. */
export function readLine(input: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err: Error | null, line?: string) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      input.pause();
      if (err) reject(err);
      else resolve(line!);
    };
    const onData = (c: Buffer | string) => {
      const b = typeof c === 'string' ? Buffer.from(c) : c;
      const lf = b.indexOf(0x0a);
      const part = lf >= 0 ? b.subarray(0, lf) : b;
      chunks.push(part);
      size += part.length;
      if (size > MAX_PASSWORD_BYTES) return done(new PasswordInputError(`password longer than ${MAX_PASSWORD_BYTES} bytes`));
      if (lf >= 0) done(null, finish());
    };
    const onEnd = () => done(null, finish());
    const onError = (e: Error) => done(e);
    const finish = () => Buffer.concat(chunks).toString('utf8').replace(/\r$/, '');
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onError);
    input.resume();
  });
}

interface Tty extends Readable { isTTY?: boolean; setRawMode?(raw: boolean): unknown }

/** On a terminal: prompt on `out`, read without echo (Enter ends, Ctrl-C/Ctrl-D abort). */
export function readSecret(input: Tty, out: Writable, prompt: string): Promise<string> {
  if (!input.isTTY || typeof input.setRawMode !== 'function') return readLine(input);
  out.write(prompt);
  input.setRawMode(true);
  input.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let typed = '';
    const end = (err: Error | null) => {
      input.off('data', onData);
      input.setRawMode?.(false);
      input.pause();
      out.write('\n');
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (s: string) => {
      for (const ch of s) {
        if (ch === '\r' || ch === '\n') return end(null);
        if (ch === '\u0003' || ch === '\u0004') return end(new PasswordInputError('cancelled'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else if (ch >= ' ') typed += ch;
        if (Buffer.byteLength(typed) > MAX_PASSWORD_BYTES) return end(new PasswordInputError(`password longer than ${MAX_PASSWORD_BYTES} bytes`));
      }
    };
    input.on('data', onData);
    input.resume();
  });
}
