// The ceremony page's pictures: the contribution timeline from the transcript, the queue and verification times
// from the coordinator's activity. Each is SVG with the same facts as text.
import type { ActivityView } from '../../activity/types.js';
import type { CeremonyView } from '../../ceremony/types.js';
import type { Ledger } from '../../verify/ledger.js';
import { h } from '../dom.js';
import { listContributions, listRefusals, openedAndClosed } from '../pages/ceremony-stats.js';
import { queueFigure } from './queue-chart.js';
import { timelineFigure } from './timeline.js';
import { verifyFigure } from './verify-chart.js';

export function activitySection(
  view: CeremonyView,
  ledger: Ledger | undefined,
  activity: ActivityView | undefined,
): HTMLElement {
  const { opened } = openedAndClosed(ledger);
  const from = opened === undefined ? undefined : Date.parse(opened);
  const now = activity ? Date.parse(activity.now) : Date.now();
  return h(
    'section',
    { id: 'activity', 'aria-labelledby': 'activity-heading' },
    h('h2', { id: 'activity-heading' }, 'Activity'),
    ledger
      ? timelineFigure(
          view.circuits.map((c) => c.name),
          listContributions(ledger),
          listRefusals(ledger),
          from,
          now,
        )
      : h('p', null, 'Loading the transcript…'),
    activity
      ? [queueFigure(activity, from), verifyFigure(activity)]
      : h('p', null, 'Loading the queue and verification times…'),
  );
}
