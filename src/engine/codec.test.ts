import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, encode, isProtocolError, LineSplitter, MAX_LINE_BYTES, percentEncode, ProtocolError, type Message } from './codec.ts';

function msg(x: Message | ProtocolError): Message {
  assert.ok(!isProtocolError(x), `expected a message, got ${String(x)}`);
  return x as Message;
}
function err(x: Message | ProtocolError): ProtocolError {
  assert.ok(isProtocolError(x), `expected a protocol error, got ${JSON.stringify(x)}`);
  return x as ProtocolError;
}

test('unreserved bytes travel as they are, the rest as %HH of UTF-8', () => {
  assert.equal(percentEncode('fr/digits/2,fr/vm-youhave'), 'fr/digits/2,fr/vm-youhave');
  assert.equal(percentEncode('AZaz09-._~/,:+*#'), 'AZaz09-._~/,:+*#');
  assert.equal(percentEncode('Jean Dupont'), 'Jean%20Dupont');
  assert.equal(percentEncode('100%'), '100%25');
  assert.equal(percentEncode('a=b&c'), 'a%3Db%26c');
  assert.equal(percentEncode('Zoé'), 'Zo%C3%A9');
  assert.equal(percentEncode('☎'), '%E2%98%8E');
  assert.equal(percentEncode('\n\r\t'), '%0A%0D%09');
  assert.equal(percentEncode(''), '');
});

test('encode writes VERB then key=value in order and skips undefined fields', () => {
  assert.equal(encode('SYNCED'), 'SYNCED');
  assert.equal(encode('PLAY', { call: 'A1', ref: 2, prompts: 'fr/agent-pass', bargein: 1 }), 'PLAY call=A1 ref=2 prompts=fr/agent-pass bargein=1');
  assert.equal(encode('DIAL', { call: 'A1', ref: 4, to: '0141587070', via: undefined, from: '', limit: 1179 }), 'DIAL call=A1 ref=4 to=0141587070 from= limit=1179');
});

test('decode reads the spec example lines', () => {
  const m = msg(decode('OFFER call=A1 from=5173 to=6000 at=1700000000000'));
  assert.equal(m.verb, 'OFFER');
  assert.deepEqual({ ...m.fields }, { call: 'A1', from: '5173', to: '6000', at: '1700000000000' });
  assert.deepEqual({ ...msg(decode('OFFER call=A1 from= to=6000 at=1')).fields }, { call: 'A1', from: '', to: '6000', at: '1' });
  assert.deepEqual({ ...msg(decode('SYNCED')).fields }, {});
  assert.equal(msg(decode('USER name=Jean%20Dupont')).fields.name, 'Jean Dupont');
  assert.equal(msg(decode('USER name=Zo%c3%a9')).fields.name, 'Zoé', 'lower-case hex is accepted');
  assert.equal(msg(decode('X a=1  b=2 ')).fields.b, '2', 'extra spaces tolerated');
  assert.equal(msg(decode('X a=1 a=2')).fields.a, '2', 'last duplicate wins');
  assert.equal(msg(decode('X a=x=y')).fields.a, 'x=y', 'an = inside a value is kept');
  assert.equal(msg(decode(Buffer.from('X name=Zoé'))).fields.name, 'Zoé', 'raw UTF-8 is read leniently');
});

test('decode types its errors and never throws', () => {
  assert.equal(err(decode('')).kind, 'empty');
  assert.equal(err(decode('   ')).kind, 'empty');
  assert.equal(err(decode('offer call=1')).kind, 'bad-verb');
  assert.equal(err(decode('1OFFER')).kind, 'bad-verb');
  assert.equal(err(decode('OFFER call')).kind, 'bad-key');
  assert.equal(err(decode('OFFER =1')).kind, 'bad-key');
  assert.equal(err(decode('OFFER call=1 Dupont')).kind, 'bad-key', 'a bare word may be the rest of a value');
  assert.equal(err(decode('OFFER call=%ZZ')).kind, 'bad-escape');
  assert.equal(err(decode('OFFER call=%4')).kind, 'bad-escape');
  assert.equal(err(decode('OFFER call=abc%')).kind, 'bad-escape');
  assert.equal(err(decode('OFFER call=%C3%28')).kind, 'bad-utf8');
  assert.equal(err(decode('OFFER call=%FF')).kind, 'bad-utf8');
  assert.equal(err(decode(Buffer.from([0x58, 0x20, 0x61, 0x3d, 0xc3]))).kind, 'bad-utf8');
  assert.equal(err(decode('OFFER call=a\x01b')).kind, 'bad-value');
  assert.equal(err(decode('OFFER call=a\tb')).kind, 'bad-value');
});

test('keys outside [a-z_]+ are unknown keys: ignored with their value, the line kept', () => {
  assert.deepEqual({ ...msg(decode('OFFER call=U1 x-codec=pcma codec2=g711 Call=9 from=5173')).fields }, { call: 'U1', from: '5173' });
});

