// The ceremonies this coordinator runs.
import type { CeremonyView } from '../../ceremony/types.js';
import { getJson } from '../api.js';
import { fill, formatTime, h } from '../dom.js';
import { scrollRegion } from '../scroll-region.js';
import { cliDownload } from './cli.js';
import { ceremonyHref, errorBlock, setTitle } from './common.js';

function schedule(c: CeremonyView): string {
  if (!c.startsAt && !c.endsAt) return 'no fixed times';
  if (!c.endsAt) return `from ${formatTime(c.startsAt)}`;
  if (!c.startsAt) return `until ${formatTime(c.endsAt)}`;
  return `${formatTime(c.startsAt)} → ${formatTime(c.endsAt)}`;
}

export function renderList(main: HTMLElement): undefined {
  setTitle('Ceremonies');
  const body = h('div', null, h('p', null, 'Loading…'));
  fill(main, h('h1', null, 'Ceremonies'), cliDownload(), body);
  getJson<{ ceremonies: CeremonyView[] }>('/v1/ceremonies')
    .then(({ ceremonies }) => {
      if (ceremonies.length === 0) return fill(body, h('p', null, 'No ceremony yet.'));
      fill(
        body,
        scrollRegion(
          'Ceremonies',
          h(
            'table',
            null,
            h('caption', { class: 'visually-hidden' }, 'Ceremonies on this coordinator'),
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ['Ceremony', 'State', 'Schedule', 'Circuits', 'Contributions', 'In queue'].map((t) =>
                  h('th', { scope: 'col' }, t),
                ),
              ),
            ),
            h(
              'tbody',
              null,
              ceremonies.map((c) =>
                h(
                  'tr',
                  null,
                  h(
                    'td',
                    null,
                    h('a', { href: ceremonyHref(c.id) }, c.title),
                    h('br'),
                    h('code', null, c.id),
                  ),
                  h('td', null, c.state),
                  h('td', null, schedule(c)),
                  h('td', null, c.circuits.map((x) => x.name).join(', ') || '—'),
                  h(
                    'td',
                    null,
                    c.circuits.reduce((n, x) => n + x.contributionIndex, 0),
                  ),
                  h('td', null, c.queueLength),
                ),
              ),
            ),
          ),
        ),
      );
    })
    .catch((err: unknown) => fill(body, errorBlock(err)));
  return undefined;
}
