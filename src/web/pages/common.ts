// Pieces several pages share: the ceremony's tabs and the error block.
import { h } from '../dom.js';

export const ceremonyHref = (id: string, sub = '') => `#/c/${encodeURIComponent(id)}${sub ? `/${sub}` : ''}`;

export function ceremonyTabs(
  id: string,
  current: 'overview' | 'contribute' | 'transcript' | 'audit',
): HTMLElement {
  const tab = (key: typeof current, label: string, sub: string) =>
    h(
      'li',
      null,
      h('a', { href: ceremonyHref(id, sub), 'aria-current': key === current ? 'page' : null }, label),
    );
  return h(
    'nav',
    { 'aria-label': 'Ceremony' },
    h(
      'ul',
      { class: 'tabs' },
      tab('overview', 'Overview', ''),
      tab('contribute', 'Contribute', 'contribute'),
      tab('transcript', 'Transcript', 'transcript'),
      tab('audit', 'Audit', 'audit'),
    ),
  );
}

export function errorBlock(err: unknown): HTMLElement {
  return h('p', { class: 'error', role: 'alert' }, `Could not load: ${(err as Error).message}`);
}

export function setTitle(text: string): void {
  document.title = `${text} · Ceremony Coordinator`;
}
