// RFC 6962 / RFC 9162 Merkle tree: hashes, roots and proofs read from stored perfect subtrees, and proof checks.
// Every range the algorithms need is split into perfect subtrees first (a "plan"), so the same planning code serves
// a synchronous reader (MemoryTree) and an asynchronous one (the database), and costs O(log n) reads.
import { sha256 } from '@noble/hashes/sha2.js';

export type Hash = Uint8Array;

/** Hash of the perfect subtree at (level, index): leaves [index*2^level, (index+1)*2^level). Level 0 = leaf hashes. */
export type NodeReader = (level: number, index: number) => Hash | Promise<Hash>;

export interface StoredNode {
  level: number;
  index: number;
  hash: Hash;
}

/** A perfect subtree, by its coordinates. */
interface NodeRef {
  level: number;
  index: number;
}

/** The perfect subtrees, left to right, whose fold is one hash (a root or a proof element). */
type Span = NodeRef[];

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

export const EMPTY_ROOT: Hash = sha256(new Uint8Array(0));

export function leafHash(entryBytes: Uint8Array): Hash {
  if (!(entryBytes instanceof Uint8Array)) throw new TypeError('leafHash: expected Uint8Array');
  return sha256.create().update(LEAF_PREFIX).update(entryBytes).digest();
}

export function nodeHash(left: Hash, right: Hash): Hash {
  assertHash('nodeHash', 'left', left);
  assertHash('nodeHash', 'right', right);
  return sha256.create().update(NODE_PREFIX).update(left).update(right).digest();
}

function assertHash(fn: string, what: string, value: unknown): asserts value is Hash {
  if (!(value instanceof Uint8Array) || value.length !== 32) {
    const got = value instanceof Uint8Array ? `${value.length} bytes` : typeof value;
    throw new TypeError(`${fn}: ${what} must be a 32-byte hash, got ${got}`);
  }
}

