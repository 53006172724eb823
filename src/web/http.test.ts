import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../errors.ts';
import { errorReply, HttpError, Router } from './http.ts';

const h = (): void => {};

function found(r: Router, method: string, path: string): { pattern: string; params: Record<string, string> } {
  const m = r.match(method, path);
  assert.equal(m.kind, 'found', `${method} ${path}`);
  return m as { kind: 'found'; pattern: string; params: Record<string, string> };
}

test('router: params, literal segments win, suffix segments are not captured by their stem', () => {
  const r = new Router();
  r.get('/api/users/:id', h);
  r.get('/api/users/:id/ledger', h);
  r.get('/api/users/:id/ledger.csv', h);
  r.get('/api/billing/archives/:name', h);
  r.get('/api/billing/:what', h);
  r.post('/api/billing/close', h);
  r.get('/api/cdrs', h);
  r.get('/api/cdrs.csv', h);
  r.get('/files/:name.csv', h);

  assert.deepEqual(found(r, 'GET', '/api/users/1001').params, { id: '1001' });
  assert.equal(found(r, 'GET', '/api/users/1001/ledger').pattern, '/api/users/:id/ledger');
  assert.equal(found(r, 'GET', '/api/users/1001/ledger.csv').pattern, '/api/users/:id/ledger.csv');
  assert.equal(found(r, 'GET', '/api/cdrs.csv').pattern, '/api/cdrs.csv');
  assert.equal(found(r, 'POST', '/api/billing/close').pattern, '/api/billing/close');
  assert.deepEqual(found(r, 'GET', '/api/billing/close').params, { what: 'close' });
  assert.deepEqual(found(r, 'GET', '/api/billing/archives/BILLING_20120412_103343.csv').params, {
    name: 'BILLING_20120412_103343.csv',
  });
  assert.deepEqual(found(r, 'GET', '/files/report.csv').params, { name: 'report' });
  assert.equal(r.match('GET', '/files/report.txt').kind, 'none');
  assert.equal(r.match('GET', '/api/users/1001/ledger.pdf').kind, 'none');
  assert.equal(r.match('GET', '/api/users').kind, 'none');
  assert.equal(r.match('GET', '/api/users/1001/').kind, 'none');
  assert.equal(r.match('GET', '/api/users/').kind, 'none', 'an empty segment is not a parameter');
});

test('router: params are percent-decoded; a bad escape or an encoded slash never matches', () => {
  const r = new Router();
  r.get('/a/:x', h);
  assert.deepEqual(found(r, 'GET', '/a/caf%C3%A9').params, { x: 'café' });
  assert.equal(r.match('GET', '/a/%E0%A4%A').kind, 'none');
  assert.equal(r.match('GET', '/a/x%2Fy').kind, 'none');
});

test('router: 405 lists the allowed methods; HEAD runs GET routes', () => {
  const r = new Router();
  r.get('/api/config', h);
  r.put('/api/config', h);
  assert.deepEqual(r.match('POST', '/api/config'), { kind: 'method', allow: ['GET', 'PUT'] });
  assert.equal(r.match('HEAD', '/api/config').kind, 'found');
  assert.throws(() => r.get('/api/config', h), /twice/);
});

test('errorReply maps AppError codes and HttpErrors; anything else is a hidden 500', () => {
  const cases: [AppError['code'], number][] = [
    ['BAD_REQUEST', 400], ['UNAUTHORIZED', 401], ['NOT_FOUND', 404], ['CONFLICT', 409], ['USER_EXISTS', 409],
    ['PIN_IN_USE', 409], ['CALLER_ID_IN_USE', 409], ['DID_IN_USE', 409], ['USER_BUSY', 409], ['ARCHIVE_EXISTS', 409],
    ['INSUFFICIENT_CREDIT', 409], ['PAYLOAD_TOO_LARGE', 413], ['TOO_MANY_ATTEMPTS', 429],
  ];
  for (const [code, status] of cases) {
    const r = errorReply(new AppError(code, 'msg'));
    assert.equal(r.status, status, code);
    assert.deepEqual(r.body, { error: 'msg', code });
    assert.equal(r.internal, undefined);
  }
  assert.deepEqual(errorReply(new AppError('BAD_REQUEST', 'pin must be digits', 'pin')).body, {
    error: 'pin must be digits', code: 'BAD_REQUEST', field: 'pin',
  });
  assert.deepEqual(errorReply(new HttpError(405, 'nope')).body, { error: 'nope', code: 'NOT_ALLOWED' });
  const boom = errorReply(new TypeError('secret detail'));
  assert.equal(boom.status, 500);
  assert.deepEqual(boom.body, { error: 'internal error', code: 'INTERNAL' });
  assert.ok(boom.internal instanceof TypeError);
  assert.equal(errorReply(new AppError('ENGINE_ERROR', 'x')).status, 500);
});