test('encode → decode round-trips any text, UTF-8 names and % included', () => {
  const values = ['', '%', '%25', '100 %', 'Jean Dupont', 'Zoé Ærøskøbing', '北京', '😀 emoji', 'a=b', '\r\n', '#*0123', 'x'.repeat(500)];
  for (const v of values) {
    const line = encode('USER', { name: v, id: 7 });
    assert.match(line, /^[\x21-\x7e ]+$/, 'the line is printable ASCII');
    assert.equal(line.split(' ').length, 3, 'no value leaks a space');
    const m = msg(decode(line));
    assert.equal(m.fields.name, v);
    assert.equal(m.fields.id, '7');
  }
  // random code points, lone surrogates excluded (they are not text)
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < 500; i++) {
    let v = '';
    const n = Math.floor(rnd() * 20);
    for (let j = 0; j < n; j++) {
      let cp = Math.floor(rnd() * (rnd() < 0.5 ? 0x80 : 0x10ffff));
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0x41;
      v += String.fromCodePoint(cp);
    }
    assert.equal(msg(decode(encode('V', { k: v }))).fields.k, v);
  }
});

test('random bytes never make decode or the splitter throw', () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  let lines = 0;
  const sp = new LineSplitter((l) => {
    lines++;
    const r = decode(l);
    assert.ok(isProtocolError(r) || typeof r.verb === 'string');
  });
  for (let i = 0; i < 2000; i++) {
    const n = Math.floor(rnd() * 300);
    const b = Buffer.alloc(n);
    for (let j = 0; j < n; j++) {
      const r = rnd();
      b[j] = r < 0.05 ? 0x0a : r < 0.1 ? 0x25 : r < 0.2 ? 0x20 : r < 0.3 ? 0x3d : Math.floor(rnd() * 256);
    }
    const d = decode(b);
    assert.ok(isProtocolError(d) || typeof d.verb === 'string');
    sp.push(b);
    assert.ok(sp.buffered <= MAX_LINE_BYTES + 1);
  }
  assert.ok(lines > 100);
});

function collect(max?: number) {
  const lines: string[] = [];
  const over: number[] = [];
  const sp = new LineSplitter(
    (l) => lines.push(l.toString('utf8')),
    (n) => over.push(n),
    max,
  );
  return { sp, lines, over };
}

test('splitter: LF ends a line, CR before LF dropped, chunks joined', () => {
  const { sp, lines } = collect();
  sp.push(Buffer.from('PING id=1\r\nPONG id=2\nOK re'));
  assert.deepEqual(lines, ['PING id=1', 'PONG id=2']);
  sp.push(Buffer.from('f=3\r'));
  assert.deepEqual(lines, ['PING id=1', 'PONG id=2'], 'no LF yet');
  sp.push(Buffer.from('\n\n'));
  assert.deepEqual(lines, ['PING id=1', 'PONG id=2', 'OK ref=3', '']);
  sp.push(Buffer.from('A\rB\n'));
  assert.equal(lines.at(-1), 'A\rB', 'only a CR right before LF is dropped');
});

test('splitter: multi-byte UTF-8 split across chunks is reassembled', () => {
  const { sp, lines } = collect();
  const b = Buffer.from('X name=Zoé\n');
  sp.push(b.subarray(0, 10));
  sp.push(b.subarray(10));
  assert.deepEqual(lines, ['X name=Zoé']);
});

test('splitter: a line of 4096 bytes passes, 4097 is discarded, counted, and the next line survives', () => {
  const { sp, lines, over } = collect();
  const ok = 'A'.repeat(MAX_LINE_BYTES);
  sp.push(Buffer.from(ok + '\r\n'));
  assert.equal(lines.length, 1);
  assert.equal(lines[0].length, MAX_LINE_BYTES);
  sp.push(Buffer.from('B'.repeat(MAX_LINE_BYTES + 1) + '\nPING id=9\n'));
  assert.deepEqual(over, [1]);
  assert.deepEqual(lines.slice(1), ['PING id=9']);
  sp.push(Buffer.from('C'.repeat(MAX_LINE_BYTES) + 'X\r\n'));
  assert.deepEqual(over, [1, 2], '4097 bytes before CR LF is too long');
  assert.equal(sp.overlong, 2);
});

test('splitter: an endless line in small chunks is dropped without buffering it, reported once', () => {
  const { sp, lines, over } = collect();
  for (let i = 0; i < 1000; i++) {
    sp.push(Buffer.alloc(100, 0x41));
    assert.ok(sp.buffered <= MAX_LINE_BYTES + 1);
  }
  assert.deepEqual(over, [1]);
  sp.push(Buffer.from('tail\nSYNCED\n'));
  assert.deepEqual(lines, ['SYNCED']);
  assert.deepEqual(over, [1]);
});
