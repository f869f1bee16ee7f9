// Receipt check: drop a receipt, and the browser checks its entry is in today's log and the log grew consistently.
import { HttpLogSource } from '../../verify/http-log-source.js';
import { auditLog, guarded } from '../../verify/log-audit.js';
import { checkReceipt } from '../../verify/receipt-check.js';
import type { CheckResult } from '../../verify/types.js';
import { fill, h } from '../dom.js';
import { readPinnedKey } from './audit-store.js';
import { checkList } from './check-list.js';
import { errorBlock, setTitle } from './common.js';

function ceremonyOf(text: string): string {
  if (text.trim() === '') throw new Error('no receipt given: choose its file or paste it');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('this is not a receipt: it is not JSON');
  }
  const ceremony = (parsed as { ceremony?: unknown } | null)?.ceremony;
  if (typeof ceremony !== 'string') throw new Error('this is not a receipt: it names no ceremony');
  return ceremony;
}

async function checkReceiptText(text: string): Promise<CheckResult[]> {
  const id = ceremonyOf(text);
  const source = new HttpLogSource({ server: location.origin, ceremony: id });
  const audit = await auditLog(source, { logKey: readPinnedKey(id) });
  const receipt = await guarded(() =>
    checkReceipt({ ledger: audit.ledger, receipt: text, keys: audit.logKeys, readProof: audit.readProof }),
  );
  const shown = ['checkpoint.root', 'checkpoint.signature'] as const;
  return [
    { name: 'receipt', ...receipt },
    ...shown.map((name) => ({
      name,
      ...(audit.results.get(name) ?? { status: 'fail' as const, detail: 'not run' }),
    })),
  ];
}

export function renderReceipt(main: HTMLElement): undefined {
  setTitle('Check a receipt');
  const results = h('div', { 'aria-live': 'polite' });
  const check = async (text: string) => {
    fill(results, h('p', null, 'Checking…'));
    try {
      const checks = await checkReceiptText(text);
      const ok = checks.every((c) => c.status !== 'fail');
      fill(
        results,
        h(
          'p',
          { class: 'summary', id: 'receipt-summary', 'data-ok': ok ? 'true' : 'false' },
          ok ? 'The receipt checks out: its entry is in the log.' : 'The receipt does not check out.',
        ),
        checkList(checks),
      );
    } catch (err) {
      fill(
        results,
        h('p', { class: 'summary', id: 'receipt-summary', 'data-ok': 'false' }, 'Not checked.'),
        errorBlock(err),
      );
    }
  };
  const fileInput = h('input', {
    type: 'file',
    id: 'receipt-file',
    accept: '.json,application/json',
    onchange: () => {
      const file = fileInput.files?.[0];
      if (file) void file.text().then(show);
    },
  });
  const drop = h(
    'div',
    { class: 'drop' },
    h('label', { for: 'receipt-file' }, 'Drop a receipt file here, or choose it'),
    fileInput,
  );
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const file = e.dataTransfer?.files[0];
    if (file) void file.text().then(show);
  });
  const pasted = h('textarea', { id: 'receipt-text', spellcheck: 'false' });
  // A chosen or dropped file lands in the box, so the button checks what the page shows, never an empty box.
  const show = (text: string) => {
    pasted.value = text;
    return check(text);
  };
  fill(
    main,
    h('h1', null, 'Check a receipt'),
    h(
      'p',
      null,
      'A receipt is what ',
      h('code', null, 'ceremony contribute'),
      ' saved after your contribution was accepted. Your browser checks that its entry is in the log this server serves today, and that the log only grew since the receipt was signed. The file is not uploaded.',
    ),
    drop,
    h(
      'form',
      {
        onsubmit: (e: Event) => {
          e.preventDefault();
          void check(pasted.value);
        },
      },
      h('label', { for: 'receipt-text' }, 'Or paste it (a chosen file shows here)'),
      pasted,
      h('p', null, h('button', { type: 'submit', class: 'primary' }, 'Check the receipt')),
    ),
    results,
  );
  return undefined;
}
