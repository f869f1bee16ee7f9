// Named checks with their verdicts, as `ceremony verify` prints them: a symbol and a word, never colour alone.
import type { CheckResult } from '../../verify/types.js';
import { badge, h } from '../dom.js';

export function checkList(checks: CheckResult[]): HTMLElement {
  return h(
    'ul',
    { class: 'checks', 'aria-label': 'Checks' },
    checks.map((c) =>
      h(
        'li',
        { 'data-check': c.name, 'data-status': c.status },
        badge(c.status),
        h('span', { class: 'name' }, c.name),
        h('span', null, c.detail),
      ),
    ),
  );
}
