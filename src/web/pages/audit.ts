// The audit, in the browser: the log checks of `ceremony verify`, run by the same modules on what this server serves.
import { countOf } from '../../plural.js';
import { HttpLogSource } from '../../verify/http-log-source.js';
import { auditLog } from '../../verify/log-audit.js';
import { CHECK_NAMES, type CheckResult, FINAL_CHECKS } from '../../verify/types.js';
import { fill, formatTime, h, hash } from '../dom.js';
import { checkFinalInBrowser } from './audit-final.js';
import {
  checkpointSize,
  keepCheckpoint,
  pinLogKey,
  pinQuorum,
  pinWitnesses,
  readKeptCheckpoint,
  readPinnedKey,
  readPinnedQuorum,
  readPinnedWitnesses,
} from './audit-store.js';
import { listContributions } from './ceremony-stats.js';
import { checkList } from './check-list.js';
import { CLI } from './cli.js';
import { ceremonyTabs, errorBlock, setTitle } from './common.js';

export function renderAudit(main: HTMLElement, id: string): undefined {
  setTitle(`${id} audit`);
  const keyInput = h('input', {
    type: 'text',
    id: 'log-key',
    name: 'log-key',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'name+hash+base64 key, as announced by the coordinator',
    value: readPinnedKey(id) ?? '',
  });
  const pinnedNote = h('span', null);
  // Says "pinned" only while this browser holds the key, not before the first audit that pins it.
  const showPinned = () => {
    pinnedNote.textContent = readPinnedKey(id) === undefined ? '' : ' (pinned in this browser)';
  };
  showPinned();
  const witnessInput = h('textarea', {
    id: 'witness-keys',
    name: 'witness-keys',
    rows: 3,
    spellcheck: 'false',
    placeholder: 'witness keys (name+hash+base64), one a line, as their operators published them',
  });
  witnessInput.value = readPinnedWitnesses(id) ?? '';
  const quorumInput = h('input', {
    type: 'number',
    id: 'witness-quorum',
    name: 'witness-quorum',
    min: '1',
    max: '64',
    value: readPinnedQuorum(id) ?? '',
    placeholder: 'all',
  });
  const remember = h('input', { type: 'checkbox', id: 'remember-key', checked: true });
  const results = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Run the audit');
  const form = h(
    'form',
    {
      class: 'panel',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void run();
      },
    },
    h('label', { for: 'log-key' }, 'Log key to check the checkpoints under', pinnedNote),
    keyInput,
    h('label', { for: 'witness-keys' }, 'Witnesses whose cosignatures the latest checkpoint must carry'),
    witnessInput,
    h('label', { for: 'witness-quorum' }, 'How many of them (quorum; empty: all)'),
    quorumInput,
    h(
      'p',
      null,
      remember,
      ' ',
      h('label', { for: 'remember-key', class: 'inline' }, 'Remember this key in this browser'),
    ),
    button,
  );
  fill(
    main,
    h('h1', null, 'Audit'),
    h('p', { class: 'sub' }, 'Ceremony ', h('code', null, id)),
    ceremonyTabs(id, 'audit'),
    h(
      'p',
      null,
      'Your browser fetches the transcript, checkpoints and log key (and, once the ceremony is finalized, the final zkeys and outputs) from this server and checks them itself, with the same code as ',
      h('code', null, 'ceremony verify'),
      '.',
    ),
    form,
    results,
  );

  async function run(): Promise<void> {
    button.disabled = true;
    fill(results, h('p', null, 'Auditing…'));
    const pinned = keyInput.value.trim() || undefined;
    if (pinned && remember.checked) pinLogKey(id, pinned);
    showPinned();
    const witnesses = witnessInput.value
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
    const quorum = quorumInput.value.trim() === '' ? undefined : Number(quorumInput.value);
    if (remember.checked) {
      pinWitnesses(id, witnessInput.value);
      pinQuorum(id, quorumInput.value);
    }
    const kept = readKeptCheckpoint(id);
    try {
      const started = performance.now();
      const source = new HttpLogSource({ server: location.origin, ceremony: id });
      const audit = await auditLog(source, {
        logKey: pinned,
        checkpoint: kept,
        witnesses,
        ...(quorum === undefined ? {} : { witnessQuorum: quorum }),
      });
      const ms = Math.round(performance.now() - started);
      const checks: CheckResult[] = CHECK_NAMES.filter((name) => audit.results.has(name)).map((name) => ({
        name,
        ...audit.results.get(name)!,
      }));
      const progress = h('p', { id: 'audit-progress' }, 'Log checked.');
      fill(results, progress);
      const finalStarted = performance.now();
      const final = await checkFinalInBrowser(id, audit.ledger, (message) => {
        progress.textContent = `Log checked; ${message}…`;
      });
      const finalMs = Math.round(performance.now() - finalStarted);
      checks.push(...final.results);
      const cliChecks = [...FINAL_CHECKS.filter((name) => !final.results.some((c) => c.name === name))];
      const failed = checks.filter((c) => c.status === 'fail');
      if (failed.length === 0 && audit.checkpoint) keepCheckpoint(id, audit.checkpoint);
      const contributions = listContributions(audit.ledger);
      fill(
        results,
        h(
          'p',
          { class: 'summary', id: 'audit-summary', 'data-ok': failed.length === 0 ? 'true' : 'false' },
          failed.length === 0
            ? `All ${checks.filter((c) => c.status === 'pass').length} checks passed.`
            : `${countOf(failed.length, 'check')} failed: ${failed.map((c) => c.name).join(', ')}.`,
        ),
        h(
          'p',
          { id: 'audit-timing', 'data-ms': ms, 'data-final-ms': final.results.length > 0 ? finalMs : null },
          `${countOf(audit.ledger.lines.length, 'entry', 'entries')} audited in ${ms} ms`,
          final.results.length > 0 ? `, the final zkeys and outputs checked in ${finalMs} ms. ` : '. ',
          kept
            ? `Compared with the checkpoint of ${checkpointSize(kept)} entries kept from an earlier visit.`
            : 'No checkpoint kept from an earlier visit; this one is kept if the audit passes.',
        ),
        pinned
          ? null
          : h(
              'p',
              null,
              'No key pinned: checkpoints were checked under the key this server publishes',
              audit.logKey ? [' (', h('code', null, audit.logKey), ')'] : '',
              '. Compare it with the key the coordinator announced, then pin it above.',
            ),
        checkList(checks),
        h(
          'p',
          { id: 'cli-checks' },
          audit.ledger.facts.finalized
            ? `${final.reason ? `This page does not check the final zkeys: ${final.reason}. ` : ''}Checks this page does not run: ${[...cliChecks, 'intermediate.zkeys (every intermediate zkey)'].join(', ')}. Run them with `
            : `The ceremony is not finalized yet: ${FINAL_CHECKS.join(', ')} apply once it is (this page runs them then if every circuit is within the size this server lets a browser handle). Run every check with `,
          h(
            'code',
            null,
            `${CLI} verify --server ${location.origin} --ceremony ${id}${audit.ledger.facts.finalized ? ' --full' : ''}`,
          ),
          '.',
        ),
        h('h2', null, 'Contributions in the log'),
        contributions.length === 0
          ? h('p', null, 'None yet.')
          : h(
              'ul',
              null,
              contributions.map((c) =>
                h(
                  'li',
                  null,
                  `${c.circuit} #${c.index} by ${c.participant}, ${formatTime(c.time)}: `,
                  hash(c.contributionHash),
                ),
              ),
            ),
      );
    } catch (err) {
      fill(results, errorBlock(err));
    } finally {
      button.disabled = false;
    }
  }
  void run();
  return undefined;
}
