// The built admin page, held in memory: a few small hashed files with their pre-compressed
// .br/.gz siblings. No request ever touches the filesystem, so no path can escape wwwDir.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { HttpError, type Req, type Res } from './http.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

const MAX_FILES = 2000;
const MAX_TOTAL_BYTES = 64 * 1024 * 1024;

interface Variant {
  body: Buffer;
  etag: string;
}

interface Entry {
  type: string;
  immutable: boolean;
  identity: Variant;
  gzip?: Variant;
  br?: Variant;
}

function variant(body: Buffer, tag: string): Variant {
  const h = createHash('sha256').update(body).digest('base64url').slice(0, 22);
  return { body, etag: `"${h}${tag}"` };
}

/** q-values of the codings we have, 0 when refused or absent. */
function accepts(header: string): { br: number; gzip: number } {
  const out = { br: 0, gzip: 0 };
  let star: number | null = null;
  const seen = new Set<string>();
  for (const part of header.toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p);
      if (m) q = Number(m[1]) || 0;
    }
    const n = name!.trim();
    if (n === 'br' || n === 'gzip') {
      out[n] = q;
      seen.add(n);
    } else if (n === '*') star = q;
  }
  if (star !== null) for (const n of ['br', 'gzip'] as const) if (!seen.has(n)) out[n] = star;
  return out;
}

export class StaticSite {
  private readonly files = new Map<string, Entry>();

  /** Loads every file under `dir` (missing dir = an empty site). */
  constructor(dir: string | null) {
    if (dir) this.load(dir);
  }

  get size(): number {
    return this.files.size;
  }

  private load(root: string): void {
    const all: string[] = [];
    let total = 0;
    const walk = (d: string): void => {
      let names: string[];
      try {
        names = readdirSync(d);
      } catch {
        return;
      }
      for (const n of names.sort()) {
        const p = join(d, n);
        const st = statSync(p, { throwIfNoEntry: false });
        if (!st) continue;
        if (st.isDirectory()) walk(p);
        else if (st.isFile() && all.length < MAX_FILES && total + st.size <= MAX_TOTAL_BYTES) {
          all.push(p);
          total += st.size;
        }
      }
    };
    walk(root);
    const rel = (p: string): string => relative(root, p).split(sep).join('/');
    const bodies = new Map(all.map((p) => [rel(p), readFileSync(p)]));
    for (const [name, body] of bodies) {
      if (name.endsWith('.gz') || name.endsWith('.br')) {
        if (bodies.has(name.slice(0, -3))) continue; // a sibling; attached below
      }
      const gz = bodies.get(`${name}.gz`);
      const br = bodies.get(`${name}.br`);
      const entry: Entry = {
        type: TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream',
        // the build puts content-hashed names under assets/: they never change
        immutable: name.startsWith('assets/'),
        identity: variant(body, ''),
      };
      if (gz) entry.gzip = variant(gz, '-gz');
      if (br) entry.br = variant(br, '-br');
      this.files.set(name, entry);
    }
  }

  /** Decoded, checked path → file name in the site; HttpError for escapes. */
  private lookup(path: string): Entry | undefined {
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      throw new HttpError(400, 'bad path', 'BAD_REQUEST');
    }
    if (decoded.includes('\0') || decoded.includes('\\') || decoded.split('/').some((s) => s === '..' || s === '.')) {
      throw new HttpError(400, 'bad path', 'BAD_REQUEST');
    }
    let name = decoded.replace(/^\/+/, '');
    if (name === '' || name.endsWith('/')) name += 'index.html';
    const hit = this.files.get(name);
    if (hit) return hit;
    // client-side routes (/users/1001) get the page; missing files with an extension do not
    if (!extname(name) && !name.startsWith('api/')) return this.files.get('index.html');
    return undefined;
  }

  serve(req: Req, res: Res): void {
    const entry = this.lookup(req.path);
    if (!entry) throw new HttpError(404, 'not found', 'NOT_FOUND');
    const ae = accepts(req.header('accept-encoding'));
    let chosen = entry.identity;
    let coding: string | null = null;
    if (entry.br && ae.br > 0 && ae.br >= ae.gzip) {
      chosen = entry.br;
      coding = 'br';
    } else if (entry.gzip && ae.gzip > 0) {
      chosen = entry.gzip;
      coding = 'gzip';
    }
    res.header('Cache-Control', entry.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    res.header('ETag', chosen.etag);
    if (entry.gzip || entry.br) res.header('Vary', 'Accept-Encoding');
    res.header('X-Content-Type-Options', 'nosniff');
    if (entry.type.startsWith('text/html')) {
      res.header('X-Frame-Options', 'DENY');
      res.header('Referrer-Policy', 'same-origin');
    }
    const inm = req.header('if-none-match');
    if (inm && inm.split(',').some((t) => t.trim() === chosen.etag || t.trim() === `W/${chosen.etag}`)) {
      res.status(304).send('');
      return;
    }
    if (coding) res.header('Content-Encoding', coding);
    res.status(200).send(chosen.body, entry.type);
  }
}
