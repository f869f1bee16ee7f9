// The transcript's two structures drawn for small logs: the hash chain (each entry's prev is the leaf hash of the
// one before) and the shape of the RFC 9162 Merkle tree over the leaves, with its root.
import { toHex } from '../../crypto/hex.js';
import { countOf } from '../../plural.js';
import { GENESIS_PREV } from '../../transcript/entry.js';
import { nodeHash } from '../../transcript/merkle.js';
import type { Ledger } from '../../verify/ledger.js';
import { h } from '../dom.js';
import { figure, s, svgRoot, WIDTH } from './svg.js';

/** Logs up to this many entries are drawn; larger ones are described in words only. */
export const SMALL_LOG = 32;

const PER_ROW = 6;
const BOX_W = 84;
const BOX_H = 38;
const GAP_X = (WIDTH - PER_ROW * BOX_W) / PER_ROW;
const GAP_Y = 18;

export function hashChainFigure(ledger: Ledger): HTMLElement {
  const lines = ledger.lines;
  const rows = Math.ceil(lines.length / PER_ROW);
  const svg = svgRoot(Math.max(rows, 1) * (BOX_H + GAP_Y) + 4);
  const broken: string[] = [];
  const at = (i: number) => ({
    x: GAP_X / 2 + (i % PER_ROW) * (BOX_W + GAP_X),
    y: 2 + Math.floor(i / PER_ROW) * (BOX_H + GAP_Y),
  });
  lines.forEach((line, i) => {
    const { x, y } = at(i);
    const expected = i === 0 ? GENESIS_PREV : toHex(lines[i - 1]!.leafHash);
    const holds = line.entry !== undefined && line.entry.prev === expected;
    if (!holds)
      broken.push(
        `entry ${i}: ${line.entry ? 'prev is not the leaf hash of the entry before' : 'not canonical'}`,
      );
    const leaf = toHex(line.leafHash);
    svg.append(
      s(
        'g',
        { class: holds ? 'chain-box' : 'chain-box chain-broken' },
        s('rect', { x, y, width: BOX_W, height: BOX_H, rx: 4 }),
        s('text', { x: x + 4, y: y + 14 }, `#${i} ${line.entry?.type.split('.')[1] ?? '?'}`),
        s('text', { x: x + 4, y: y + 30, class: 'mono' }, `${leaf.slice(0, 10)}…`),
        s('title', {}, `entry ${i}, ${line.entry?.type ?? 'not canonical'}, leaf hash ${leaf}`),
      ),
    );
    if (i === 0) return;
    // The link from the previous box: along the row, or down to the start of the next one.
    const prev = at(i - 1);
    const d =
      prev.y === y
        ? `M${prev.x + BOX_W} ${y + BOX_H / 2}H${x}`
        : `M${prev.x + BOX_W / 2} ${prev.y + BOX_H}V${prev.y + BOX_H + GAP_Y / 2}H${x + BOX_W / 2}V${y}`;
    svg.append(s('path', { d, class: holds ? 'chain-link' : 'chain-link chain-link-broken' }));
  });
  const summary =
    broken.length === 0
      ? `${countOf(lines.length, 'entry', 'entries')}; every link holds: each entry's prev is the leaf hash of the entry before`
      : `${countOf(broken.length, 'link')} broken`;
  return figure('chain-chart', 'Hash chain', summary, svg, broken);
}

interface Node {
  hash: Uint8Array;
  from: number;
  to: number; // exclusive
  height: number;
  children: Node[];
}

/** RFC 9162's tree over leaves [from, to): split at the largest power of two below the count. */
function build(leaves: Uint8Array[], from: number, to: number): Node {
  if (to - from === 1) return { hash: leaves[from]!, from, to, height: 0, children: [] };
  let k = 1;
  while (k * 2 < to - from) k *= 2;
  const left = build(leaves, from, from + k);
  const right = build(leaves, from + k, to);
  return {
    hash: nodeHash(left.hash, right.hash),
    from,
    to,
    height: Math.max(left.height, right.height) + 1,
    children: [left, right],
  };
}

/** The perfect subtrees along the right edge: the tree's shape in words ("0–15, 16–19, 20"). */
function perfectSpans(node: Node): string[] {
  const size = node.to - node.from;
  if ((size & (size - 1)) === 0) return [size === 1 ? `${node.from}` : `${node.from}–${node.to - 1}`];
  return node.children.flatMap(perfectSpans);
}

export function merkleFigure(ledger: Ledger): HTMLElement {
  const leaves = ledger.lines.map((l) => l.leafHash);
  const root = build(leaves, 0, leaves.length);
  const levelH = 34;
  const height = (root.height + 1) * levelH + 30;
  const svg = svgRoot(height);
  const step = (WIDTH - 20) / leaves.length;
  const xOf = (node: Node): number =>
    node.children.length === 0
      ? 10 + step * (node.from + 0.5)
      : (xOf(node.children[0]!) + xOf(node.children[1]!)) / 2;
  const yOf = (node: Node) => 14 + (root.height - node.height) * levelH;
  const draw = (node: Node): void => {
    for (const child of node.children) {
      svg.append(
        s('line', { x1: xOf(node), y1: yOf(node), x2: xOf(child), y2: yOf(child), class: 'tree-edge' }),
      );
      draw(child);
    }
    const hex = toHex(node.hash);
    const label =
      node.children.length === 0 ? `leaf ${node.from}` : `node over entries ${node.from}–${node.to - 1}`;
    svg.append(
      s(
        'circle',
        {
          cx: xOf(node),
          cy: yOf(node),
          r: node === root ? 6 : 4,
          class: node.children.length === 0 ? 'tree-leaf' : 'tree-node',
        },
        s('title', {}, `${label}: ${hex}`),
      ),
    );
  };
  draw(root);
  svg.append(
    s(
      'text',
      { x: xOf(root) + 10, y: yOf(root) + 4, class: 'mono' },
      `root ${toHex(root.hash).slice(0, 16)}…`,
    ),
  );
  if (leaves.length <= 16)
    for (let i = 0; i < leaves.length; i++)
      svg.append(
        s(
          'text',
          { x: 10 + step * (i + 0.5), y: yOf({ height: 0 } as Node) + 18, 'text-anchor': 'middle' },
          String(i),
        ),
      );
  const spans = perfectSpans(root);
  return figure(
    'merkle-chart',
    'Merkle tree',
    `${countOf(leaves.length, 'leaf', 'leaves')}, height ${root.height}, root ${toHex(root.hash)}; perfect subtrees over entries ${spans.join(', ')}`,
    svg,
    [],
  );
}

/** Both pictures for a small log, or a sentence saying why they are not drawn. */
export function transcriptFigures(ledger: Ledger): HTMLElement {
  if (ledger.lines.length === 0) return h('p', null, 'The transcript is empty.');
  if (ledger.lines.length > SMALL_LOG)
    return h(
      'p',
      { id: 'structure-note' },
      `The hash chain and the Merkle tree are drawn for logs of up to ${SMALL_LOG} entries; this one has ${ledger.lines.length}. The audit checks both.`,
    );
  return h(
    'section',
    { id: 'structure', 'aria-label': 'Structure' },
    hashChainFigure(ledger),
    merkleFigure(ledger),
  );
}
