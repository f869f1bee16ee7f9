// How long each uploaded contribution waited for its verdict (upload to decision): one bar each, in upload order.
import type { ActivityView } from '../../activity/types.js';
import { formatDuration } from '../dom.js';
import { figure, LEFT, RIGHT, s, svgRoot, WIDTH } from './svg.js';

const HEIGHT = 160;
const TOP = 14;
const BOTTOM = HEIGHT - 24;

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : formatDuration(ms);
}

export function verifyFigure(activity: ActivityView): HTMLElement {
  const bars = activity.verifications.map((v) => ({
    ...v,
    // What the participant waited, upload to verdict: the verifier's own time is 0 when the check ran during the upload.
    ms: v.decidedAt === null ? undefined : Math.max(0, Date.parse(v.decidedAt) - Date.parse(v.uploadedAt)),
  }));
  const max = Math.max(1, ...bars.map((b) => b.ms ?? 0));
  const svg = svgRoot(HEIGHT);
  const step = (WIDTH - LEFT - RIGHT) / Math.max(bars.length, 1);
  const width = Math.max(1, Math.min(40, step * 0.7));
  svg.append(
    s('text', { x: LEFT - 6, y: TOP + 4, 'text-anchor': 'end' }, seconds(max)),
    s('text', { x: LEFT - 6, y: BOTTOM + 4, 'text-anchor': 'end' }, '0 s'),
    s('line', { x1: LEFT, x2: WIDTH - RIGHT, y1: BOTTOM, y2: BOTTOM, class: 'axis-line' }),
  );
  bars.forEach((b, i) => {
    const x = LEFT + i * step + (step - width) / 2;
    const label = `circuit ${b.circuit} #${b.index}: ${b.ms === undefined ? 'still verifying' : seconds(b.ms)} (${b.state})`;
    const height = b.ms === undefined ? 2 : Math.max(2, (b.ms / max) * (BOTTOM - TOP));
    svg.append(
      s('rect', { x, y: BOTTOM - height, width, height, class: `bar bar-${b.state}` }, s('title', {}, label)),
    );
    if (bars.length <= 24)
      svg.append(s('text', { x: x + width / 2, y: BOTTOM + 14, 'text-anchor': 'middle' }, `#${b.index}`));
  });
  const decided = bars.filter((b) => b.ms !== undefined).map((b) => b.ms as number);
  const summary =
    bars.length === 0
      ? 'no contribution uploaded yet'
      : decided.length === 0
        ? 'the first upload is being verified'
        : `from ${seconds(Math.min(...decided))} to ${seconds(Math.max(...decided))}`;
  return figure(
    'verify-chart',
    'Verification time per contribution',
    summary,
    svg,
    bars.map(
      (b) =>
        `Circuit ${b.circuit} #${b.index}: ${b.ms === undefined ? 'still verifying' : seconds(b.ms)} (${b.state}).`,
    ),
  );
}
