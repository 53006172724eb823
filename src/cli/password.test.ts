import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { MAX_PASSWORD_BYTES, PasswordInputError, readLine } from './password.ts';

test('readLine takes the first line only, without CR/LF', async () => {
  assert.equal(await readLine(Readable.from([Buffer.from('s3cr')], { objectMode: false }).pipe(new PassThrough())), 's3cr');
  const p = new PassThrough();
  const line = readLine(p);
  p.write('pa');
  p.write('ss wörd\r\nnext line\n');
  assert.equal(await line, 'pass wörd');
});

test('readLine ends at EOF without a newline, and refuses an endless line', async () => {
  const p = new PassThrough();
  const line = readLine(p);
  p.end('');
  assert.equal(await line, '');
  const q = new PassThrough();
  const long = readLine(q);
  q.write(Buffer.alloc(MAX_PASSWORD_BYTES + 1, 0x61));
  await assert.rejects(long, PasswordInputError);
});
