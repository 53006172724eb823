// The supervision feed: `/ws` pushes {"type":"calls","calls":[...]}. The socket comes back by
// itself after an appliance restart, waiting longer after each failure (0.5 s … 5 s).
import { api, ApiError } from './api.ts';
import type { LiveCall } from './types.ts';

export type FeedState = 'connecting' | 'live' | 'down';

export interface FeedHandlers {
  calls(calls: LiveCall[]): void;
  state(s: FeedState): void;
}

const MAX_DELAY_MS = 5_000;

const nextFrame = (fn: () => void): void => {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(fn);
  else setTimeout(fn, 16);
};

export function wsUrl(): string {
  const url = new URL('ws', location.href); // relative, like api/
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.hash = '';
  url.search = '';
  return url.href;
}

/** `GET api/calls` answers the list, or the same object the socket pushes. */
export function asCalls(r: unknown): LiveCall[] {
  if (Array.isArray(r)) return r as LiveCall[];
  const calls = (r as { calls?: unknown } | null)?.calls;
  return Array.isArray(calls) ? (calls as LiveCall[]) : [];
}

export function openFeed(h: FeedHandlers): () => void {
  let ws: WebSocket | null = null;
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const connect = () => {
    if (stopped) return;
    h.state(failures === 0 ? 'connecting' : 'down');
    const sock = new WebSocket(wsUrl());
    ws = sock;
    sock.onopen = () => {
      failures = 0;
      h.state('live');
    };
    // Each message is a whole snapshot, so only the newest counts: messages that arrive while
    // the page is busy drawing are dropped unread, and the table is drawn at most once a frame
    // (not at all in a hidden tab, until it is shown again).
    let latest: string | null = null;
    const take = () => {
      const data = latest;
      latest = null;
      if (data === null || ws !== sock) return;
      try {
        const m = JSON.parse(data) as { type?: unknown; calls?: unknown };
        if (m && m.type === 'calls' && Array.isArray(m.calls)) h.calls(m.calls as LiveCall[]);
      } catch {
        // not ours: ignore
      }
    };
    sock.onmessage = (ev) => {
      const idle = latest === null;
      latest = String(ev.data);
      if (idle) nextFrame(take);
    };
    sock.onclose = () => {
      if (ws !== sock || stopped) return;
      ws = null;
      h.state('down');
      const delay = Math.min(MAX_DELAY_MS, 500 * 2 ** failures) * (0.8 + Math.random() * 0.4);
      failures++;
      timer = setTimeout(() => void retry(), delay);
    };
  };

  // A refused upgrade (expired session) looks like any close: ask the API, whose 401 brings
  // the login screen; when it answers, its list also fills the table while the socket opens.
  const retry = async () => {
    if (stopped) return;
    try {
      h.calls(asCalls(await api<unknown>('GET', 'calls')));
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
    }
    connect();
  };

  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    const s = ws;
    ws = null;
    s?.close();
  };
}
