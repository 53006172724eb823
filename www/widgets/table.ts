// Tables: on a wide screen a plain table (scrolling sideways inside its own box if needed);
// on a phone each row becomes a stacked card, every cell labelled with its column's header.
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { useApp } from '../context.ts';

/** Rows already labelled, with the header texts they were labelled with. */
const labelled = new WeakMap<Element, string>();

/**
 * Copies each column header's text into its cells' data-label (shown by the stacked CSS).
 * Runs after every render, so a row already labelled with the same headers, whose first and
 * last cells still carry them, is passed over (a 1,000-call Supervision renders every second).
 */
function labelCells(root: HTMLElement): void {
  root.querySelectorAll('table').forEach((table) => {
    const heads = Array.from(table.querySelectorAll('thead th'), (th) => th.textContent?.trim() ?? '');
    const sig = heads.join('\u0000');
    table.querySelectorAll('tbody tr, tfoot tr').forEach((row) => {
      const cells = row.children;
      const last = cells[cells.length - 1];
      if (labelled.get(row) === sig && last && last.getAttribute('data-label') === (heads[cells.length - 1] ?? '') &&
        cells[0]!.getAttribute('data-label') === (heads[0] ?? '')) return;
      Array.from(cells).forEach((cell, i) => {
        const label = heads[i] ?? '';
        if (cell.getAttribute('data-label') !== label) cell.setAttribute('data-label', label);
      });
      labelled.set(row, sig);
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
