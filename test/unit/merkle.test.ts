import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/crypto/hex.js';
import {
  consistencyProof,
  EMPTY_ROOT,
  type Hash,
  inclusionProof,
  leafHash,
  MemoryTree,
  type NodeReader,
  nodeHash,
  nodesCompletedByAppend,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
} from '../../src/transcript/merkle.js';

// An independent, deliberately naive RFC 6962 section 2.1 reference, hashed with node:crypto.
const sha = (...parts: Uint8Array[]): Hash => {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return new Uint8Array(h.digest());
};
const refLeaf = (data: Uint8Array): Hash => sha(Uint8Array.of(0), data);
const refNode = (l: Hash, r: Hash): Hash => sha(Uint8Array.of(1), l, r);
const split = (n: number): number => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};
function refMTH(d: Hash[]): Hash {
  if (d.length === 0) return sha();
  if (d.length === 1) return d[0]!;
  const k = split(d.length);
  return refNode(refMTH(d.slice(0, k)), refMTH(d.slice(k)));
}
function refPATH(m: number, d: Hash[]): Hash[] {
  if (d.length <= 1) return [];
  const k = split(d.length);
  return m < k
    ? [...refPATH(m, d.slice(0, k)), refMTH(d.slice(k))]
    : [...refPATH(m - k, d.slice(k)), refMTH(d.slice(0, k))];
}
function refSUBPROOF(m: number, d: Hash[], b: boolean): Hash[] {
  if (m === d.length) return b ? [] : [refMTH(d)];
  const k = split(d.length);
  return m <= k
    ? [...refSUBPROOF(m, d.slice(0, k), b), refMTH(d.slice(k))]
    : [...refSUBPROOF(m - k, d.slice(k), false), refMTH(d.slice(0, k))];
}
const refPROOF = (m: number, d: Hash[]): Hash[] => (m === 0 ? [] : refSUBPROOF(m, d, true));

const hex = (hashes: Hash[]): string[] => hashes.map(toHex);
const tweak = (hash: Hash, at: number): Hash => {
  const copy = hash.slice();
  copy[at]! ^= 0x01;
  return copy;
};

const MAX = 64;
// Which byte of a 32-byte hash a tampering test changes: the first, one in the middle and the last. Every byte enters
// SHA-256 alike, so all 32 positions found nothing these three do not, at ten times the cost.
const TWEAKED_BYTES = [0, 17, 31];
const leafData = Array.from({ length: MAX }, (_, i) => new TextEncoder().encode(`entry ${i}`));
const leaves = leafData.map(refLeaf);
const tree = new MemoryTree(leaves);
const roots = Array.from({ length: MAX + 1 }, (_, n) => refMTH(leaves.slice(0, n)));

