// The page title (focused on navigation so screen readers announce the new page) and links.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export function PageHead(p: { title: string; children?: unknown }): VNode {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${p.title} — Prepaid`;
  }, [p.title]);
  useEffect(() => {
    // only after in-page navigation: on first load the browser keeps focus at the top
    if (document.activeElement && document.activeElement !== document.body) ref.current?.focus({ preventScroll: false });
  }, []);
  return html`<div class="head">
    <h1 tabindex="-1" ref=${ref}>${p.title}</h1>
    ${p.children ? html`<div class="head-links">${p.children}</div>` : null}
  </div>`;
}
