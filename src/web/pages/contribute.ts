// Contribute from the browser: a key made or loaded here, the queue followed live, the contribution computed in a
// Web Worker, the attestation signed and the receipt checked with the CLI's own code. Nothing secret is sent.
import type { CeremonyView } from '../../ceremony/types.js';
import { encodeKeyFile, type KeyPair, keyPairFromSecret, parseKeyFile } from '../../crypto/ed25519.js';
import { toHex } from '../../crypto/hex.js';
import { countOf } from '../../plural.js';
import { readLedger } from '../../verify/ledger.js';
import { ceremonyPath, getText, watchCeremony } from '../api.js';
import { ContributionSession, type SessionEvent } from '../contribute/session.js';
import { fill, formatTime, h } from '../dom.js';
import { ceremonyTabs, setTitle } from './common.js';
import {
  cliCommand,
  mib,
  notOpen,
  progressRow,
  receiptItem,
  saveLink,
  stateWord,
  tooLarge,
} from './contribute-parts.js';

const SAFETY_LOOK_MS = 30_000;

export function renderContribute(main: HTMLElement, id: string): () => void {
  setTitle(`Contribute · ${id}`);
  let view: CeremonyView | undefined;
  let keys: KeyPair | undefined;
  let session: ContributionSession | undefined;
  const waiters: (() => void)[] = [];
  // A change that lands while the session reads its status must still wake its next wait, or a turn could be missed.
  let missed = false;
  const nextChange = () =>
    new Promise<void>((resolve) => {
      if (missed) {
        missed = false;
        return resolve();
      }
      // The stream may miss a change (a dropped connection): look again after a while all the same.
      const timer = setTimeout(resolve, SAFETY_LOOK_MS);
      waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });

  const status = h('p', {
    id: 'contribute-status',
    role: 'status',
    'aria-live': 'polite',
    'data-state': 'idle',
  });
  const setStatus = (state: string, text: string) => {
    status.dataset.state = state;
    fill(status, h('strong', null, `${stateWord[state] ?? state}: `), text);
  };
  const log = h('ol', { id: 'contribute-log', class: 'log' });
  const receipts = h('ul', { id: 'receipts', class: 'downloads' });
  const keyInfo = h('div', { id: 'key-info' });
  const keyError = h('p', { id: 'key-error', class: 'error', role: 'alert', hidden: true });

  const useKeys = (next: KeyPair, made: boolean) => {
    keys = next;
    const publicKey = toHex(next.publicKey);
    fill(
      keyInfo,
      h('p', null, 'Public key: ', h('code', { id: 'public-key', class: 'hash-full' }, publicKey)),
      made
        ? h(
            'p',
            { class: 'warning' },
            'Save this key file now: it is the only copy. ',
            h('code', null, 'ceremony contribute --key'),
            ' reads it too.',
          )
        : null,
      saveLink(
        'key-download',
        'Download key file',
        `ceremony-${publicKey.slice(0, 8)}.key`,
        encodeKeyFile(next),
      ),
    );
    joinButton.disabled = view?.state !== 'open';
    void showRegistration(publicKey);
  };

  // A key the transcript already registered keeps its name: the name field would be ignored, so it goes away.
  let registeredName: string | undefined;
  const showRegistration = async (publicKey: string) => {
    registeredName = undefined;
    try {
      const ledger = readLedger(await getText(ceremonyPath(id, '/transcript')), id);
      const known = [...ledger.facts.participants.values()].find((p) => p.publicKey === publicKey);
      if (keys === undefined || toHex(keys.publicKey) !== publicKey) return;
      registeredName = known?.name;
      if (known)
        keyInfo.append(
          h(
            'p',
            { id: 'registered-as' },
            `This key is registered as ${known.name} (${known.participantId}).`,
          ),
        );
    } catch {
      // The transcript could not be read: the name field stays, and the server decides as before.
    }
    showNameField();
  };
  const showNameField = () => {
    const nameField = main.querySelector<HTMLElement>('#name-field');
    if (nameField) nameField.hidden = !view?.openRegistration || registeredName !== undefined;
  };

  const makeKey = h(
    'button',
    {
      type: 'button',
      id: 'make-key',
      onclick: () => useKeys(keyPairFromSecret(crypto.getRandomValues(new Uint8Array(32))), true),
    },
    'Make a new key',
  );
  const keyFile = h('input', { type: 'file', id: 'key-file', accept: '.key,.json,application/json' });
  keyFile.addEventListener('change', async () => {
    const file = keyFile.files?.[0];
    if (!file) return;
    keyError.hidden = true;
    try {
      useKeys(parseKeyFile(await file.text(), file.name), false);
    } catch (err) {
      keyError.hidden = false;
      keyError.textContent = (err as Error).message;
    }
  });

  const nameInput = h('input', {
    id: 'participant-name',
    type: 'text',
    maxlength: 100,
    autocomplete: 'nickname',
  });
  const statementInput = h('textarea', { id: 'statement', rows: 3, maxlength: 1000 });
  const entropyInput = h('textarea', { id: 'entropy', rows: 2, autocomplete: 'off', spellcheck: 'false' });
  const joinButton = h(
    'button',
    { type: 'button', id: 'join', disabled: true },
    'Join the queue and contribute',
  );

  const onEvent = (event: SessionEvent) => {
    switch (event.kind) {
      case 'step':
        log.append(h('li', null, event.text));
        return;
      case 'queue':
        return setStatus(
          'waiting',
          `circuit ${event.circuit}: ${
            event.position === null || event.position === 0
              ? 'you are next in line'
              : `${countOf(event.position, 'turn')} ahead of you`
          }. Keep this tab on this page: closing it or leaving the page gives up your place.`,
        );
      case 'turn':
        log.append(h('li', null, `Circuit ${event.circuit}: your turn (contribution #${event.index}).`));
        return setStatus(
          'turn',
          `circuit ${event.circuit}: your turn${event.deadline ? `, until ${formatTime(event.deadline)}` : ''}. Downloading the current zkey…`,
        );
      case 'progress': {
        const bar = main.querySelector<HTMLProgressElement>(`#${event.what}-progress`);
        const text = main.querySelector<HTMLElement>(`#${event.what}-progress-text`);
        if (bar && event.total) bar.value = event.done / event.total;
        if (text)
          text.textContent = event.total ? `${mib(event.done)} of ${mib(event.total)}` : mib(event.done);
        if (event.what === 'upload' && event.done === event.total)
          setStatus('verifying', 'uploaded; the server is verifying your contribution…');
        return;
      }
      case 'resumed':
        log.append(
          h(
            'li',
            { class: 'resumed', 'data-offset': event.offset },
            `Circuit ${event.circuit}: the upload was cut (${event.reason}); resumed from byte ${event.offset} of ${event.total}.`,
          ),
        );
        return setStatus(
          'uploading',
          `circuit ${event.circuit}: the upload was cut; sending the rest from ${mib(event.offset)}…`,
        );
      case 'computing':
        return setStatus('computing', `circuit ${event.circuit}: computing your contribution in this tab…`);
      case 'computed':
        log.append(
          h(
            'li',
            { class: 'computed', 'data-ms': Math.round(event.ms) },
            `Circuit ${event.circuit}: contributed in ${(event.ms / 1000).toFixed(1)} s.`,
          ),
        );
        return setStatus('uploading', `circuit ${event.circuit}: uploading your contribution…`);
      case 'receipt':
        receipts.append(receiptItem(event));
        return;
      case 'done':
        return setStatus(
          'done',
          receipts.childElementCount === 0
            ? 'every circuit is contributed.'
            : 'every circuit is contributed. Your contribution hashes and receipts are below: save the receipts; you may then close this tab.',
        );
    }
  };

  joinButton.addEventListener('click', () => {
    if (!keys || !view || session) return;
    joinButton.disabled = true;
    entropyInput.readOnly = true;
    setStatus('joining', 'logging in and joining the queue…');
    session = new ContributionSession({
      ceremony: id,
      keys,
      name: nameInput.value,
      statement: statementInput.value.trim() || undefined,
      entropy: entropyInput.value,
      openRegistration: view.openRegistration,
      onEvent,
      nextChange,
    });
    session.run().then(
      () => {
        entropyInput.value = '';
      },
      (err: Error) => {
        entropyInput.value = '';
        entropyInput.readOnly = false;
        session = undefined;
        joinButton.disabled = false;
        setStatus('failed', `${err.message}. You may try again.`);
      },
    );
  });

  const form = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'contribute-heading' },
    h('h2', { id: 'contribute-heading' }, 'Contribute'),
    h('p', { id: 'open-registration-note' }),
    h(
      'div',
      { class: 'field', id: 'name-field' },
      h('label', { for: 'participant-name' }, 'Your name (shown in the transcript)'),
      nameInput,
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'statement' }, 'Statement (optional, public, signed)'),
      statementInput,
    ),
    h(
      'div',
      { class: 'field' },
      h(
        'label',
        { for: 'entropy' },
        'Extra randomness (optional): type anything; it is mixed in and never sent',
      ),
      entropyInput,
    ),
    joinButton,
    status,
    progressRow('download-progress', 'Download'),
    progressRow('upload-progress', 'Upload'),
    h('h3', null, 'What happened'),
    log,
    h('h3', null, 'Receipts'),
    receipts,
  );

  const renderShell = () => {
    if (!view) return;
    const refusal = view.state === 'open' ? tooLarge(view) : undefined;
    fill(
      main,
      h('h1', null, `Contribute to ${view.title}`),
      ceremonyTabs(id, 'contribute'),
      view.state !== 'open' && !session
        ? notOpen(view)
        : refusal
          ? h(
              'section',
              { class: 'panel', id: 'use-cli' },
              h('p', null, refusal, ' Contribute with the command-line client:'),
              h('pre', null, cliCommand(view)),
            )
          : [
              h(
                'section',
                { class: 'panel', 'aria-labelledby': 'key-heading' },
                h('h2', { id: 'key-heading' }, 'Your key'),
                h('p', null, 'An Ed25519 key made or read in this tab; it never leaves your browser.'),
                h(
                  'div',
                  { class: 'actions' },
                  makeKey,
                  h('label', { for: 'key-file' }, 'or load a key file: '),
                  keyFile,
                ),
                keyError,
                keyInfo,
              ),
              form,
            ],
    );
    const note = main.querySelector('#open-registration-note');
    if (note)
      note.textContent = view.openRegistration
        ? 'This ceremony is open to anyone with a key: you are registered under your name when you join.'
        : 'Only keys the coordinator registered may take part.';
    showNameField();
    joinButton.disabled = !keys || view.state !== 'open' || session !== undefined;
  };

  fill(main, h('h1', null, `Contribute to ${id}`), ceremonyTabs(id, 'contribute'), h('p', null, 'Loading…'));
  let shownState: string | undefined;
  const stop = watchCeremony(
    id,
    (next) => {
      view = next;
      // The form keeps what was typed: it is drawn again only when the ceremony's state changes.
      if (next.state !== shownState) {
        shownState = next.state;
        renderShell();
      }
      if (waiters.length === 0) missed = true;
      for (const wake of waiters.splice(0)) wake();
    },
    (live) => {
      // Polling fallback: changes still wake the session, five seconds apart.
      if (live === 'missing' && !view)
        fill(main, h('p', { class: 'error', role: 'alert' }, 'No such ceremony.'));
    },
  );
  return () => {
    stop();
    session?.stop();
    for (const wake of waiters.splice(0)) wake();
  };
}
