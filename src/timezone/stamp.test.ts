import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAppError } from '../errors.ts';
import { formatStamp, localParts, parseRange, parseRangeBound, parseStamp } from './stamp.ts';

const PARIS = 'Europe/Paris';
const utc = (iso: string): number => Date.parse(iso);

describe('formatStamp', () => {
  it('renders the seed CDR offer instant in Paris summer time', () => {
    assert.equal(formatStamp(1333459492 * 1000, PARIS), '20120403_152452');
  });

  it('renders winter time one hour from UTC', () => {
    assert.equal(formatStamp(utc('2024-01-15T08:05:09.999Z'), PARIS), '20240115_090509');
  });

  it('follows a spring-forward change: 01:59:59 then 03:00:00', () => {
    assert.equal(formatStamp(utc('2025-03-30T00:59:59Z'), PARIS), '20250330_015959');
    assert.equal(formatStamp(utc('2025-03-30T01:00:00Z'), PARIS), '20250330_030000');
  });

  it('follows a fall-back change: 02:30 twice, an hour apart', () => {
    assert.equal(formatStamp(utc('2025-10-26T00:30:00Z'), PARIS), '20251026_023000');
    assert.equal(formatStamp(utc('2025-10-26T01:30:00Z'), PARIS), '20251026_023000');
    assert.equal(formatStamp(utc('2025-10-26T02:30:00Z'), PARIS), '20251026_033000');
  });

  it('stays right when instants come out of order around a change (offset cache)', () => {
    const after = utc('2025-03-30T01:30:00Z');
    const before = utc('2025-03-30T00:30:00Z');
    assert.equal(formatStamp(after, PARIS), '20250330_033000');
    assert.equal(formatStamp(before, PARIS), '20250330_013000');
    assert.equal(formatStamp(after + 1000, PARIS), '20250330_033001');
  });

  it('renders the API examples, in Paris and in UTC', () => {
    assert.equal(formatStamp(1334219473 * 1000, PARIS), '20120412_103113');
    assert.equal(formatStamp(Date.UTC(2024, 0, 1, 23, 0, 5), PARIS), '20240102_000005');
    assert.equal(formatStamp(Date.UTC(2024, 0, 1, 23, 0, 5), 'UTC'), '20240101_230005');
  });

  it('gives each zone its own local day for the same instant', () => {
    const t = utc('2024-05-31T23:30:00Z');
    assert.equal(formatStamp(t, PARIS), '20240601_013000');
    assert.equal(formatStamp(t, 'America/New_York'), '20240531_193000');
    assert.equal(formatStamp(t, PARIS), '20240601_013000');
  });

  it('agrees with Intl over years of instants in zones with odd offsets', () => {
    const zones = [PARIS, 'America/St_Johns', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'America/Sao_Paulo', 'UTC'];
    for (const tz of zones) {
      const intl = new Intl.DateTimeFormat('en-GB', {
        timeZone: tz,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
      // a 7-hour-and-a-bit stride walks every hour of the day across the DST changes
      for (let t = utc('2015-01-01T00:00:00Z'); t < utc('2027-01-01T00:00:00Z'); t += 7 * 3_600_000 + 1_234_567) {
        const p = Object.fromEntries(intl.formatToParts(t).map((x) => [x.type, x.value]));
        const want = `${p.year}${p.month}${p.day}_${p.hour}${p.minute}${p.second}`;
        assert.equal(formatStamp(t, tz), want, `${tz} at ${new Date(t).toISOString()}`);
      }
    }
  });
});

describe('localParts', () => {
  it('gives the wall clock fields', () => {
    const t = utc('2024-07-01T22:00:00Z');
    assert.deepEqual(localParts(t, PARIS), { year: 2024, month: 7, day: 2, hour: 0, minute: 0, second: 0 });
  });
});

describe('parseStamp', () => {
  it('reads a wall-clock stamp in the zone', () => {
    assert.equal(parseStamp('20120403_152452', PARIS), 1333459492 * 1000);
    assert.equal(parseStamp('20240115_090509', PARIS), utc('2024-01-15T08:05:09Z'));
  });

  it('moves a time skipped by spring-forward on by the gap', () => {
    assert.equal(parseStamp('20250330_023000', PARIS), utc('2025-03-30T01:30:00Z'));
  });

  it('takes the first occurrence of a time repeated by fall-back', () => {
    assert.equal(parseStamp('20251026_023000', PARIS), utc('2025-10-26T00:30:00Z'));
  });

  it('refuses malformed or impossible stamps', () => {
    for (const s of ['2025033_023000', '20250230_000000', '20251301_000000', '20250101_240000', '20250101_006000', 'x', '']) {
      assert.equal(parseStamp(s, PARIS), null, s);
    }
  });

  it('refuses stamps before the Unix epoch', () => {
    assert.equal(parseStamp('19691231_235959', 'UTC'), null);
    assert.equal(parseStamp('19700101_003000', PARIS), null); // 1969-12-31T23:30Z
    assert.equal(parseStamp('00990101_000000', PARIS), null);
    assert.equal(parseStamp('19700101_000000', 'UTC'), 0);
  });

  it('inverts formatStamp, including both sides of DST changes', () => {
    for (const ms of [Date.UTC(2024, 2, 31, 0, 59, 59), Date.UTC(2024, 2, 31, 1, 0, 0), Date.UTC(2024, 9, 27, 0, 30), Date.UTC(2024, 9, 27, 2, 0), 0]) {
      assert.equal(parseStamp(formatStamp(ms, PARIS), PARIS), ms);
    }
    // 02:30 does not exist on 2024-03-31 in Paris: it maps one hour forward
    assert.equal(parseStamp('20240331_023000', PARIS), Date.UTC(2024, 2, 31, 1, 30));
    // 02:30 happens twice on 2024-10-27: the first (summer time) one is taken
    assert.equal(formatStamp(Date.UTC(2024, 9, 27, 1, 30), PARIS), '20241027_023000');
    assert.equal(parseStamp('20241027_023000', PARIS), Date.UTC(2024, 9, 27, 0, 30));
  });
});

describe('parseRangeBound', () => {
  it('takes Unix seconds or a stamp, and nothing when absent', () => {
    assert.equal(parseRangeBound('1333459492', 'from', PARIS), 1333459492000);
    assert.equal(parseRangeBound('20120403_152452', 'from', PARIS), 1333459492000);
    assert.equal(parseRangeBound(null, 'from', PARIS), undefined);
    assert.equal(parseRangeBound('', 'to', PARIS), undefined);
  });

  it('names the field of a bad bound', () => {
    assert.throws(
      () => parseRangeBound('2012-04-03', 'to', PARIS),
      (e) => isAppError(e) && e.code === 'BAD_REQUEST' && e.field === 'to',
    );
  });

  it('reads the API examples; anything else is a 400 naming the field', () => {
    assert.equal(parseRangeBound('1334219473', 'from', PARIS), 1334219473000);
    assert.equal(parseRangeBound('20120412_103113', 'from', PARIS), 1334219473000);
    for (const bad of ['20121312_000000', '20120230_000000', '20120412_246000', '2012-04-12', 'x', '20120412103113', '-5']) {
      assert.throws(() => parseRangeBound(bad, 'to', PARIS), (e) => isAppError(e) && e.code === 'BAD_REQUEST' && e.field === 'to', bad);
    }
  });

  it('takes Unix seconds up to 12 digits', () => {
    assert.equal(parseRangeBound('999999999999', 'to', PARIS), 999_999_999_999_000);
    assert.equal(parseRangeBound('0', 'from', PARIS), 0);
    assert.throws(() => parseRangeBound('1000000000000', 'to', PARIS), (e) => isAppError(e) && e.field === 'to');
  });
});

describe('parseRange', () => {
  it('gives epoch ms with `to` covering its whole second, and no bound when absent', () => {
    assert.deepEqual(parseRange('20120403_152452', '1333459500', PARIS), { from: 1333459492000, to: 1333459500999 });
    assert.deepEqual(parseRange('1333459492', '1333459492', PARIS), { from: 1333459492000, to: 1333459492999 });
    assert.deepEqual(parseRange(null, '', PARIS), {});
    assert.deepEqual(parseRange(null, '1333459492', PARIS), { to: 1333459492999 });
  });

  it('refuses from after to, naming from, and a bad bound naming its field', () => {
    assert.throws(
      () => parseRange('1333459493', '1333459492', PARIS),
      (e) => isAppError(e) && e.code === 'BAD_REQUEST' && e.field === 'from',
    );
    assert.throws(() => parseRange('1333459492', 'later', PARIS), (e) => isAppError(e) && e.field === 'to');
    assert.throws(() => parseRange('soon', '1333459492', PARIS), (e) => isAppError(e) && e.field === 'from');
  });
});
