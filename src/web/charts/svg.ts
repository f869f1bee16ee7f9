// A tiny SVG builder and the frame every picture shares: a time axis, lanes or a value axis, a text alternative.
import { h } from '../dom.js';

const NS = 'http://www.w3.org/2000/svg';

export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  ...children: (SVGElement | string)[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  for (const c of children) el.append(c);
  return el;
}

/** Drawing width in user units; the picture scales to its box (a phone shows it whole). */
export const WIDTH = 600;
export const LEFT = 70;
export const RIGHT = 12;

export interface TimeScale {
  x(t: number): number;
  from: number;
  to: number;
}

export function timeScale(from: number, to: number): TimeScale {
  const span = Math.max(to - from, 1000);
  return { from, to, x: (t) => LEFT + ((t - from) / span) * (WIDTH - LEFT - RIGHT) };
}

/** Clock times under the drawing: start, middle, end. */
export function timeAxis(scale: TimeScale, y: number): SVGElement {
  const label = (t: number) =>
    new Date(t).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const mid = (scale.from + scale.to) / 2;
  return s(
    'g',
    { class: 'axis' },
    s('line', { x1: LEFT, x2: WIDTH - RIGHT, y1: y, y2: y }),
    s('text', { x: LEFT, y: y + 14, 'text-anchor': 'start' }, label(scale.from)),
    s('text', { x: scale.x(mid), y: y + 14, 'text-anchor': 'middle' }, label(mid)),
    s('text', { x: WIDTH - RIGHT, y: y + 14, 'text-anchor': 'end' }, label(scale.to)),
  );
}

/**
 * A figure: the SVG is one image named by its caption and summary, and the same facts follow as text (a list a
 * screen reader or a text browser reads), so nothing is told by the drawing alone.
 */
export function figure(
  id: string,
  caption: string,
  summary: string,
  svg: SVGSVGElement,
  facts: string[],
): HTMLElement {
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `${caption}. ${summary}`);
  svg.setAttribute('class', 'chart');
  return h(
    'figure',
    { id, class: 'chart-figure' },
    h('figcaption', null, h('strong', null, caption), ` — ${summary}`),
    svg,
    facts.length === 0
      ? null
      : h(
          'details',
          null,
          h('summary', null, 'The same, as text'),
          h(
            'ul',
            { class: 'chart-facts' },
            facts.map((f) => h('li', null, f)),
          ),
        ),
  );
}

export function svgRoot(height: number): SVGSVGElement {
  return s('svg', { viewBox: `0 0 ${WIDTH} ${height}`, preserveAspectRatio: 'xMidYMid meet' });
}
