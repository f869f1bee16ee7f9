// The contribution timeline: each accepted contribution, rejection and expired turn against time, one lane a circuit.
import { formatTime } from '../dom.js';
import type { ContributionRow, RefusalRow } from '../pages/ceremony-stats.js';
import { figure, LEFT, s, svgRoot, timeAxis, timeScale, WIDTH } from './svg.js';

const LANE = 28;

type Mark = { time: number; circuit: string; kind: 'accepted' | 'rejected' | 'expired'; text: string };

/** A shape per kind, so the picture reads without colour: a disc, a cross, a hollow square. */
function mark(kind: Mark['kind'], x: number, y: number): SVGElement {
  if (kind === 'accepted') return s('circle', { cx: x, cy: y, r: 5, class: 'mark-accepted' });
  if (kind === 'rejected')
    return s('path', {
      d: `M${x - 5} ${y - 5}L${x + 5} ${y + 5}M${x - 5} ${y + 5}L${x + 5} ${y - 5}`,
      class: 'mark-rejected',
    });
  return s('rect', { x: x - 4.5, y: y - 4.5, width: 9, height: 9, class: 'mark-expired' });
}

export function timelineFigure(
  circuits: string[],
  contributions: ContributionRow[],
  refusals: RefusalRow[],
  from: number | undefined,
  now: number,
): HTMLElement {
  const marks: Mark[] = [
    ...contributions.map((c) => ({
      time: Date.parse(c.time),
      circuit: c.circuit,
      kind: 'accepted' as const,
      text: `${formatTime(c.time)}: circuit ${c.circuit}, contribution #${c.index} by ${c.participant} accepted`,
    })),
    ...refusals.map((r) => ({
      time: Date.parse(r.time),
      circuit: r.circuit,
      kind: r.kind,
      text: `${formatTime(r.time)}: circuit ${r.circuit}, ${r.participant}: ${r.kind === 'expired' ? 'turn expired' : 'rejected'} (${r.reason})`,
    })),
  ].sort((a, b) => a.time - b.time);
  const start = from ?? marks[0]?.time ?? now;
  const scale = timeScale(start, Math.max(now, marks[marks.length - 1]?.time ?? now));
  const height = 30 + circuits.length * LANE + 24;
  const svg = svgRoot(height);
  // Legend on top: the three shapes and their words.
  const legend = s('g', { class: 'legend' });
  (['accepted', 'rejected', 'expired'] as const).forEach((kind, i) => {
    const x = LEFT + i * 110;
    legend.append(
      mark(kind, x + 5, 12),
      s('text', { x: x + 15, y: 16 }, kind === 'expired' ? 'turn expired' : kind),
    );
  });
  svg.append(legend);
  circuits.forEach((circuit, i) => {
    const y = 30 + i * LANE + LANE / 2;
    svg.append(
      s('line', { x1: LEFT, x2: WIDTH - 12, y1: y, y2: y, class: 'lane' }),
      s('text', { x: LEFT - 6, y: y + 4, 'text-anchor': 'end' }, circuit),
    );
    for (const m of marks.filter((m) => m.circuit === circuit)) {
      const shape = mark(m.kind, scale.x(m.time), y);
      shape.append(s('title', {}, m.text));
      svg.append(shape);
    }
  });
  svg.append(timeAxis(scale, height - 22));
  const count = (kind: Mark['kind']) => marks.filter((m) => m.kind === kind).length;
  const summary =
    marks.length === 0
      ? 'nothing has happened yet'
      : `${count('accepted')} accepted, ${count('rejected')} rejected, ${count('expired')} expired, from ${formatTime(new Date(start).toISOString())} to now`;
  return figure(
    'timeline-chart',
    'Contribution timeline',
    summary,
    svg,
    marks.map((m) => m.text),
  );
}
