// Tables wider than a phone scroll sideways inside a region that says so and that the keyboard can reach.
import { h } from './dom.js';

/** Wraps `table` in a focusable region named `label`; a hint shows only while the table is wider than the region. */
export function scrollRegion(label: string, table: HTMLTableElement): HTMLElement {
  return h(
    'div',
    { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': label },
    h('p', { class: 'scroll-hint', 'aria-hidden': 'true' }, 'Scroll sideways for more columns →'),
    table,
  );
}

/** Sets data-overflow on each region under `root`: CSS cannot tell whether content is wider than its box. */
export function markOverflow(root: ParentNode): void {
  for (const region of root.querySelectorAll<HTMLElement>('.scroll')) {
    const overflows = region.scrollWidth > region.clientWidth + 1 ? 'true' : 'false';
    if (region.dataset.overflow !== overflows) region.dataset.overflow = overflows;
  }
}

/** Keeps the marks right as pages re-render (live updates) and as the window turns or resizes. */
export function watchOverflow(main: HTMLElement): void {
  let queued = false;
  const mark = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      markOverflow(main);
    });
  };
  // Attribute changes are left out: marking sets one, and would wake itself.
  new MutationObserver(mark).observe(main, { childList: true, subtree: true, characterData: true });
  window.addEventListener('resize', mark);
  mark();
}
