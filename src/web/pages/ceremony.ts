// A ceremony, live: state and schedule, each circuit's turn and queue, contributions, refusals, downloads.

import type { ActivityView } from '../../activity/types.js';
import type { CeremonyView, CircuitView } from '../../ceremony/types.js';
import { countOf } from '../../plural.js';
import { type Ledger, readLedger } from '../../verify/ledger.js';
import { ceremonyPath, getJson, getText, type LiveStatus, watchCeremony } from '../api.js';
import { activitySection } from '../charts/ceremony-charts.js';
import { fill, formatDuration, formatTime, h, hash } from '../dom.js';
import { scrollRegion } from '../scroll-region.js';
import { averageTurnMs, listContributions, listRefusals, nameOf, openedAndClosed } from './ceremony-stats.js';
import { ceremonyHref, ceremonyTabs, errorBlock, setTitle } from './common.js';
import { cliCommand } from './contribute-parts.js';

const statusText: Record<LiveStatus, string> = {
  connecting: 'Connecting to live updates…',
  live: 'Live: updates appear as they happen.',
  reconnecting: 'Live updates interrupted; reconnecting…',
  polling: 'Live updates unavailable; refreshing every 5 seconds.',
  missing: 'This ceremony could not be found on this server.',
};

function facts(pairs: [string, string | number | Node][]): HTMLElement {
  return h(
    'dl',
    { class: 'facts' },
    pairs.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]),
  );
}

function countdown(deadline: string): HTMLElement {
  return h('span', { 'data-deadline': deadline }, '');
}

function tickCountdowns(root: HTMLElement): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-deadline]')) {
    const left = Date.parse(el.dataset.deadline ?? '') - Date.now();
    el.textContent = left > 0 ? `ends in ${formatDuration(left)}` : 'ending now';
  }
}

function downloads(id: string, c: CircuitView): HTMLElement {
  const file = (name: string) => ceremonyPath(id, `/circuits/${encodeURIComponent(c.name)}/${name}`);
  const links: [string, string][] = [
    [`current zkey (#${c.contributionIndex})`, file('zkeys/latest')],
    ['r1cs', file('r1cs')],
    ['ptau', file('ptau')],
  ];
  if (c.finalZkeySha256) links.push(['final zkey', file('zkeys/final')]);
  if (c.verificationKeySha256) links.push(['verification_key.json', file('verification_key.json')]);
  if (c.verifierSolSha256) links.push(['verifier.sol', file('verifier.sol')]);
  return h(
    'ul',
    { class: 'downloads' },
    links.map(([label, href]) => h('li', null, h('a', { href, download: '' }, label))),
  );
}

function circuitPanel(view: CeremonyView, c: CircuitView, ledger: Ledger | undefined): HTMLElement {
  const holder = c.currentParticipant
    ? h(
        'span',
        null,
        ledger ? nameOf(ledger, c.currentParticipant) : c.currentParticipant,
        c.turnDeadline ? [' — ', countdown(c.turnDeadline)] : ' — verifying the upload',
      )
    : 'nobody';
  const average = ledger ? averageTurnMs(ledger, c.name) : undefined;
  const remaining = c.waiting + (c.currentParticipant ? 1 : 0);
  const eta =
    average === undefined || remaining === 0
      ? remaining === 0
        ? 'the queue is empty'
        : 'after the first turn ends'
      : `about ${formatTime(new Date(Date.now() + remaining * average).toISOString())} (${countOf(remaining, 'turn')})`;
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': `circuit-${c.name}` },
    h('h3', { id: `circuit-${c.name}` }, `Circuit ${c.name}`),
    facts([
      ['Status', c.status + (c.error ? `: ${c.error}` : '')],
      ['Size', c.constraints === null ? '—' : `${c.constraints.toLocaleString()} constraints, 2^${c.power}`],
      ['Contributions accepted', c.contributionIndex],
      ['Turn', view.state === 'open' ? holder : `none (ceremony ${view.state})`],
      ['Waiting', c.waiting],
      ['Average turn', average === undefined ? '—' : formatDuration(average)],
      ['Queue ends', view.state === 'open' ? eta : '—'],
      ['Latest zkey', hash(c.latestZkeySha256)],
    ]),
    h('h4', { class: 'visually-hidden' }, `Files of ${c.name}`),
    downloads(view.id, c),
  );
}

/** "Opens" before the opening and "Opened" after it, with the transcript's time; never a bare dash. */
function schedule(view: CeremonyView, ledger: Ledger | undefined): [string, string][] {
  const { opened, closed } = openedAndClosed(ledger);
  const hasOpened = view.state !== 'draft';
  const hasClosed = view.state === 'closed' || view.state === 'finalized';
  return [
    hasOpened
      ? ['Opened', formatTime(opened ?? view.startsAt)]
      : ['Opens', view.startsAt ? formatTime(view.startsAt) : 'when the coordinator opens it'],
    hasClosed
      ? ['Closed', formatTime(closed ?? view.endsAt)]
      : ['Closes', view.endsAt ? formatTime(view.endsAt) : 'when the coordinator closes it'],
  ];
}

function table(id: string, caption: string, head: string[], rows: (string | number | Node)[][]): HTMLElement {
  if (rows.length === 0) return h('p', { id }, `No ${caption.toLowerCase()} yet.`);
  return scrollRegion(
    caption,
    h(
      'table',
      { id },
      h('caption', { class: 'visually-hidden' }, caption),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          head.map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h(
        'tbody',
        null,
        rows.map((r) =>
          h(
            'tr',
            null,
            r.map((cell) => h('td', null, cell)),
          ),
        ),
      ),
    ),
  );
}

