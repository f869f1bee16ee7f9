// The contribute page's pieces that hold no state: refusals, the CLI command, links, progress rows, receipts.
import type { CeremonyView } from '../../ceremony/types.js';
import type { SessionEvent } from '../contribute/session.js';
import { h } from '../dom.js';
import { CLI, cliFetchLine } from './cli.js';
import { ceremonyHref } from './common.js';

/** Circuits the page may contribute to, or the reason it may not (the CLI command is shown instead). */
export function tooLarge(view: CeremonyView): string | undefined {
  const max = view.webContributeMaxConstraints ?? 0;
  if (max === 0) return 'This server takes contributions from the command-line client only.';
  const big = view.circuits.filter((c) => (c.constraints ?? Number.POSITIVE_INFINITY) > max);
  if (big.length === 0) return undefined;
  const names = big.map((c) => `${c.name} (${c.constraints?.toLocaleString() ?? '?'} constraints)`);
  return `Circuit ${names.join(', ')} is larger than the ${max.toLocaleString()} constraints this server lets a browser contribute to.`;
}

export function cliCommand(view: CeremonyView): string {
  const name = view.openRegistration ? ' --name "your name"' : '';
  return `${cliFetchLine()}\n${CLI} keygen --out me.key\n${CLI} contribute --server ${location.origin} --key me.key --ceremony ${view.id}${name}`;
}

/** A link that saves `text` as a file; the bytes never leave the browser. */
export function saveLink(id: string, label: string, fileName: string, text: string): HTMLElement {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  return h('a', { id, href: url, download: fileName, class: 'button' }, label);
}

export function progressRow(id: string, label: string): HTMLElement {
  return h(
    'div',
    { class: 'progress-row' },
    h('label', { for: id }, label),
    h('progress', { id, max: 1, value: 0 }),
    h('span', { id: `${id}-text`, class: 'muted' }, ''),
  );
}

export function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

/** A contribution the session finished (or found finished): its hash to compare, and its receipt to save. */
export function receiptItem(event: Extract<SessionEvent, { kind: 'receipt' }>): HTMLElement {
  return h(
    'li',
    { id: `contributed-${event.receipt.circuit}` },
    h(
      'p',
      null,
      `Circuit ${event.receipt.circuit}, contribution #${event.receipt.index}`,
      event.earlier ? ' (made in an earlier session)' : '',
      '. Contribution hash, to compare with the transcript:',
    ),
    h('code', { class: 'hash-full contribution-hash' }, event.contributionHash ?? '—'),
    h(
      'p',
      null,
      saveLink(`receipt-${event.receipt.circuit}`, `Receipt ${event.fileName}`, event.fileName, event.text),
    ),
  );
}

/** A ceremony that takes no contributions now: what it is, and where to look instead of a form that cannot work. */
export function notOpen(view: CeremonyView): HTMLElement {
  const why: Record<string, string> = {
    draft: 'It has not opened yet; this page offers the form once it does.',
    closed: 'Its contributions are closed; the coordinator finalizes it next.',
    finalized: 'It is finished: its final keys are published.',
  };
  return h(
    'section',
    { class: 'panel', id: 'not-open', role: 'status' },
    h('p', null, `This ceremony is ${view.state}: it takes no contributions now. ${why[view.state] ?? ''}`),
    h(
      'p',
      null,
      'See ',
      h('a', { href: ceremonyHref(view.id, 'transcript') }, 'its transcript'),
      ', ',
      h('a', { href: ceremonyHref(view.id, 'audit') }, 'audit it'),
      ', or ',
      h('a', { href: '#/receipt' }, 'check a receipt'),
      '.',
    ),
  );
}

export const stateWord: Record<string, string> = {
  idle: 'Ready',
  joining: 'Joining',
  waiting: 'Waiting',
  turn: 'Your turn',
  computing: 'Computing',
  uploading: 'Uploading',
  verifying: 'Verifying',
  done: 'Done',
  failed: 'Failed',
};
