// Tables: on a wide screen a plain table (scrolling sideways inside its own box if needed);
// on a phone each row becomes a stacked card, every cell labelled with its column's header.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { useApp } from '../context.ts';

/** Copies each column header's text into its cells' data-label (shown by the stacked CSS). */
function labelCells(root: HTMLElement): void {
  root.querySelectorAll('table').forEach((table) => {
    const heads = Array.from(table.querySelectorAll('thead th'), (th) => th.textContent?.trim() ?? '');
    table.querySelectorAll('tbody tr, tfoot tr').forEach((row) => {
      Array.from(row.children).forEach((cell, i) => {
        const label = heads[i] ?? '';
        if (cell.getAttribute('data-label') !== label) cell.setAttribute('data-label', label);
      });
    });
  });
}

export function TableWrap(p: { label: string; children?: unknown }): VNode {
  const { t } = useApp();
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (ref.current) labelCells(ref.current);
  });
  // focusable so keyboard users can scroll it; named so the region is announced
  return html`<div class="tw" ref=${ref} role="region" tabindex="0" aria-label=${`${p.label} — ${t('tableScroll')}`}>${p.children}</div>`;
}
