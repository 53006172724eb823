// CDR export: the whole range streamed as CSV, a bounded chunk at a time, waiting for the
// client between chunks so a slow reader never makes the range pile up in memory.
import type { Cdr } from '../store/index.ts';
import { formatStamp } from '../timezone/index.ts';
import type { StreamWriter } from '../web/http.ts';
import { BOM, csvRecords, csvText, plainLine, safeCell, type CsvStyle } from './csv.ts';

export const CDR_HEADER = ['Date', 'TimeStamp', 'ConnectDelay', 'Durat.', 'Cost', 'User', 'Dialed num', 'CallId'] as const;

/** One CSV record: Date is the end of the call, TimeStamp the Unix seconds of the OFFER. */
export function cdrRecord(c: Cdr, timezone: string): string[] {
  // cells as text already: the export's hot path skips csvRecords' per-cell conversion
  return [
    formatStamp(c.endAt, timezone),
    String(Math.floor(c.offerAt / 1000)),
    c.connectDelay === null ? '' : String(c.connectDelay),
    String(c.duration),
    String(c.cost),
    safeCell(c.user),
    safeCell(c.dialed),
    safeCell(c.callId),
  ];
}

/** Characters gathered before handing a chunk to the socket: few awaits, bounded memory. */
const CHUNK_CHARS = 64 * 1024;

/**
 * Writes BOM, header and every CDR of the iterable; stops early when the client went away.
 * Returns the number of CDR rows written.
 */
export async function writeCdrCsv(w: StreamWriter, cdrs: Iterable<Cdr>, style: CsvStyle): Promise<number> {
  let pending = BOM + csvRecords([[...CDR_HEADER]], style);
  let rows = 0;
  for (const c of cdrs) {
    const cells = cdrRecord(c, style.timezone);
    pending += plainLine(cells, style.separator) ?? csvText([cells], style);
    rows++;
    if (pending.length >= CHUNK_CHARS) {
      await w.write(pending);
      pending = '';
      if (w.aborted) return rows;
    }
  }
  if (!w.aborted) {
    await w.write(pending);
    w.end();
  }
  return rows;
}