function render(
  main: HTMLElement,
  view: CeremonyView,
  ledger: Ledger | undefined,
  activity: ActivityView | undefined,
  live: HTMLElement,
): void {
  setTitle(view.title);
  // A live re-render must not throw a keyboard user's focus back to the top.
  const focused = document.activeElement?.getAttribute('href');
  const contributions = ledger ? listContributions(ledger) : [];
  const refusals = ledger ? listRefusals(ledger) : [];
  fill(
    main,
    h('h1', null, view.title),
    h('p', { class: 'sub' }, 'Ceremony ', h('code', null, view.id)),
    ceremonyTabs(view.id, 'overview'),
    live,
    facts([
      ['State', view.state],
      ...schedule(view, ledger),
      ['Turn length', formatDuration(view.timeoutSeconds * 1000)],
      ['Registration', view.openRegistration ? 'open to anyone with a key' : 'by the coordinator'],
      ['Participants in queue', view.queueLength],
      ['Transcript entries', view.transcriptSize],
      [
        'Finalization',
        view.finalization
          ? `${view.finalization.status}; beacon from ${view.finalization.beaconSource}`
          : 'not yet',
      ],
    ]),
    view.state === 'open'
      ? h(
          'section',
          { class: 'panel', 'aria-labelledby': 'take-part' },
          h('h2', { id: 'take-part' }, 'Take part'),
          h(
            'p',
            null,
            h(
              'a',
              { href: ceremonyHref(view.id, 'contribute'), id: 'contribute-link' },
              'Contribute in this browser',
            ),
            ' (circuits up to the size this server allows), or with the command-line client (your key and entropy never leave your machine):',
          ),
          h('pre', null, cliCommand(view)),
        )
      : null,
    h('h2', null, 'Circuits'),
    view.circuits.map((c) => circuitPanel(view, c, ledger)),
    activitySection(view, ledger, activity),
    h('h2', { id: 'contributions' }, 'Contributions'),
    table(
      'contributions-table',
      'Contributions',
      ['Participant', 'Circuit', 'Index', 'Contribution hash', 'Time', 'Statement'],
      contributions.map((c) => [
        c.participant,
        c.circuit,
        c.index,
        hash(c.contributionHash),
        formatTime(c.time),
        c.statement ?? '—',
      ]),
    ),
    h('h2', null, 'Rejections and expired turns'),
    table(
      'refusals-table',
      'Rejections and expired turns',
      ['Participant', 'Circuit', 'What', 'Reason', 'Time'],
      refusals.map((r) => [r.participant, r.circuit, r.kind, r.reason, formatTime(r.time)]),
    ),
    h('h2', null, 'Transcript files'),
    h(
      'ul',
      { class: 'downloads' },
      h(
        'li',
        null,
        h('a', { href: ceremonyPath(view.id, '/transcript'), download: `${view.id}.jsonl` }, 'transcript'),
      ),
      h(
        'li',
        null,
        h(
          'a',
          { href: ceremonyPath(view.id, '/checkpoint'), download: `${view.id}.checkpoint` },
          'checkpoint',
        ),
      ),
      h('li', null, h('a', { href: '/v1/log-key', download: 'log-key.pub' }, 'log key')),
    ),
  );
  tickCountdowns(main);
  if (focused) main.querySelector<HTMLElement>(`[href="${CSS.escape(focused)}"]`)?.focus();
}

export function renderCeremony(main: HTMLElement, id: string): () => void {
  setTitle(id);
  fill(main, h('h1', null, id), ceremonyTabs(id, 'overview'), h('p', null, 'Loading…'));
  const live = h('p', { class: 'live', role: 'status', 'aria-live': 'polite' }, statusText.connecting);
  let view: CeremonyView | undefined;
  let ledger: Ledger | undefined;
  let loadedSize = -1;
  let loading = false;
  const loadLedger = async () => {
    if (loading || !view || view.transcriptSize === loadedSize) return;
    loading = true;
    try {
      const size = view.transcriptSize;
      ledger = readLedger(await getText(ceremonyPath(id, '/transcript')), id);
      loadedSize = size;
      if (view) render(main, view, ledger, activity, live);
    } catch (err) {
      main.append(errorBlock(err));
    } finally {
      loading = false;
    }
    void loadLedger();
  };
  // Activity follows every change of the view; a change during a read asks for one more read after it.
  let activity: ActivityView | undefined;
  let activityLoading = false;
  let activityStale = false;
  const loadActivity = async (): Promise<void> => {
    if (activityLoading) {
      activityStale = true;
      return;
    }
    activityLoading = true;
    activityStale = false;
    try {
      activity = await getJson<ActivityView>(ceremonyPath(id, '/activity'));
      if (view) render(main, view, ledger, activity, live);
    } catch {
      // The pictures wait for the next change; the rest of the page stands without them.
    } finally {
      activityLoading = false;
    }
    if (activityStale) void loadActivity();
  };
  const stop = watchCeremony(
    id,
    (next) => {
      view = next;
      render(main, next, ledger, activity, live);
      void loadLedger();
      void loadActivity();
    },
    (status) => {
      live.textContent = statusText[status];
      if (status === 'missing' && view === undefined)
        fill(main, h('h1', null, id), h('p', { class: 'error', role: 'alert' }, statusText.missing));
    },
  );
  const timer = setInterval(() => tickCountdowns(main), 1000);
  return () => {
    stop();
    clearInterval(timer);
  };
}
