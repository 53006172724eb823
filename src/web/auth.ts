// Admin authentication: scrypt password hashes, in-memory sessions, Basic auth for
// scripts, and a per-IP limit on wrong passwords.
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { systemClock, type Clock } from '../clock.ts';

const SCRYPT = { N: 16384, r: 8, p: 1, keyLen: 32, saltLen: 16 };

function scryptAsync(pw: string, salt: Buffer, keyLen: number, o: { N: number; r: number; p: number }): Promise<Buffer> {
  // maxmem must cover 128·N·r (plus slack), or node refuses the parameters
  const maxmem = 128 * o.N * o.r * 2 + 1024 * 1024;
  return new Promise((resolve, reject) =>
    scrypt(pw, salt, keyLen, { ...o, maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** `scrypt$N$r$p$salt$hash` (salt and hash base64), random salt. */
export async function hashPassword(pw: string): Promise<string> {
  const salt = randomBytes(SCRYPT.saltLen);
  const key = await scryptAsync(pw, salt, SCRYPT.keyLen, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** False for a wrong password and for any malformed or out-of-bounds hash string. */
export async function verifyPassword(pw: string, hash: string): Promise<boolean> {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^\d{1,8}$/.test(s) ? Number(s) : NaN)) as [number, number, number];
  // bounds keep a tampered store from making us allocate gigabytes
  if (!(N >= 2 && N <= 1 << 20 && (N & (N - 1)) === 0 && r >= 1 && r <= 32 && p >= 1 && p <= 16)) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (salt.length === 0 || expected.length < 16 || expected.length > 128) return false;
  try {
    const key = await scryptAsync(pw, salt, expected.length, { N, r, p });
    return timingSafeEqual(key, expected);
  } catch {
    return false;
  }
}

export const SESSION_COOKIE = 'prepaid_session';
const SESSION_IDLE_MS = 12 * 3600_000;
const FAIL_WINDOW_MS = 60_000;
const MAX_FAILS = 5;
/**
 * Past MAX_FAILS an IP's password checks are taken one per THROTTLE_MS, each waiting its
 * turn: guessing slows to one try a second, while the right password still gets in (and
 * clears the count) instead of the whole client being locked out for the window.
 */
export const THROTTLE_MS = 1000;
/** Checks queue at most this far ahead; past it a request is refused unchecked (a flood holds no sockets). */
export const MAX_QUEUE_MS = 10_000;

export type AuthResult =
  | { ok: true; via: 'cookie' | 'basic'; session?: string }
  | { ok: false; status: 401 | 429; message: string; retryAfterS?: number };

const TOO_MANY = 'too many wrong passwords, try again later';

interface Session {
  lastSeen: number;
  /** lastSeen as last saved: a use is saved again only after SAVE_TOUCH_MS. */
  savedSeen: number;
  /** The password it was opened with (a digest of its hash): a new password ends it. */
  pw: string;
}

/**
 * Where sessions outlive the process (store meta), so an appliance restart does not log
 * the admin out. Only digests of the session ids are kept: a copied store opens no session.
 */
export interface SessionKeeper {
  load(): unknown;
  save(sessions: Record<string, KeptSession>): void;
}

/** A session as kept: its last use and the digest of the password it was opened with. */
interface KeptSession {
  seen: number;
  pw: string;
}

const SAVE_TOUCH_MS = 10 * 60_000;
const MAX_SESSIONS = 1000;

const digestOf = (id: string): string => createHash('sha256').update(id).digest('base64url');

/**
 * Sessions and the wrong-password limiter. `passwordHash` is read from the store at each
 * check, so a password set by `prepaid passwd` or the API takes effect at once.
 */
export class Auth {
  private readonly sessions = new Map<string, Session>();
  private readonly fails = new Map<string, { last: number; count: number }>();
  /** IP → the earliest instant its next password check may run (while over the limit). */
  private readonly turns = new Map<string, number>();
  /** The last password that verified, as a digest, so Basic-auth scripts skip scrypt each time. */
  private verified: { hash: string; digest: Buffer } | null = null;

  constructor(
    private readonly passwordHash: () => string | null,
    private readonly clock: Clock = systemClock,
    private readonly keeper: SessionKeeper | null = null,
  ) {
    const kept = keeper?.load();
    if (!kept || typeof kept !== 'object') return;
    const now = this.clock.now();
    for (const [digest, v] of Object.entries(kept)) {
      const { seen, pw } = (v ?? {}) as Partial<Record<keyof KeptSession, unknown>>;
      if (typeof seen === 'number' && Number.isFinite(seen) && typeof pw === 'string' && now - seen < SESSION_IDLE_MS) {
        this.sessions.set(digest, { lastSeen: seen, savedSeen: seen, pw });
      }
    }
  }

  /** The current password, as sessions remember it ('' when none is set). */
  private passwordDigest(): string {
    const hash = this.passwordHash();
    return hash === null ? '' : digestOf(hash);
  }

  private saveSessions(): void {
    if (!this.keeper) return;
    const out: Record<string, KeptSession> = {};
    for (const [digest, s] of this.sessions) {
      out[digest] = { seen: s.lastSeen, pw: s.pw };
      s.savedSeen = s.lastSeen;
    }
    try {
      this.keeper.save(out);
    } catch {
      // sessions then last as long as the process: never a reason to refuse a login
    }
  }

  passwordSet(): boolean {
    return this.passwordHash() !== null;
  }

  /**
   * True while this IP is over the wrong-password limit. The count lasts a window past the
   * last failure (not the first): a guesser kept at the throttle earns no fresh free tries.
   */
  private limited(ip: string): boolean {
    const f = this.fails.get(ip);
    if (!f) return false;
    if (this.clock.now() - f.last >= FAIL_WINDOW_MS) {
      this.fails.delete(ip);
      this.turns.delete(ip);
      return false;
    }
    return f.count >= MAX_FAILS;
  }

  /**
   * Waits for this IP's next turn to have a password checked; false (no turn taken) when
   * the queue already reaches MAX_QUEUE_MS ahead.
   */
  private async turn(ip: string): Promise<boolean> {
    const now = this.clock.now();
    const at = Math.max(now, this.turns.get(ip) ?? 0);
    if (at - now >= MAX_QUEUE_MS) return false;
    this.turns.set(ip, at + THROTTLE_MS);
    if (at > now) await new Promise<void>((r) => this.clock.at(at, r));
    return true;
  }

  /** Over the limit: waits its turn, or the refusal when the queue is full. */
  private async admit(ip: string): Promise<AuthResult | null> {
    if (!this.limited(ip) || (await this.turn(ip))) return null;
    const wait = (this.turns.get(ip) ?? 0) - this.clock.now();
    return { ok: false, status: 429, message: TOO_MANY, retryAfterS: Math.max(1, Math.ceil(wait / 1000)) };
  }

  private fail(ip: string): AuthResult {
    const now = this.clock.now();
    const f = this.fails.get(ip);
    if (!f || now - f.last >= FAIL_WINDOW_MS) this.fails.set(ip, { last: now, count: 1 });
    else {
      f.count++;
      f.last = now;
    }
    if (this.fails.size > 10_000) this.pruneFails(now);
    return this.fails.get(ip)!.count > MAX_FAILS
      ? { ok: false, status: 429, message: TOO_MANY, retryAfterS: THROTTLE_MS / 1000 }
      : { ok: false, status: 401, message: 'wrong password' };
  }

  private pruneFails(now: number): void {
    for (const [ip, f] of this.fails) {
      if (now - f.last < FAIL_WINDOW_MS) continue;
      this.fails.delete(ip);
      this.turns.delete(ip);
    }
  }

  /** Checks a password for a login or Basic auth, counting failures per IP. */
  async checkPassword(pw: string, ip: string): Promise<AuthResult> {
    const refused = await this.admit(ip);
    if (refused) return refused;
    const hash = this.passwordHash();
    if (hash === null) return { ok: false, status: 401, message: 'no admin password is set' };
    const digest = createHash('sha256').update(pw).digest();
    const cached = this.verified && this.verified.hash === hash && timingSafeEqual(this.verified.digest, digest);
    if (cached || (await verifyPassword(pw, hash))) {
      this.fails.delete(ip);
      this.turns.delete(ip);
      this.verified = { hash, digest };
      return { ok: true, via: 'basic' };
    }
    return this.fail(ip);
  }

  newSession(): string {
    const id = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    this.sessions.set(digestOf(id), { lastSeen: now, savedSeen: now, pw: this.passwordDigest() });
    // the oldest go first past the cap (a session map is no place to grow without bound)
    while (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    this.saveSessions();
    return id;
  }

  endSession(id: string): void {
    if (this.sessions.delete(digestOf(id))) this.saveSessions();
  }

  /** After a password change: drops every session but `keep`, which goes on with the new one. */
  endOtherSessions(keep: string | undefined): void {
    const kept = keep === undefined ? undefined : digestOf(keep);
    for (const d of [...this.sessions.keys()]) if (d !== kept) this.sessions.delete(d);
    const s = kept === undefined ? undefined : this.sessions.get(kept);
    if (s) s.pw = this.passwordDigest();
    this.saveSessions();
  }

  /** A live session id from the Cookie header, touching its idle timer; else undefined. */
  session(cookieHeader: string): string | undefined {
    const id = cookieValue(cookieHeader, SESSION_COOKIE);
    if (!id) return undefined;
    const digest = digestOf(id);
    const s = this.sessions.get(digest);
    if (!s) return undefined;
    const now = this.clock.now();
    // idle too long, or the password changed (or was removed) since, also by `prepaid passwd`
    if (now - s.lastSeen >= SESSION_IDLE_MS || s.pw !== this.passwordDigest()) {
      this.sessions.delete(digest);
      this.saveSessions();
      return undefined;
    }
    s.lastSeen = now;
    if (now - s.savedSeen >= SAVE_TOUCH_MS) this.saveSessions();
    return id;
  }

  /** Cookie session or Basic auth (user `admin`). */
  async authenticate(h: { cookie: string; authorization: string }, ip: string): Promise<AuthResult> {
    if (!this.passwordSet()) return { ok: false, status: 401, message: 'no admin password is set' };
    const session = this.session(h.cookie);
    if (session) return { ok: true, via: 'cookie', session };
    const basic = basicCredentials(h.authorization);
    if (basic) {
      if (basic.user !== 'admin') return (await this.admit(ip)) ?? this.fail(ip);
      return this.checkPassword(basic.password, ip);
    }
    return { ok: false, status: 401, message: 'authentication required' };
  }

  cookieHeader(id: string): string {
    return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_IDLE_MS / 1000}`;
  }

  static clearCookieHeader(): string {
    return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
  }
}

export function cookieValue(header: string, name: string): string | undefined {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function basicCredentials(header: string): { user: string; password: string } | null {
  const m = /^\s*basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
