// Login, logout and the first-run password. These routes answer without authentication.
import { AppError } from '../../errors.ts';
import { log } from '../../log.ts';
import { Auth, hashPassword, type AuthResult } from '../auth.ts';
import { HttpError, type Res } from '../http.ts';
import { clientIp, type ApiModule } from './context.ts';
import { bad, objectBody, text } from './input.ts';

export function passwordField(v: unknown, field: string): string {
  return text(v, field, { min: 1, max: 1024 });
}

/** The answer to a refused password: 401, or 429 with when to come back. */
export function refuseAuth(res: Res, r: Extract<AuthResult, { ok: false }>): never {
  if (r.status === 429) res.header('Retry-After', String(r.retryAfterS ?? 1));
  throw new HttpError(r.status, r.message, r.status === 429 ? 'TOO_MANY_ATTEMPTS' : 'UNAUTHORIZED');
}

/** A password being set: spaces alone are as good as none (`prepaid passwd` refuses both too). */
export function newPassword(v: unknown): string {
  const pw = passwordField(v, 'adminPassword');
  if (pw.trim() === '') throw bad('adminPassword', 'adminPassword cannot be empty or spaces only');
  return pw;
}

export const sessionApi: ApiModule = (r, { app, auth }) => {
  r.get('/api/session', (req, res) => {
    res.json({ loggedIn: auth.session(req.header('cookie')) !== undefined, passwordSet: auth.passwordSet() });
  });

  r.post('/api/session', async (req, res) => {
    const ip = clientIp(req);
    const body = objectBody(req, ['password']);
    const pw = passwordField(body.password, 'password');
    const result = await auth.checkPassword(pw, ip);
    if (!result.ok) {
      log('WEB_LOGIN_FAILED', { ip, status: result.status });
      refuseAuth(res, result);
    }
    log('WEB_LOGIN', { ip });
    res.header('Set-Cookie', auth.cookieHeader(auth.newSession()));
    res.json({ loggedIn: true, passwordSet: true });
  });

  r.delete('/api/session', (req, res) => {
    const id = auth.session(req.header('cookie'));
    if (id) auth.endSession(id);
    res.header('Set-Cookie', Auth.clearCookieHeader());
    res.json({ loggedIn: false, passwordSet: auth.passwordSet() });
  });

  // first run only: whoever reaches the box first sets the password (the page's setup screen)
  r.post('/api/session/setup', async (req, res) => {
    if (auth.passwordSet()) throw new AppError('CONFLICT', 'an admin password is already set');
    const body = objectBody(req, ['password']);
    const pw = passwordField(body.password, 'password');
    const hash = await hashPassword(pw);
    // re-checked after the await: two first-run requests must not both win
    if (auth.passwordSet()) throw new AppError('CONFLICT', 'an admin password is already set');
    app.store.setAdminPasswordHash(hash);
    await app.store.flushed();
    res.header('Set-Cookie', auth.cookieHeader(auth.newSession()));
    res.status(201).json({ loggedIn: true, passwordSet: true });
  });
};
