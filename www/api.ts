// The JSON API client. URLs stay relative ("api/...") so the page works behind any path prefix.

export class ApiError extends Error {
  constructor(
    /** 0 when the appliance could not be reached at all. */
    readonly status: number,
    message: string,
    readonly field?: string,
    readonly code?: string,
    /** The message's variables (API `params`), for errorKey(). */
    readonly params?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let unauthorized: () => void = () => {};

/** The app registers what to do when the session is gone (show the login screen). */
export function onUnauthorized(fn: () => void): void {
  unauthorized = fn;
}

/** A path segment from user data: "1001" stays, anything odd is escaped. */
export const seg = (s: string): string => encodeURIComponent(s);

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`api/${path}`, {
      method,
      // X-Requested-With marks a write without a body (DELETE, billing close) as the page's own
      headers: {
        accept: 'application/json',
        'x-requested-with': 'prepaid-admin',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'network');
  }
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // a proxy's HTML error page: keep the status, drop the body
  }
  if (!res.ok) {
    const o = (data && typeof data === 'object' ? data : {}) as { error?: unknown; field?: unknown; code?: unknown; params?: unknown };
    // the login calls answer 401 for a wrong password; that is theirs to show
    if (res.status === 401 && !path.startsWith('session')) unauthorized();
    throw new ApiError(
      res.status,
      typeof o.error === 'string' ? o.error : `HTTP ${res.status}`,
      typeof o.field === 'string' ? o.field : undefined,
      typeof o.code === 'string' ? o.code : undefined,
      stringRecord(o.params),
    );
  }
  return data as T;
}

function stringRecord(v: unknown): Record<string, string> | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}
