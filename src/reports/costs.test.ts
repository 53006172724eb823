import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAppError } from '../errors.ts';
import type { CostRow } from '../rating/index.ts';
import { costsCsv, parseCostsCsv } from './costs.ts';

function row(prefix: string, h1: number, o: Partial<CostRow> = {}): CostRow {
  return { prefix, h1, h2Begin: '00:00', h2End: '00:00', h2: 0, increment: 1, setup: 0, ...o };
}

function badRequest(message: string) {
  return (e: unknown) => {
    assert.ok(isAppError(e) && e.code === 'BAD_REQUEST', String(e));
    assert.equal((e as Error).message, message);
    return true;
  };
}

describe('costsCsv', () => {
  it('writes the header and one row per prefix', () => {
    const text = costsCsv([row('DEFAULT', 200), row('38', 180, { h2Begin: '20:00', h2End: '08:00', h2: 90, increment: 6, setup: 50 })], {
      separator: ';',
      lang: 'fr',
      timezone: 'UTC',
    });
    assert.equal(text, '\ufeffprefix;h1;h2Begin;h2End;h2;increment;setup\nDEFAULT;200;00:00;00:00;0;1;0\n38;180;20:00;08:00;90;6;50\n');
  });
});

describe('parseCostsCsv', () => {
  it('reads its own export back, whatever the separator', () => {
    const rows = [row('DEFAULT', 200), row('38', 180, { h2Begin: '20:00', h2End: '08:00', h2: 90 }), row('42', 250, { increment: 60, setup: 10 })];
    for (const separator of [';', ',', '\t']) {
      const text = costsCsv(rows, { separator, lang: 'fr', timezone: 'UTC' });
      assert.deepEqual(parseCostsCsv(text), rows, JSON.stringify(separator));
    }
  });

  it('takes columns in any order and case, optional ones defaulted, CRLF and blank lines', () => {
    const text = 'H1,Prefix\r\n\r\n200,DEFAULT\r\n180,38\r\n';
    assert.deepEqual(parseCostsCsv(text), [row('DEFAULT', 200), row('38', 180)]);
  });

  it('accepts the seed form of times ("0", "20")', () => {
    assert.deepEqual(parseCostsCsv('prefix;h1;h2Begin;h2End;h2\n38;180;20;8;90\n'), [
      row('38', 180, { h2Begin: '20:00', h2End: '08:00', h2: 90 }),
    ]);
  });

  it('returns no DEFAULT row when the file has none (the store keeps its own)', () => {
    assert.deepEqual(parseCostsCsv('prefix;h1\n38;180\n'), [row('38', 180)]);
  });

  it('names the line and the reason of the first bad row', () => {
    const lines = ['prefix;h1;h2Begin;h2End;h2;increment;setup', 'DEFAULT;200;;;;;', '38;180;;;;;', '', '42;250;;;;;', '43;250;;;;;', '44;-5;;;;;'];
    assert.throws(() => parseCostsCsv(lines.join('\n')), badRequest('line 7: h1: must be a whole number ≥ 0'));
    assert.throws(() => parseCostsCsv('prefix;h1\n38;180\n3a;1\n'), badRequest('line 3: prefix: must be DEFAULT or 1 to 20 digits'));
    assert.throws(() => parseCostsCsv('prefix;h1;h2Begin\n38;180;25:00\n'), badRequest('line 2: h2Begin: is not a valid time of day (00:00-23:59)'));
    assert.throws(() => parseCostsCsv('prefix;h1;increment\n38;180;0\n'), /^AppError: line 2: increment: /);
  });

  it('refuses a prefix given twice, naming both lines', () => {
    assert.throws(() => parseCostsCsv('prefix;h1\n38;1\n39;1\n038;1\n38;2\n'), badRequest('line 5: prefix: 38 already given on line 2'));
  });

  it('refuses a bad header', () => {
    assert.throws(() => parseCostsCsv(''), /^AppError: line 1: a header line is required/);
    assert.throws(() => parseCostsCsv('prefix;h1;rate\n'), /^AppError: line 1: unknown column "rate"/);
    assert.throws(() => parseCostsCsv('prefix;h2\n38;1\n'), badRequest('line 1: missing column h1'));
    assert.throws(() => parseCostsCsv('prefix;h1;H1\n'), badRequest('line 1: column h1 appears twice'));
    // a runaway cell is quoted in part, not echoed whole
    assert.throws(() => parseCostsCsv('prefix;h1;' + 'x'.repeat(100_000) + '\n'), (e: Error) => /^line 1: unknown column "x{40}…"/.test(e.message) && e.message.length < 200);
  });

  it('refuses a header with no rows: it would wipe the deck', () => {
    assert.throws(() => parseCostsCsv('Prefix;H1\n'), badRequest('line 2: no cost rows after the header: a rate deck needs at least one row'));
    assert.throws(() => parseCostsCsv('prefix;h1\n;\n\n'), /no cost rows/);
  });

  it('refuses cells beyond the header but tolerates empty trailing ones', () => {
    assert.deepEqual(parseCostsCsv('prefix;h1\n38;180;;\n'), [row('38', 180)]);
    assert.throws(() => parseCostsCsv('prefix;h1\n38;180;9\n'), badRequest('line 2: more cells than columns in the header'));
  });

  it('reports a broken quote with its line', () => {
    assert.throws(() => parseCostsCsv('prefix;h1\n38;180\n"39;1\n'), badRequest('line 3: unterminated quoted cell'));
  });

  it('reads 100,000 rows', () => {
    const lines = ['prefix;h1;h2Begin;h2End;h2;increment;setup', 'DEFAULT;200;00:00;00:00;0;1;0'];
    for (let i = 0; i < 100_000; i++) lines.push(`${33_000_000 + i};${i % 500};20:00;08:00;${i % 300};1;0`);
    const rows = parseCostsCsv(lines.join('\n'));
    assert.equal(rows.length, 100_001);
    assert.deepEqual(rows[100_000], row('33099999', 99_999 % 500, { h2Begin: '20:00', h2End: '08:00', h2: 99_999 % 300 }));
  });
});
