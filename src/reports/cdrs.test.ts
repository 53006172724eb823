import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cdr } from '../store/index.ts';
import type { StreamWriter } from '../web/http.ts';
import { cdrRecord, writeCdrCsv } from './cdrs.ts';
import { parseCsv, type CsvStyle } from './csv.ts';

const TZ = 'Europe/Paris';
const STYLE: CsvStyle = { separator: ';', lang: 'fr', timezone: TZ };

function cdr(i: number, o: Partial<Cdr> = {}): Cdr {
  const offerAt = 1_333_459_492_000 + i * 60_000;
  return {
    offerAt,
    endAt: offerAt + 11_000,
    connectDelay: 4,
    duration: 3,
    cost: 600,
    user: '1001',
    dialed: '5173',
    callId: `A${i}`,
    from: '0561500000',
    cause: 'normal',
    ...o,
  };
}

/** A writer whose writes wait until the test lets them through (a slow client). */
class SlowClient implements StreamWriter {
  chunks: string[] = [];
  ended = false;
  aborted = false;
  private release: (() => void) | null = null;
  write(chunk: string | Buffer): Promise<void> {
    this.chunks.push(String(chunk));
    return new Promise((resolve) => (this.release = resolve));
  }
  end(): void {
    this.ended = true;
  }
  /** Lets the pending write complete and gives the exporter a turn. */
  async drain(): Promise<boolean> {
    const r = this.release;
    this.release = null;
    r?.();
    await new Promise((res) => setImmediate(res));
    return r !== null;
  }
}

class FastClient implements StreamWriter {
  text = '';
  ended = false;
  aborted = false;
  async write(chunk: string | Buffer): Promise<void> {
    this.text += String(chunk);
  }
  end(): void {
    this.ended = true;
  }
}

describe('cdrRecord', () => {
  it('has the end of call as Date and the OFFER in Unix seconds', () => {
    const c = cdr(0, { offerAt: 1334219410_400, endAt: Date.parse('2012-04-12T08:32:09.700Z'), connectDelay: null });
    assert.deepEqual(cdrRecord(c, TZ), ['20120412_103209', '1334219410', '', '3', '600', '1001', '5173', 'A0']);
  });
});

describe('writeCdrCsv', () => {
  it('writes BOM, the header and every row, then ends', async () => {
    const w = new FastClient();
    const n = await writeCdrCsv(w, [cdr(0), cdr(1, { dialed: '+33612345678', callId: '=evil' })], STYLE);
    assert.equal(n, 2);
    assert.ok(w.ended);
    assert.ok(w.text.startsWith('\ufeffDate;TimeStamp;ConnectDelay;Durat.;Cost;User;Dialed num;CallId\n'));
    const recs = parseCsv(w.text, ';');
    assert.deepEqual(recs[1]!.cells, ['20120403_152503', '1333459492', '4', '3', '600', '1001', '5173', 'A0']);
    assert.deepEqual(recs[2]!.cells.slice(6), ['+33612345678', "'=evil"]);
    assert.equal(recs.length, 3);
  });

  it('quotes the rare cell that needs it, keeping row order', async () => {
    const w = new FastClient();
    await writeCdrCsv(w, [cdr(0), cdr(1, { callId: 'a;"b"\nc' }), cdr(2)], STYLE);
    assert.ok(w.text.includes(';1001;5173;"a;""b""\nc"\n'));
    assert.deepEqual(
      parseCsv(w.text, ';').map((r) => r.cells[7]),
      ['CallId', 'A0', 'a;"b"\nc', 'A2'],
    );
  });

  it('writes just the header for an empty range', async () => {
    const w = new FastClient();
    assert.equal(await writeCdrCsv(w, [], STYLE), 0);
    assert.equal(w.text, '\ufeffDate;TimeStamp;ConnectDelay;Durat.;Cost;User;Dialed num;CallId\n');
  });

  it('reads no further ahead than a chunk while the client is slow', async () => {
    let pulled = 0;
    function* range(): Generator<Cdr> {
      for (let i = 0; i < 50_000; i++) {
        pulled++;
        yield cdr(i);
      }
    }
    const w = new SlowClient();
    const done = writeCdrCsv(w, range(), STYLE);
    await new Promise((res) => setImmediate(res));
    const firstChunkRows = pulled;
    assert.ok(firstChunkRows < 50_000, 'the exporter waited for the client');
    // while the write is pending, nothing more is read
    await new Promise((res) => setImmediate(res));
    assert.equal(pulled, firstChunkRows);
    while (await w.drain());
    assert.equal(await done, 50_000);
    assert.ok(w.ended);
    assert.ok(w.chunks.length > 5, `streamed in ${w.chunks.length} chunks`);
    const rows = parseCsv(w.chunks.join(''), ';');
    assert.equal(rows.length, 50_001);
    assert.equal(rows[50_000]!.cells[7], 'A49999');
  });

  it('stops reading when the client goes away', async () => {
    let pulled = 0;
    function* range(): Generator<Cdr> {
      for (let i = 0; i < 1_000_000; i++) {
        pulled++;
        yield cdr(i);
      }
    }
    const w = new FastClient();
    const write = w.write.bind(w);
    w.write = async (chunk) => {
      await write(chunk);
      w.aborted = true;
    };
    const n = await writeCdrCsv(w, range(), STYLE);
    assert.ok(n < 10_000 && pulled < 10_000, `stopped after ${n} rows`);
    assert.equal(w.ended, false);
  });

  it('renders end dates in local time across a DST change', async () => {
    const w = new FastClient();
    const before = cdr(0, { endAt: Date.parse('2025-10-26T00:59:30Z') });
    const after = cdr(1, { endAt: Date.parse('2025-10-26T01:00:30Z') });
    await writeCdrCsv(w, [before, after], STYLE);
    const recs = parseCsv(w.text, ';');
    assert.equal(recs[1]!.cells[0], '20251026_025930');
    assert.equal(recs[2]!.cells[0], '20251026_020030');
  });
});
