// The auditor's witness quorum over notes: the latest checkpoint and a receipt's, with cosignatures found on any
// published copy of the same checkpoint, distinct witnesses only, and the newest size each cosigned.
import { describe, expect, it } from 'vitest';
import { keyPairFromSecret } from '../../src/crypto/ed25519.js';
import { leafHash, MemoryTree } from '../../src/transcript/merkle.js';
import {
  addSignatureLines,
  cosignCheckpoint,
  formatCheckpoint,
  signNote,
} from '../../src/transcript/note.js';
import { checkWitnessQuorum } from '../../src/verify/witness-check.js';
import { encodeCosignerKey } from '../../src/witness/cosigner-key.js';

const log = keyPairFromSecret(new Uint8Array(32).fill(1));
const w = [2, 3, 4].map((b) => keyPairFromSecret(new Uint8Array(32).fill(b)));
const names = ['w.test/a', 'w.test/b', 'w.test/c'];
const vkeys = w.map((k, i) => encodeCosignerKey(names[i] as string, k.publicKey));
const tree = new MemoryTree();
for (let i = 0; i < 6; i++) tree.append(leafHash(Uint8Array.of(i)));
const body = (size: number) =>
  formatCheckpoint({ origin: 'log.test/ceremonies/x', size, rootHash: tree.root(size) });
const note = (size: number, by: number[]) => {
  const signed = signNote(body(size), 'log.test', log);
  const lines = by.map((i) => cosignCheckpoint(body(size), names[i] as string, w[i]!, 1_700_000_000 + size));
  return lines.length === 0 ? signed : addSignatureLines(signed, lines);
};

describe('checkWitnessQuorum', () => {
  it('passes with K distinct listed witnesses on the latest checkpoint and names the newest size each cosigned', () => {
    const verdict = checkWitnessQuorum({
      witnesses: vkeys,
      quorum: 2,
      latest: note(6, [0, 1]),
      notes: [note(3, [2])],
    });
    expect(verdict.status).toBe('pass');
    expect(verdict.detail).toContain(
      'w.test/a cosigned up to size 6, w.test/b cosigned up to size 6, w.test/c cosigned up to size 3',
    );
  });

  it('fails below the quorum, and one witness listed twice is refused rather than counted twice', () => {
    expect(
      checkWitnessQuorum({ witnesses: vkeys, quorum: 3, latest: note(6, [0, 1]), notes: [] }),
    ).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('has 2 of 3 witness cosignatures'),
    });
    const twice = [vkeys[0] as string, vkeys[0] as string];
    expect(checkWitnessQuorum({ witnesses: twice, quorum: 2, latest: note(6, [0]), notes: [] }).status).toBe(
      'fail',
    );
  });

  it("counts a receipt's checkpoint as cosigned when a published copy of it carries the lines, and fails it otherwise", () => {
    const latest = note(6, [0, 1]);
    const receipt = note(4, []);
    expect(
      checkWitnessQuorum({
        witnesses: vkeys,
        quorum: 2,
        latest,
        notes: [note(4, [0, 2])],
        receiptCheckpoints: [receipt],
      }).status,
    ).toBe('pass');
    const verdict = checkWitnessQuorum({
      witnesses: vkeys,
      quorum: 2,
      latest,
      notes: [note(4, [0])],
      receiptCheckpoints: [receipt],
    });
    expect(verdict).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining("the receipt's checkpoint (size 4) has 1 of 2"),
    });
  });

  it('a cosignature on another body (a different root at that size) does not count', () => {
    const forged = note(6, []).replace(body(6), body(6).replace(/\n[^\n]+\n$/, `\n${'A'.repeat(43)}=\n`));
    const other = addSignatureLines(signNote(forged.split('\n\n')[0] + '\n', 'log.test', log), [
      cosignCheckpoint(forged.split('\n\n')[0] + '\n', names[0] as string, w[0]!, 1),
    ]);
    expect(
      checkWitnessQuorum({ witnesses: vkeys, quorum: 1, latest: note(6, []), notes: [other] }).status,
    ).toBe('fail');
  });

  it('skips without witnesses', () => {
    expect(checkWitnessQuorum({ witnesses: [], quorum: 0, latest: note(6, []), notes: [] }).status).toBe(
      'skip',
    );
  });
});
