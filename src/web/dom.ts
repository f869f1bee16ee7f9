// A tiny DOM builder: every text goes in as a text node, so nothing the server sends is ever parsed as HTML.

export type Child = Node | string | number | null | undefined | false | Child[];
type AttrValue = string | number | boolean | null | undefined;
export type Attrs = Record<string, AttrValue | ((event: Event) => void)>;

function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child) append(parent, c);
    return;
  }
  parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
}

/** Creates an element; `on*` attributes become listeners, `true` a bare attribute, null/false/undefined none. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (typeof value === 'function') el.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) el.setAttribute(name, '');
    else if (value !== false && value !== null && value !== undefined) el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

/** Replaces the children of `el`. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A hash, shortened for tables; the full value in the title and for screen readers. */
export function hash(hex: string | null | undefined, length = 16): HTMLElement {
  if (!hex) return h('span', null, '—');
  return h('code', { title: hex, class: 'hash' }, `${hex.slice(0, length)}…`);
}

/** The month as a word and the time zone named ("7 Dec 2026, 16:16:39 UTC"), so no reader takes 12/7 for July. */
const TIME_FORMAT: Intl.DateTimeFormatOptions = {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'short',
};

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, TIME_FORMAT);
}

/** "1 h 02 min", "3 min 05 s", "12 s". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s >= 3600)
    return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${s} s`;
}

/** A status word with a symbol, so it reads without colour. */
export function badge(status: 'pass' | 'fail' | 'skip' | string, text = status): HTMLElement {
  const symbol = status === 'pass' ? '✔' : status === 'fail' ? '✘' : status === 'skip' ? '–' : '•';
  return h(
    'span',
    { class: `badge badge-${status}` },
    h('span', { 'aria-hidden': 'true' }, `${symbol} `),
    text,
  );
}
