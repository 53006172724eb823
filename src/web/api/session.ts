// Login, logout and the first-run password. These routes answer without authentication.
import { AppError } from '../../errors.ts';
import { log } from '../../log.ts';
import { Auth, hashPassword, THROTTLE_MS } from '../auth.ts';
import { HttpError } from '../http.ts';
import { clientIp, type ApiModule } from './context.ts';
import { bad, objectBody, text } from './input.ts';

export function passwordField(v: unknown, field: string): string {
  return text(v, field, { min: 1, max: 1024 });
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
      if (result.status === 429) res.header('Retry-After', String(THROTTLE_MS / 1000));
      throw new HttpError(result.status, result.message, result.status === 429 ? 'TOO_MANY_ATTEMPTS' : 'UNAUTHORIZED');
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
