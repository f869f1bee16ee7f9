// The transcript: every entry decoded, each with a link to its inclusion proof in the current tree.
import { type Ledger, readLedger } from '../../verify/ledger.js';
import { ceremonyPath, getText, watchCeremony } from '../api.js';
import { transcriptFigures } from '../charts/transcript-charts.js';
import { fill, formatTime, h } from '../dom.js';
import { scrollRegion } from '../scroll-region.js';
import { ceremonyTabs, errorBlock, setTitle } from './common.js';

/** The body fields a reader scans for, under words (the raw field names stay in the entry's JSON). */
const SUMMARY_LABELS: [field: string, label: string][] = [
  ['circuit', 'circuit'],
  ['participantId', 'participant'],
  ['name', 'name'],
  ['index', 'contribution #'],
  ['reason', 'reason'],
  ['beaconSource', 'beacon from'],
];

function summarize(body: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [field, label] of SUMMARY_LABELS) {
    const value = body[field];
    if (typeof value === 'string' || typeof value === 'number')
      parts.push(label.endsWith('#') ? `${label}${value}` : `${label} ${value}`);
  }
  return parts.join(', ');
}

function rows(id: string, ledger: Ledger): HTMLElement[] {
  const size = ledger.lines.length;
  return ledger.lines.map((line) => {
    const e = line.entry;
    const proof = ceremonyPath(id, `/proof/inclusion?seq=${line.position}&size=${size}`);
    return h(
      'tr',
      { id: `seq-${line.position}` },
      h('td', null, e ? e.seq : line.position),
      h('td', null, e ? formatTime(e.time) : '—'),
      h(
        'td',
        null,
        e ? h('code', null, e.type) : h('span', { class: 'error' }, `not canonical: ${line.problem}`),
      ),
      h(
        'td',
        { class: 'entry-body' },
        e ? summarize(e.body) : '',
        h(
          'details',
          null,
          h('summary', null, 'Entry'),
          h('pre', null, e ? JSON.stringify(e.body, null, 2) : line.line),
        ),
      ),
      h(
        'td',
        null,
        h('a', { href: proof, 'aria-label': `inclusion proof of entry ${line.position}` }, 'proof'),
      ),
    );
  });
}

export function renderTranscript(main: HTMLElement, id: string): () => void {
  setTitle(`${id} transcript`);
  const body = h('div', null, h('p', null, 'Loading…'));
  fill(
    main,
    h('h1', null, 'Transcript'),
    h('p', { class: 'sub' }, 'Ceremony ', h('code', null, id)),
    ceremonyTabs(id, 'transcript'),
    body,
  );
  let shown = -1;
  const load = async (size: number) => {
    if (size === shown) return;
    shown = size;
    try {
      const ledger = readLedger(await getText(ceremonyPath(id, '/transcript')), id);
      fill(
        body,
        h(
          'p',
          null,
          `${ledger.lines.length} entries. Each proof link gives the RFC 9162 inclusion proof of that entry in the tree of ${ledger.lines.length} entries.`,
        ),
        transcriptFigures(ledger),
        scrollRegion(
          'Transcript entries',
          h(
            'table',
            { class: 'transcript' },
            h('caption', { class: 'visually-hidden' }, 'Transcript entries'),
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ['Seq', 'Time', 'Type', 'Body', 'Inclusion'].map((t) => h('th', { scope: 'col' }, t)),
              ),
            ),
            h('tbody', null, rows(id, ledger)),
          ),
        ),
      );
    } catch (err) {
      fill(body, errorBlock(err));
    }
  };
  return watchCeremony(
    id,
    (view) => void load(view.transcriptSize),
    () => {},
  );
}
