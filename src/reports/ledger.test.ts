import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LedgerLine } from '../store/index.ts';
import { parseStamp } from '../timezone/index.ts';
import type { CsvStyle } from './csv.ts';
import { ledgerCsv } from './ledger.ts';

const TZ = 'Europe/Paris';
const at = (s: string): number => parseStamp(s, TZ)!;

// The statement of user 1001 on the seed's users page.
const LINES: LedgerLine[] = [
  { at: at('20120413_092322'), operation: 'CREDIT', dialed: '', duration: null, units: 250000 },
  { at: at('20120413_094322'), operation: 'CALL', dialed: '5173', duration: 20, units: 0 },
  { at: at('20120413_094615'), operation: 'CALL', dialed: '5173', duration: 40, units: -7200 },
  { at: at('20120413_094730'), operation: 'CALL', dialed: '5173', duration: 39, units: -7020 },
];

describe('ledgerCsv', () => {
  it('renders the seed statement with full-precision amounts and a Total in cents', () => {
    const style: CsvStyle = { separator: ';', lang: 'fr', timezone: TZ };
    const text = ledgerCsv(LINES, { unitPrice: '0.0001', currency: 'Euros' }, style);
    assert.equal(
      text,
      '\ufeff' +
        [
          'Date;Operation;Dialed;Durat.(sec);Units;Euros',
          '20120413_092322;CREDIT;;;250000;25,000000',
          '20120413_094322;CALL;5173;20;0;0,000000',
          '20120413_094615;CALL;5173;40;-7200;-0,720000',
          '20120413_094730;CALL;5173;39;-7020;-0,702000',
          'Total;;;;235780;23,58',
          '',
        ].join('\n'),
    );
  });

  it('renders an empty period as header and a zero Total, in English with tabs', () => {
    const text = ledgerCsv([], { unitPrice: '0.0001', currency: 'USD' }, { separator: '\t', lang: 'en', timezone: TZ });
    assert.equal(text, '\ufeffDate\tOperation\tDialed\tDurat.(sec)\tUnits\tUSD\nTotal\t\t\t\t0\t0.00\n');
  });
});
