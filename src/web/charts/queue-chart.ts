// Queue length over time, per circuit: a step line from when each turn joined the line to when it left it.
import type { ActivityView } from '../../activity/types.js';
import { countOf } from '../../plural.js';
import { formatTime } from '../dom.js';
import { figure, LEFT, s, svgRoot, timeAxis, timeScale } from './svg.js';

const HEIGHT = 160;
const TOP = 14;
const BOTTOM = HEIGHT - 24;

/** (time, waiting) after each change, per circuit: a turn waits from queuedAt until it starts or ends. */
export function queueSteps(turns: ActivityView['turns']): Map<string, [number, number][]> {
  const changes = new Map<string, [number, number][]>();
  for (const t of turns) {
    const list = changes.get(t.circuit) ?? [];
    list.push([Date.parse(t.queuedAt), 1]);
    const left = t.startedAt ?? t.endedAt;
    if (left !== null) list.push([Date.parse(left), -1]);
    changes.set(t.circuit, list);
  }
  const steps = new Map<string, [number, number][]>();
  for (const [circuit, list] of changes) {
    let waiting = 0;
    const after: [number, number][] = [];
    for (const [time, delta] of list.sort((a, b) => a[0] - b[0] || a[1] - b[1])) {
      waiting += delta;
      after.push([time, waiting]);
    }
    steps.set(circuit, after);
  }
  return steps;
}

export function queueFigure(activity: ActivityView, from: number | undefined): HTMLElement {
  const now = Date.parse(activity.now);
  const steps = queueSteps(activity.turns);
  const all = [...steps.values()].flat();
  const start = from ?? Math.min(now, ...all.map(([t]) => t));
  const scale = timeScale(start, now);
  const max = Math.max(1, ...all.map(([, n]) => n));
  const y = (n: number) => BOTTOM - (n / max) * (BOTTOM - TOP);
  const svg = svgRoot(HEIGHT);
  svg.append(
    s('text', { x: LEFT - 6, y: y(max) + 4, 'text-anchor': 'end' }, String(max)),
    s('text', { x: LEFT - 6, y: y(0) + 4, 'text-anchor': 'end' }, '0'),
  );
  const facts: string[] = [];
  [...steps.entries()].forEach(([circuit, list], i) => {
    let d = `M${scale.x(start)} ${y(0)}`;
    let last = 0;
    for (const [time, n] of list) {
      d += `H${scale.x(time)}V${y(n)}`;
      last = n;
    }
    d += `H${scale.x(now)}`;
    svg.append(
      s('path', { d, class: `queue-line queue-line-${i % 4}` }, s('title', {}, `circuit ${circuit}`)),
    );
    const peak = list.reduce((best, p) => (p[1] > best[1] ? p : best), [start, 0] as [number, number]);
    facts.push(
      `Circuit ${circuit}: ${countOf(last, 'participant')} waiting now; at most ${peak[1]}${peak[1] > 0 ? ` (${formatTime(new Date(peak[0]).toISOString())})` : ''}.`,
    );
  });
  svg.append(timeAxis(scale, BOTTOM));
  const summary =
    all.length === 0
      ? 'nobody has joined the queue yet'
      : `at most ${countOf(max, 'participant')} waiting at once${activity.truncated ? ' (the newest turns only)' : ''}`;
  return figure('queue-chart', 'Queue length over time', summary, svg, facts);
}