/** Asserts an integer in [min, max]; sizes and indices beyond 2^53 cannot occur. */
function assertRange(fn: string, what: string, value: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    throw new RangeError(`${fn}: ${what} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

/** Largest power of two strictly below n (n >= 2): RFC 6962's split point k. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Perfect subtrees covering leaves [start, start+length); start is aligned to the largest of them. */
function spanOf(start: number, length: number): Span {
  let size = 1;
  while (size * 2 <= length) size *= 2;
  const span: Span = [];
  let at = start;
  for (; size >= 1; size /= 2) {
    if (length - (at - start) < size) continue;
    if (at % size !== 0) throw new Error(`merkle: unaligned range [${start}, ${start + length})`);
    span.push({ level: Math.log2(size), index: at / size });
    at += size;
  }
  return span;
}

/** RFC 6962 PATH(m, D[n]) as spans, innermost sibling first. */
function planInclusion(m: number, n: number): Span[] {
  const path: Span[] = [];
  let offset = 0;
  let length = n;
  while (length > 1) {
    const k = splitPoint(length);
    if (m - offset < k) {
      path.push(spanOf(offset + k, length - k));
      length = k;
    } else {
      path.push(spanOf(offset, k));
      offset += k;
      length -= k;
    }
  }
  return path.reverse();
}

/** RFC 6962 PROOF(m, D[n]) = SUBPROOF(m, D[n], true) as spans, innermost first. */
function planConsistency(m: number, n: number): Span[] {
  if (m === 0 || m === n) return [];
  const proof: Span[] = [];
  let offset = 0;
  let length = n;
  let left = m;
  let wholeOldTree = true;
  while (left !== length) {
    const k = splitPoint(length);
    if (left <= k) {
      proof.push(spanOf(offset + k, length - k));
      length = k;
    } else {
      proof.push(spanOf(offset, k));
      offset += k;
      left -= k;
      length -= k;
      wholeOldTree = false;
    }
  }
  // The old tree's own root is left out only when it is a subtree on the new tree's left edge.
  if (!wholeOldTree) proof.push(spanOf(offset, length));
  return proof.reverse();
}

function foldSpan(hashes: Hash[]): Hash {
  let acc = hashes[hashes.length - 1]!;
  for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i]!, acc);
  return acc;
}

/** The nodes an operation reads, and how it turns them into its answer. */
interface Plan<T> {
  refs: NodeRef[];
  finish: (hashes: Hash[]) => T;
}

function planSpans(spans: Span[]): Plan<Hash[]> {
  return {
    refs: spans.flat(),
    finish: (hashes) => {
      let end = 0;
      return spans.map((span) => {
        end += span.length;
        return foldSpan(hashes.slice(end - span.length, end));
      });
    },
  };
}

function planRoot(size: number): Plan<Hash> {
  const plan = planSpans(size === 0 ? [] : [spanOf(0, size)]);
  return { refs: plan.refs, finish: (hashes) => plan.finish(hashes)[0] ?? EMPTY_ROOT };
}

function planAppend(leafIndex: number, leaf: Hash): Plan<StoredNode[]> {
  // The new leaf completes one perfect subtree per trailing one bit of leafIndex; each needs its left sibling.
  const refs: NodeRef[] = [];
  for (let level = 0, index = leafIndex; index % 2 === 1; level++, index = (index - 1) / 2) {
    refs.push({ level, index: index - 1 });
  }
  const finish = (siblings: Hash[]): StoredNode[] => {
    const nodes: StoredNode[] = [{ level: 0, index: leafIndex, hash: leaf }];
    let hash = leaf;
    siblings.forEach((sibling, i) => {
      hash = nodeHash(sibling, hash);
      nodes.push({ level: i + 1, index: refs[i]!.index / 2, hash });
    });
    return nodes;
  };
  return { refs, finish };
}

function runSync<T>(fn: string, plan: Plan<T>, read: NodeReader): T {
  const hashes = plan.refs.map((ref) => {
    const hash = read(ref.level, ref.index);
    if (!(hash instanceof Uint8Array)) throw new TypeError(`${fn}: this reader must answer synchronously`);
    assertHash(fn, `node (${ref.level}, ${ref.index})`, hash);
    return hash;
  });
  return plan.finish(hashes);
}

// The reads are independent, so they are issued together: a database reader may batch or pipeline them.
async function runAsync<T>(fn: string, plan: Plan<T>, read: NodeReader): Promise<T> {
  if (typeof read !== 'function') throw new TypeError(`${fn}: read must be a function`);
  const hashes = await Promise.all(plan.refs.map((ref) => read(ref.level, ref.index)));
  for (const [i, hash] of hashes.entries()) {
    assertHash(fn, `node (${plan.refs[i]!.level}, ${plan.refs[i]!.index})`, hash);
  }
  return plan.finish(hashes);
}

/** Nodes to store when leaf number `leafIndex` is appended: the leaf plus every perfect subtree it completes. */
export async function nodesCompletedByAppend(
  leafIndex: number,
  leaf: Hash,
  read: NodeReader,
): Promise<StoredNode[]> {
  assertRange('nodesCompletedByAppend', 'leafIndex', leafIndex);
  assertHash('nodesCompletedByAppend', 'leaf', leaf);
  return runAsync('nodesCompletedByAppend', planAppend(leafIndex, leaf), read);
}

/** Root of the first `size` leaves (EMPTY_ROOT for 0); reads one node per one bit of size. */
export async function treeRoot(size: number, read: NodeReader): Promise<Hash> {
  assertRange('treeRoot', 'size', size);
  return runAsync('treeRoot', planRoot(size), read);
}

/** RFC 9162 inclusion proof of leaf `leafIndex` in the tree of `size` leaves. */
export async function inclusionProof(leafIndex: number, size: number, read: NodeReader): Promise<Hash[]> {
  assertRange('inclusionProof', 'size', size, 1);
  assertRange('inclusionProof', 'leafIndex', leafIndex, 0, size - 1);
  return runAsync('inclusionProof', planSpans(planInclusion(leafIndex, size)), read);
}

/** RFC 9162 consistency proof from size `from` to size `to`; empty when from is 0 or equals to. */
export async function consistencyProof(from: number, to: number, read: NodeReader): Promise<Hash[]> {
  assertRange('consistencyProof', 'to', to);
  assertRange('consistencyProof', 'from', from, 0, to);
  return runAsync('consistencyProof', planSpans(planConsistency(from, to)), read);
}

function equalHashes(a: Hash, b: Hash): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ (b[i] ?? 0);
  return diff === 0;
}

function isHash(value: unknown): value is Hash {
  return value instanceof Uint8Array && value.length === 32;
}

function checkProofArgs(
  fn: string,
  hashes: Record<string, unknown>,
  counts: Record<string, unknown>,
  proof: unknown,
) {
  for (const [what, value] of Object.entries(hashes)) assertHash(fn, what, value);
  for (const [what, value] of Object.entries(counts)) assertRange(fn, what, value);
  if (!Array.isArray(proof)) throw new TypeError(`${fn}: proof must be an array of hashes`);
}

/**
 * The loop shared by RFC 9162 sections 2.1.3.2 and 2.1.4.2: walks `path` up from node `fn` of a tree whose last
 * node is `sn`, hashing into `sr` the root of the whole tree and into `fr` the root of the part left of fn.
 */
function walkProof(
  fn: number,
  sn: number,
  seed: Hash,
  path: Hash[],
  trackLeft: boolean,
): { fr: Hash; sr: Hash } | null {
  let fr = seed;
  let sr = seed;
  for (const c of path) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      if (trackLeft) fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? { fr, sr } : null;
}

/** RFC 9162 section 2.1.3.2: false for any proof that does not lead from `leaf` at `leafIndex` to `root`. */
export function verifyInclusion(
  leaf: Hash,
  leafIndex: number,
  size: number,
  proof: Hash[],
  root: Hash,
): boolean {
  checkProofArgs('verifyInclusion', { leaf, root }, { leafIndex, size }, proof);
  if (leafIndex >= size || !proof.every(isHash)) return false;
  const walked = walkProof(leafIndex, size - 1, leaf, proof, false);
  return walked !== null && equalHashes(walked.sr, root);
}

/**
 * RFC 9162 section 2.1.4.2. For from = to the proof must be empty and the roots equal; for from = 0 the proof must
 * be empty and fromRoot must be the empty tree's root.
 */
export function verifyConsistency(
  from: number,
  to: number,
  fromRoot: Hash,
  toRoot: Hash,
  proof: Hash[],
): boolean {
  checkProofArgs('verifyConsistency', { fromRoot, toRoot }, { from, to }, proof);
  if (from > to || !proof.every(isHash)) return false;
  if (from === 0) return proof.length === 0 && equalHashes(fromRoot, EMPTY_ROOT);
  if (from === to) return proof.length === 0 && equalHashes(fromRoot, toRoot);
  // When the old tree is a perfect subtree on the left edge, the proof omits its root; the verifier supplies it.
  const path = Number.isInteger(Math.log2(from)) ? [fromRoot, ...proof] : proof;
  if (path.length === 0) return false;
  let fn = from - 1;
  let sn = to - 1;
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  const walked = walkProof(fn, sn, path[0]!, path.slice(1), true);
  return walked !== null && equalHashes(walked.fr, fromRoot) && equalHashes(walked.sr, toRoot);
}

/** In-memory tree for auditors and tests: O(n) build, stores every perfect-subtree node. */
export class MemoryTree {
  readonly #levels: Hash[][] = [];

  constructor(leaves: Iterable<Hash> = []) {
    for (const leaf of leaves) this.append(leaf);
  }

  get size(): number {
    return this.#levels[0]?.length ?? 0;
  }

  readonly read: NodeReader = (level, index) => {
    const hash = this.#levels[level]?.[index];
    if (hash === undefined) throw new RangeError(`MemoryTree.read: no stored node (${level}, ${index})`);
    return hash;
  };

  append(leaf: Hash): void {
    assertHash('MemoryTree.append', 'leaf', leaf);
    for (const node of runSync('MemoryTree.append', planAppend(this.size, leaf), this.read)) {
      const level = this.#levels[node.level] ?? [];
      this.#levels[node.level] = level;
      level[node.index] = node.hash;
    }
  }

  root(size = this.size): Hash {
    assertRange('MemoryTree.root', 'size', size, 0, this.size);
    return runSync('MemoryTree.root', planRoot(size), this.read);
  }

  inclusionProof(leafIndex: number, size = this.size): Hash[] {
    assertRange('MemoryTree.inclusionProof', 'size', size, 1, this.size);
    assertRange('MemoryTree.inclusionProof', 'leafIndex', leafIndex, 0, size - 1);
    return runSync('MemoryTree.inclusionProof', planSpans(planInclusion(leafIndex, size)), this.read);
  }

  consistencyProof(from: number, to = this.size): Hash[] {
    assertRange('MemoryTree.consistencyProof', 'to', to, 0, this.size);
    assertRange('MemoryTree.consistencyProof', 'from', from, 0, to);
    return runSync('MemoryTree.consistencyProof', planSpans(planConsistency(from, to)), this.read);
  }
}