describe('hashes', () => {
  it('match RFC 6962 leaf and node hashing and the empty root', () => {
    const data = new TextEncoder().encode('hello');
    expect(toHex(leafHash(data))).toBe(toHex(refLeaf(data)));
    expect(toHex(nodeHash(leaves[0]!, leaves[1]!))).toBe(toHex(refNode(leaves[0]!, leaves[1]!)));
    expect(toHex(EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('reject inputs that are not 32-byte hashes, naming the function', () => {
    expect(() => nodeHash(new Uint8Array(31), leaves[0]!)).toThrow(/nodeHash: left/);
    expect(() => nodeHash(leaves[0]!, new Uint8Array(33))).toThrow(/nodeHash: right/);
    expect(() => leafHash('x' as unknown as Uint8Array)).toThrow(/leafHash/);
  });
});

describe('RFC 6962 test vectors (certificate-transparency test data)', () => {
  const data = [
    '',
    '00',
    '10',
    '2021',
    '3031',
    '40414243',
    '5051525354555657',
    '606162636465666768696a6b6c6d6e6f',
  ];
  const expected = [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
    '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
    'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
    '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
  ];
  const vectorTree = new MemoryTree(data.map((d) => leafHash(fromHex(d))));

  it('roots of sizes 1..8', () => {
    expect(expected.map((_, i) => toHex(vectorTree.root(i + 1)))).toEqual(expected);
  });

  it('inclusion and consistency proofs', () => {
    expect(hex(vectorTree.inclusionProof(5, 8))).toEqual([
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
    expect(hex(vectorTree.inclusionProof(2, 3))).toEqual([expected[1]]);
    expect(hex(vectorTree.consistencyProof(6, 8))).toEqual([
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
    expect(hex(vectorTree.consistencyProof(2, 5))).toEqual([
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ]);
  });
});

describe('roots and proofs against the reference, every size up to 64', () => {
  it('roots match for sizes 0..64, synchronously and through the async reader', async () => {
    for (let n = 0; n <= MAX; n++) {
      expect(toHex(tree.root(n))).toBe(toHex(roots[n]!));
      expect(toHex(await treeRoot(n, tree.read))).toBe(toHex(roots[n]!));
    }
  });

  it('every inclusion proof equals PATH(m, D[n]) and verifies', async () => {
    for (let n = 1; n <= MAX; n++) {
      for (let i = 0; i < n; i++) {
        const proof = tree.inclusionProof(i, n);
        expect(hex(proof)).toEqual(hex(refPATH(i, leaves.slice(0, n))));
        expect(hex(await inclusionProof(i, n, tree.read))).toEqual(hex(proof));
        expect(verifyInclusion(leaves[i]!, i, n, proof, roots[n]!)).toBe(true);
      }
    }
  });

  it('every consistency proof equals PROOF(m, D[n]) and verifies', async () => {
    for (let n = 0; n <= MAX; n++) {
      for (let m = 0; m <= n; m++) {
        const proof = tree.consistencyProof(m, n);
        expect(hex(proof)).toEqual(hex(refPROOF(m === n ? 0 : m, leaves.slice(0, n))));
        expect(hex(await consistencyProof(m, n, tree.read))).toEqual(hex(proof));
        expect(verifyConsistency(m, n, roots[m]!, roots[n]!, proof)).toBe(true);
      }
    }
  });
});

describe('tampering is detected', () => {
  it('any single-byte change of an inclusion proof element, the leaf or the root fails', () => {
    const accepted: string[] = [];
    for (let n = 1; n <= MAX; n++) {
      for (let i = 0; i < n; i++) {
        const proof = tree.inclusionProof(i, n);
        for (let e = 0; e < proof.length; e++) {
          for (const at of TWEAKED_BYTES) {
            const bad = proof.map((p, j) => (j === e ? tweak(p, at) : p));
            if (verifyInclusion(leaves[i]!, i, n, bad, roots[n]!))
              accepted.push(`n=${n} i=${i} e=${e} at=${at}`);
          }
        }
        for (const at of TWEAKED_BYTES) {
          if (verifyInclusion(tweak(leaves[i]!, at), i, n, proof, roots[n]!))
            accepted.push(`leaf n=${n} i=${i}`);
          if (verifyInclusion(leaves[i]!, i, n, proof, tweak(roots[n]!, at)))
            accepted.push(`root n=${n} i=${i}`);
        }
      }
    }
    expect(accepted).toEqual([]);
  });

  it('any single-byte change of a consistency proof element or of either root fails', () => {
    const accepted: string[] = [];
    for (let n = 1; n <= MAX; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = tree.consistencyProof(m, n);
        for (let e = 0; e < proof.length; e++) {
          for (const at of TWEAKED_BYTES) {
            const bad = proof.map((p, j) => (j === e ? tweak(p, at) : p));
            if (verifyConsistency(m, n, roots[m]!, roots[n]!, bad))
              accepted.push(`m=${m} n=${n} e=${e} at=${at}`);
          }
        }
        for (const at of TWEAKED_BYTES) {
          if (verifyConsistency(m, n, tweak(roots[m]!, at), roots[n]!, proof))
            accepted.push(`old m=${m} n=${n}`);
          if (verifyConsistency(m, n, roots[m]!, tweak(roots[n]!, at), proof))
            accepted.push(`new m=${m} n=${n}`);
        }
      }
    }
    expect(accepted).toEqual([]);
  });

  it('a proof checked against another index or size fails', () => {
    const accepted: string[] = [];
    for (let n = 1; n <= MAX; n++) {
      for (let i = 0; i < n; i++) {
        const proof = tree.inclusionProof(i, n);
        for (let j = 0; j < n; j++) {
          if (j !== i && verifyInclusion(leaves[i]!, j, n, proof, roots[n]!)) accepted.push(`i=${i} as ${j}`);
        }
        for (let size = 1; size <= MAX; size++) {
          if (size !== n && verifyInclusion(leaves[i]!, i, size, proof, roots[size]!))
            accepted.push(`n=${n} as ${size}`);
        }
        expect(verifyInclusion(leaves[i]!, n + i, n, proof, roots[n]!)).toBe(false);
        expect(verifyInclusion(leaves[i]!, i, n, [...proof, leaves[0]!], roots[n]!)).toBe(false);
        if (proof.length > 0)
          expect(verifyInclusion(leaves[i]!, i, n, proof.slice(1), roots[n]!)).toBe(false);
      }
    }
    expect(accepted).toEqual([]);
  });

  it('a consistency proof checked against other sizes fails', () => {
    const accepted: string[] = [];
    for (let n = 2; n <= MAX; n++) {
      for (let m = 1; m < n; m++) {
        const proof = tree.consistencyProof(m, n);
        for (let other = 1; other <= MAX; other++) {
          if (other !== m && other <= n) {
            if (verifyConsistency(other, n, roots[other]!, roots[n]!, proof))
              accepted.push(`m=${m} as ${other}`);
          }
          if (other !== n && other >= m) {
            if (verifyConsistency(m, other, roots[m]!, roots[other]!, proof))
              accepted.push(`n=${n} as ${other}`);
          }
        }
        expect(verifyConsistency(m, n, roots[m]!, roots[n]!, [])).toBe(false);
        expect(verifyConsistency(n, m, roots[n]!, roots[m]!, proof)).toBe(false);
      }
    }
    expect(accepted).toEqual([]);
  });

  it('the trivial consistency cases need an empty proof and matching roots', () => {
    expect(verifyConsistency(0, 5, EMPTY_ROOT, roots[5]!, [])).toBe(true);
    expect(verifyConsistency(0, 5, roots[1]!, roots[5]!, [])).toBe(false);
    expect(verifyConsistency(0, 5, EMPTY_ROOT, roots[5]!, [roots[1]!])).toBe(false);
    expect(verifyConsistency(5, 5, roots[5]!, roots[5]!, [])).toBe(true);
    expect(verifyConsistency(5, 5, roots[5]!, roots[4]!, [])).toBe(false);
    expect(verifyConsistency(5, 5, roots[5]!, roots[5]!, [roots[5]!])).toBe(false);
  });

  it('malformed proof elements fail instead of throwing', () => {
    const proof = tree.inclusionProof(3, 10);
    expect(verifyInclusion(leaves[3]!, 3, 10, [...proof.slice(0, -1), new Uint8Array(31)], roots[10]!)).toBe(
      false,
    );
    expect(verifyConsistency(3, 10, roots[3]!, roots[10]!, [new Uint8Array(0)])).toBe(false);
  });
});

describe('appending to a stored tree', () => {
  it('nodesCompletedByAppend stores exactly the perfect subtrees, reading only stored nodes', async () => {
    const store = new Map<string, Hash>();
    const reads: string[] = [];
    const read: NodeReader = async (level, index) => {
      reads.push(`${level}/${index}`);
      const hash = store.get(`${level}/${index}`);
      if (!hash) throw new Error(`not stored: ${level}/${index}`);
      return hash;
    };
    for (let i = 0; i < MAX; i++) {
      const readsBefore = reads.length;
      const nodes = await nodesCompletedByAppend(i, leaves[i]!, read);
      let trailingOnes = 0;
      while ((i >> trailingOnes) & 1) trailingOnes++;
      // Each completed subtree above the leaf needs its left sibling, read from the store: one read per level.
      expect(reads.slice(readsBefore)).toHaveLength(trailingOnes);
      expect(nodes).toHaveLength(trailingOnes + 1);
      for (const node of nodes) {
        expect((node.index + 1) * 2 ** node.level).toBe(i + 1);
        expect(toHex(node.hash)).toBe(toHex(tree.read(node.level, node.index) as Hash));
        store.set(`${node.level}/${node.index}`, node.hash);
      }
      expect(toHex(await treeRoot(i + 1, read))).toBe(toHex(roots[i + 1]!));
    }
    // 64 leaves make 127 perfect subtrees.
    expect(store.size).toBe(2 * MAX - 1);
  });
});

describe('cost grows with log n', () => {
  // Fabricated nodes: not a consistent tree, but enough to count reads and check each lies inside the tree.
  const counting = (size: number) => {
    let count = 0;
    const read: NodeReader = (level, index) => {
      count++;
      if (!Number.isInteger(level) || !Number.isInteger(index) || level < 0 || index < 0) {
        throw new Error(`bad coordinates ${level}/${index}`);
      }
      if ((index + 1) * 2 ** level > size)
        throw new Error(`node ${level}/${index} is not complete at size ${size}`);
      return sha(new TextEncoder().encode(`${level}/${index}`));
    };
    return { read, count: () => count };
  };
  const n = 1_000_000;
  const budget = 4 * Math.log2(n);

  it(`treeRoot, inclusionProof and consistencyProof at n = ${n} stay under 4·log2(n) reads`, async () => {
    const counts: number[] = [];
    for (const size of [n, n - 1, 2 ** 19, 2 ** 20 - 1]) {
      const root = counting(size);
      await treeRoot(size, root.read);
      counts.push(root.count());
      for (const i of [0, 1, 12_345, Math.floor(size / 2), size - 2, size - 1]) {
        const incl = counting(size);
        expect(await inclusionProof(i, size, incl.read)).not.toHaveLength(0);
        counts.push(incl.count());
      }
      for (const from of [1, 2, 3, 1000, 2 ** 18 + 1, size - 1]) {
        const cons = counting(size);
        await consistencyProof(from, size, cons.read);
        counts.push(cons.count());
      }
    }
    expect(Math.max(...counts)).toBeLessThan(budget);
  });

  it('a sampled leaf in a 100,000-leaf tree proves into the root', () => {
    const big = new MemoryTree(
      Array.from({ length: 100_000 }, (_, i) => leafHash(Uint8Array.of(i & 255, i >> 8))),
    );
    for (const [i, size] of [
      [0, 100_000],
      [99_999, 100_000],
      [65_535, 65_537],
      [4_242, 77_777],
    ] as const) {
      const leaf = big.read(0, i) as Hash;
      expect(verifyInclusion(leaf, i, size, big.inclusionProof(i, size), big.root(size))).toBe(true);
      expect(
        verifyConsistency(i + 1, size, big.root(i + 1), big.root(size), big.consistencyProof(i + 1, size)),
      ).toBe(true);
    }
  });
});

describe('argument checks name the function', () => {
  it('rejects out-of-range or non-integer sizes and indices', async () => {
    await expect(treeRoot(-1, tree.read)).rejects.toThrow(/treeRoot: size/);
    await expect(treeRoot(1.5, tree.read)).rejects.toThrow(/treeRoot/);
    await expect(inclusionProof(5, 5, tree.read)).rejects.toThrow(
      /inclusionProof: leafIndex must be an integer in \[0, 4\], got 5/,
    );
    await expect(consistencyProof(3, 2, tree.read)).rejects.toThrow(
      /consistencyProof: from must be an integer in \[0, 2\], got 3/,
    );
    await expect(nodesCompletedByAppend(0, new Uint8Array(3), tree.read)).rejects.toThrow(
      /nodesCompletedByAppend/,
    );
    expect(() => tree.root(MAX + 1)).toThrow(/MemoryTree.root/);
    expect(() => tree.inclusionProof(0, MAX + 1)).toThrow(/MemoryTree.inclusionProof/);
    expect(() => tree.consistencyProof(2, 1)).toThrow(/MemoryTree.consistencyProof/);
    expect(() => verifyInclusion(leaves[0]!, -1, 1, [], roots[1]!)).toThrow(/verifyInclusion: leafIndex/);
    expect(() => verifyConsistency(1, 2, roots[1]!, new Uint8Array(5), [])).toThrow(
      /verifyConsistency: toRoot/,
    );
  });

  it('rejects a reader that returns something other than a 32-byte hash', async () => {
    await expect(treeRoot(3, () => new Uint8Array(4))).rejects.toThrow(/treeRoot: node/);
  });
});
