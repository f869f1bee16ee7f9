// The web page: a hash router over six pages. Each page renders into <main> and returns its cleanup.
import { fill, h } from './dom.js';
import { renderAudit } from './pages/audit.js';
import { renderCeremony } from './pages/ceremony.js';
import { renderContribute } from './pages/contribute.js';
import { renderList } from './pages/list.js';
import { renderReceipt } from './pages/receipt.js';
import { renderTranscript } from './pages/transcript.js';
import { watchOverflow } from './scroll-region.js';

export type Cleanup = () => void;
export type Page = (main: HTMLElement) => Cleanup | undefined;

function route(hash: string): Page {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [first, id, sub] = parts;
  if (first === 'receipt') return renderReceipt;
  if (first === 'c' && id !== undefined) {
    if (sub === 'transcript') return (main) => renderTranscript(main, id);
    if (sub === 'audit') return (main) => renderAudit(main, id);
    if (sub === 'contribute') return (main) => renderContribute(main, id);
    return (main) => renderCeremony(main, id);
  }
  return renderList;
}

let cleanup: Cleanup | undefined;

function show(): void {
  const main = document.getElementById('main');
  if (!main) return;
  cleanup?.();
  cleanup = undefined;
  fill(main);
  try {
    cleanup = route(location.hash)(main);
  } catch (err) {
    fill(main, h('h1', null, 'Something went wrong'), h('p', { class: 'error' }, (err as Error).message));
  }
  // Keyboard and screen-reader users land on the new page's content, not on the link they followed.
  if (document.activeElement && document.activeElement !== document.body) main.focus({ preventScroll: true });
}

window.addEventListener('hashchange', show);
const main = document.getElementById('main');
if (main) watchOverflow(main);
show();
