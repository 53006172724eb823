import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Archive, LedgerLine } from '../store/index.ts';
import { parseStamp } from '../timezone/index.ts';
import { ARCHIVE_NAME, archiveCsv, archiveName } from './archive.ts';
import { BOM, parseCsv, type CsvStyle } from './csv.ts';

const TZ = 'Europe/Paris';
const FR: CsvStyle = { separator: ';', lang: 'fr', timezone: TZ };

function at(stamp: string): number {
  const t = parseStamp(stamp, TZ);
  assert.ok(t !== null);
  return t;
}

function line(stamp: string, operation: LedgerLine['operation'], units: number, dialed = '', duration: number | null = null): LedgerLine {
  return { at: at(stamp), operation, dialed, duration, units };
}

// The archive of the seed's LibreOffice screenshot (BILLING_20120412_103343.csv).
const SEED: Archive = {
  name: 'BILLING_20120412_103343.csv',
  at: at('20120412_103343'),
  unitPrice: '0.0001',
  currency: 'Euros',
  liveCalls: [],
  users: [
    {
      id: '1002',
      name: '1002',
      totalUnits: 227400,
      lines: [line('20120412_102253', 'CREDIT', 250000), line('20120412_103209', 'CALL', -22600, '3000', 113)],
    },
    {
      id: '1001',
      name: '1001',
      totalUnits: 187600,
      lines: [
        line('20120403_151812', 'REPORT', 203800),
        line('20120403_152503', 'CALL', -600, '5173', 3),
        line('20120412_102901', 'CALL', -2600, '5173', 13),
        line('20120412_103222', 'CALL', -13000, '3000', 65),
      ],
    },
  ],
};

describe('archiveCsv', () => {
  it('reproduces the seed spreadsheet cell for cell', () => {
    const text = archiveCsv(SEED, FR);
    assert.ok(text.startsWith(BOM));
    assert.equal(
      text.slice(1),
      [
        'User number : 1002',
        'User ID : 1002',
        'Date;Operation;Called;Duration;Units;Euros',
        '20120412_102253;CREDIT;;;250000;25',
        '20120412_103209;CALL;3000;113;-22600;-2,26',
        'Total;;;;227400;22,74',
        '',
        '',
        'User number : 1001',
        'User ID : 1001',
        'Date;Operation;Called;Duration;Units;Euros',
        '20120403_151812;REPORT;;;203800;20,38',
        '20120403_152503;CALL;5173;3;-600;-0,06',
        '20120412_102901;CALL;5173;13;-2600;-0,26',
        '20120412_103222;CALL;3000;65;-13000;-1,3',
        'Total;;;;187600;18,76',
        '',
        '',
        '',
      ].join('\n'),
    );
  });

  it('uses the dot in English and the configured separator, quoting as needed', () => {
    const text = archiveCsv(SEED, { separator: ',', lang: 'en', timezone: TZ });
    assert.match(text, /\n20120412_103209,CALL,3000,113,-22600,-2\.26\n/);
    const fr = archiveCsv(SEED, { separator: ',', lang: 'fr', timezone: TZ });
    assert.match(fr, /\n20120412_103209,CALL,3000,113,-22600,"-2,26"\n/);
    assert.deepEqual(parseCsv(fr, ',')[4]!.cells, ['20120412_103209', 'CALL', '3000', '113', '-22600', '-2,26']);
  });

  it('keeps a formula-like user name inert: it never starts the cell, and is quoted', () => {
    const a: Archive = { ...SEED, users: [{ id: '7', name: '=HYPERLINK("x")', totalUnits: 0, lines: [] }] };
    const text = archiveCsv(a, FR);
    assert.match(text, /\n"User ID : =HYPERLINK\(""x""\)"\n/);
  });

  it('has nothing after the user blocks, calls live at the close or not', () => {
    const text = archiveCsv({ ...SEED, liveCalls: ['A1', 'B2'] }, FR);
    assert.equal(text, archiveCsv(SEED, FR));
    assert.ok(text.endsWith('\n\n\n'), 'the last block ends with its two empty lines');
  });

  it('shows dates in local time on both sides of a DST change', () => {
    const a: Archive = {
      ...SEED,
      users: [
        {
          id: '1',
          name: 'n',
          totalUnits: 100,
          lines: [
            { at: Date.parse('2025-03-30T00:59:59Z'), operation: 'CREDIT', dialed: '', duration: null, units: 200 },
            { at: Date.parse('2025-03-30T01:00:10Z'), operation: 'CALL', dialed: '33', duration: 10, units: -100 },
          ],
        },
      ],
    };
    const text = archiveCsv(a, FR);
    assert.match(text, /\n20250330_015959;CREDIT;;;200;0,02\n20250330_030010;CALL;33;10;-100;-0,01\n/);
  });
});

describe('archive names', () => {
  it('is BILLING_<stamp>.csv in the box timezone and matches the guard', () => {
    const name = archiveName(Date.parse('2012-04-12T08:33:43Z'), TZ);
    assert.equal(name, 'BILLING_20120412_103343.csv');
    assert.match(name, ARCHIVE_NAME);
  });

  it('guard refuses anything that could reach outside', () => {
    for (const bad of ['../BILLING_20120412_103343.csv', 'BILLING_20120412_103343.csv/..', 'BILLING_2012041_103343.csv', 'BILLING_20120412_103343.csv\n', 'x.csv']) {
      assert.doesNotMatch(bad, ARCHIVE_NAME);
    }
  });
});
