import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CsvSyntaxError, csvRecords, csvStyle, csvText, detectSeparator, parseCsv, plainLine, safeCell, type CsvStyle } from './csv.ts';

const FR: CsvStyle = { separator: ';', lang: 'fr', timezone: 'Europe/Paris' };

describe('safeCell', () => {
  it('defuses text a spreadsheet would run as a formula', () => {
    for (const s of ['=1+2', '+A1', '-A1', '@SUM(A1)', '\tx', '\rx', '=HYPERLINK("x")', '+', '-', '－1', '＝1']) {
      assert.equal(safeCell(s), `'${s}`, JSON.stringify(s));
    }
  });

  it('never alters plain numbers, signed or with a decimal part', () => {
    for (const s of ['-7200', '-0,72', '-0.720000', '+33612345678', '+250000', '0', '25', '380141587070']) {
      assert.equal(safeCell(s), s);
    }
  });

  it('leaves ordinary text alone', () => {
    for (const s of ['', 'CALL', 'User number : 1001', 'Dupont-Aignan', 'a=b']) assert.equal(safeCell(s), s);
  });
});

describe('csvStyle', () => {
  it('uses ; when the separator is unset and keeps a configured one', () => {
    const base = { language: 'fr' as const, timezone: 'UTC' };
    assert.equal(csvStyle({ ...base, csvSeparator: '' }).separator, ';');
    assert.equal(csvStyle({ ...base, csvSeparator: ',' }).separator, ',');
    assert.equal(csvStyle({ ...base, csvSeparator: '\t' }).separator, '\t');
    assert.equal(csvStyle({ ...base, csvSeparator: '"' }).separator, ';');
  });
});

describe('csvRecords', () => {
  it('writes LF-terminated records with the separator, numbers plain, null empty', () => {
    assert.equal(csvRecords([['Total', '', null, 242800, '24,28']], FR), 'Total;;;242800;24,28\n');
  });

  it('quotes per RFC 4180 only cells that need it', () => {
    const out = csvRecords([['a;b', 'say "hi"', 'two\nlines', 'plain']], FR);
    assert.equal(out, '"a;b";"say ""hi""";"two\nlines";plain\n');
  });

  it('quotes a cell holding a lone CR, which readers take for a line break too', () => {
    assert.equal(csvRecords([['a\rb', 'x']], FR), '"a\rb";x\n');
    assert.equal(csvRecords([['\r=1']], FR), `"'\r=1"\n`);
  });

  it('quotes decimal-comma amounts when the separator is a comma', () => {
    assert.equal(csvRecords([['-0,72', 1]], { ...FR, separator: ',' }), '"-0,72",1\n');
  });

  it('defuses formula text cells but not negative numbers', () => {
    assert.equal(csvRecords([['=cmd|x', '-7200', -7200]], FR), "'=cmd|x;-7200;-7200\n");
  });

  it('reads back what it wrote', () => {
    const rows = [['é à ü', 'x;y', 'q"q', 'l1\r\nl2', ''], ['1', '', '', '', 'z']];
    for (const sep of [';', ',', '\t', '|', ' ']) {
      const text = csvRecords(rows, { ...FR, separator: sep });
      assert.deepEqual(
        parseCsv(text, sep).map((r) => r.cells),
        rows,
        JSON.stringify(sep),
      );
    }
  });
});

describe('plainLine', () => {
  it('writes exactly what csv-stringify writes whenever it answers, and declines cells that need quoting', () => {
    // a small deterministic generator: cells from an alphabet full of CSV specials
    let seed = 42;
    const rnd = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return (seed >>> 16) % n;
    };
    const alphabet = ['a', '1', ';', ',', '"', '\n', '\r', '\t', ' ', '|', ':', '=', '-', 'é', "'"];
    let plain = 0;
    let declined = 0;
    for (let i = 0; i < 5000; i++) {
      const cells = Array.from({ length: 1 + rnd(8) }, () => Array.from({ length: rnd(4) }, () => alphabet[rnd(alphabet.length)]!).join(''));
      for (const separator of [';', ',', '\t', ' ', '|', ':']) {
        const line = plainLine(cells, separator);
        const reference = csvText([cells], { ...FR, separator });
        if (line === null) {
          declined++;
          assert.ok(
            cells.some((c) => c.includes(separator) || /["\r\n]/.test(c)),
            `declined without need: ${JSON.stringify(cells)} ${JSON.stringify(separator)}`,
          );
        } else {
          plain++;
          assert.equal(line, reference, `${JSON.stringify(cells)} ${JSON.stringify(separator)}`);
        }
      }
    }
    assert.ok(plain > 1000 && declined > 1000, `${plain} plain, ${declined} declined`);
  });

  it('takes a typical CDR row and leaves multi-character separators to csv-stringify', () => {
    const row = ['20120403_152503', '1333459492', '4', '3', '600', '1001', '5173', 'A12040315245291803'];
    assert.equal(plainLine(row, ';'), '20120403_152503;1333459492;4;3;600;1001;5173;A12040315245291803\n');
    assert.equal(plainLine(row, '::'), null);
  });
});

describe('detectSeparator', () => {
  it('picks the most frequent of ; , and tab on the first line', () => {
    assert.equal(detectSeparator('prefix;h1;h2\n38,1;2'), ';');
    assert.equal(detectSeparator('prefix,h1,h2\n'), ',');
    assert.equal(detectSeparator('prefix\th1\th2'), '\t');
    assert.equal(detectSeparator('"a;b;c",h1,h2'), ',');
    assert.equal(detectSeparator('prefix'), ';');
  });
});

describe('parseCsv', () => {
  it('reads CRLF, LF and CR line ends and skips a BOM', () => {
    const recs = parseCsv('\ufeffa;b\r\nc;d\ne;f\rg;h', ';');
    assert.deepEqual(
      recs.map((r) => [r.line, r.cells]),
      [
        [1, ['a', 'b']],
        [2, ['c', 'd']],
        [3, ['e', 'f']],
        [4, ['g', 'h']],
      ],
    );
  });

  it('counts the lines inside quoted cells for the next record', () => {
    const recs = parseCsv('h\n"multi\nline";x\nlast\n', ';');
    assert.deepEqual(
      recs.map((r) => r.line),
      [1, 2, 4],
    );
    assert.equal(recs[1]!.cells[0], 'multi\nline');
  });

  it('keeps blank lines as one empty cell (callers skip them)', () => {
    assert.deepEqual(
      parseCsv('a\n\nb\n', ';').map((r) => r.cells),
      [['a'], [''], ['b']],
    );
  });

  it('reports the line of an unterminated or stray quote', () => {
    assert.throws(
      () => parseCsv('a\nb\n"open;x\n', ';'),
      (e) => e instanceof CsvSyntaxError && e.line === 3,
    );
    assert.throws(
      () => parseCsv('a\nb"c\n', ';'),
      (e) => e instanceof CsvSyntaxError && e.line === 2,
    );
    assert.throws(
      () => parseCsv('"a"b\n', ';'),
      (e) => e instanceof CsvSyntaxError && e.line === 1,
    );
  });
});
