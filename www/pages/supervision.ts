// Live calls over /ws. Connected calls' durations tick every second between pushes.
//
// With hundreds of calls the table itself is the cost: every second five figures of every row
// change, and a 1,000-row table relaid out and re-shaped once a second keeps the browser busy
// (docs/benchmarks/supervision.md). So each row is its own component that re-renders only when
// its own cells change, and the figures of rows out of sight wait until the row comes near the
// screen (an IntersectionObserver tells which): a second's update touches the visible rows only.
// A row's caller, status, user and number are always current, in sight or not.
import { html } from 'htm/preact';
import { Component, type VNode } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { useApp } from '../context.ts';
import { showAmount, type Lang } from '../format.ts';
import type { Key } from '../i18n.ts';
import { asCalls, openFeed, type FeedState } from '../live.ts';
import type { LiveCall } from '../types.ts';
import { PageHead } from '../widgets/page-head.ts';
import { TableWrap } from '../widgets/table.ts';

const STATUS_KEYS: Record<string, Key> = {
  offered: 'st_offered', ivr: 'st_ivr', dialing: 'st_dialing', ringing: 'st_ringing', connected: 'st_connected',
};

/** Which rows are near the screen. Without IntersectionObserver every row counts as seen. */
class Sight {
  private readonly rows = new Map<Element, CallRow>();
  private readonly io: IntersectionObserver | null =
    typeof IntersectionObserver === 'function'
      ? new IntersectionObserver((entries) => {
          for (const e of entries) this.rows.get(e.target)?.inSight(e.isIntersecting);
        }, { rootMargin: '50% 0px' }) // half a screen ahead: scrolling shows current figures
      : null;

  watch(el: Element, row: CallRow): void {
    this.rows.set(el, row);
    this.io?.observe(el);
  }

  unwatch(el: Element): void {
    this.rows.delete(el);
    this.io?.unobserve(el);
  }

  close(): void {
    this.io?.disconnect();
    this.rows.clear();
  }
}

interface RowProps {
  c: LiveCall;
  /** Seconds shown: the pushed duration plus the time since the push. */
  duration: number;
  statusText: string;
  num: Lang;
  sight: Sight;
}

class CallRow extends Component<RowProps> {
  private seen = true; // until the observer's first report
  private stale = false;
  private el: Element | null = null;

  inSight(seen: boolean): void {
    this.seen = seen;
    if (seen && this.stale) {
      this.stale = false;
      this.forceUpdate();
    }
  }

  override shouldComponentUpdate(n: RowProps): boolean {
    const p = this.props;
    const a = p.c;
    const b = n.c;
    if (
      a.callId !== b.callId || a.caller !== b.caller || a.status !== b.status || a.user !== b.user ||
      a.dialed !== b.dialed || a.rate !== b.rate || p.statusText !== n.statusText || p.num !== n.num
    ) {
      this.stale = false;
      return true;
    }
    const figures =
      p.duration !== n.duration || a.creditUnits !== b.creditUnits || a.creditAmount !== b.creditAmount ||
      a.consumptionUnits !== b.consumptionUnits || a.consumptionAmount !== b.consumptionAmount;
    if (!figures) return false;
    if (this.seen) return true;
    this.stale = true; // Preact keeps the new props: they are drawn once the row is in sight
    return false;
  }

  override componentDidMount(): void {
    this.el = this.base instanceof Element ? this.base : null;
    if (this.el) this.props.sight.watch(this.el, this);
  }

  override componentWillUnmount(): void {
    if (this.el) this.props.sight.unwatch(this.el);
  }

  override render(): VNode {
    const { c, duration, statusText, num } = this.props;
    return html`<tr data-call=${c.callId}>
      <td>${c.caller}</td>
      <td><span class=${`st ${c.status}`}>${statusText}</span></td>
      <td>${c.user ?? ''}</td>
      <td class="num">${c.creditUnits ?? ''}</td>
      <td class="num">${showAmount(c.creditAmount, num, 2)}</td>
      <td>${c.dialed ?? ''}</td>
      <td class="num">${c.rate ?? ''}</td>
      <td class="num duration">${duration}</td>
      <td class="num">${c.consumptionUnits ?? ''}</td>
      <td class="num">${showAmount(c.consumptionAmount, num, 2)}</td>
    </tr>` as VNode;
  }
}

export function Supervision(): VNode {
  const { t, num, config } = useApp();
  const [snap, setSnap] = useState<{ calls: LiveCall[]; at: number }>({ calls: [], at: Date.now() });
  const [feed, setFeed] = useState<FeedState>('connecting');
  const [now, setNow] = useState(Date.now());
  const sight = useMemo(() => new Sight(), []);
  useEffect(() => () => sight.close(), [sight]);

  useEffect(() => {
    let pushed = false;
    api<unknown>('GET', 'calls')
      .then((r) => !pushed && setSnap({ calls: asCalls(r), at: Date.now() }))
      .catch(() => {});
    return openFeed({
      calls: (calls) => {
        pushed = true;
        setSnap({ calls, at: Date.now() });
      },
      state: setFeed,
    });
  }, []);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  // between pushes the clock runs on here; without the feed the last known figures stay put
  const elapsed = feed === 'live' ? Math.max(0, Math.floor((now - snap.at) / 1000)) : 0;
  const cur = config.currency;
  const feedText = feed === 'live' ? t('live') : feed === 'connecting' ? t('connecting') : t('reconnecting');
  return html`<section>
    <${PageHead} title=${t('supervision')}><a href="#/">${t('home')}</a><//>
    <p class="feed" role="status"><span class=${`dot ${feed}`} aria-hidden="true"></span>${feedText}</p>
    <${TableWrap} label=${t('supervision')}>
      <table class="calls">
        <thead><tr>
          <th scope="col">${t('caller')}</th><th scope="col">${t('status')}</th><th scope="col">${t('userIdShort')}</th>
          <th scope="col" class="num">${t('creditUnits')}</th><th scope="col" class="num">${t('creditAmount', { cur })}</th>
          <th scope="col">${t('dialed')}</th><th scope="col" class="num">${t('rate')}</th><th scope="col" class="num">${t('durationLive')}</th>
          <th scope="col" class="num">${t('consUnits')}</th><th scope="col" class="num">${t('consAmount', { cur })}</th>
        </tr></thead>
        <tbody>
          ${snap.calls.map((c) => {
            const key = STATUS_KEYS[c.status];
            const duration = (c.duration ?? 0) + (c.status === 'connected' ? elapsed : 0);
            return html`<${CallRow} key=${c.callId} c=${c} duration=${duration} statusText=${key ? t(key) : c.status} num=${num} sight=${sight} />`;
          })}
          ${snap.calls.length === 0 ? html`<tr><td colspan="10" class="empty">${t('noCalls')}</td></tr>` : null}
        </tbody>
      </table>
    <//>
  </section>`;
}
