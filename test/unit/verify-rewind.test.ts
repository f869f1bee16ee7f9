// A `circuit.rewound` entry voids exactly the circuit's contributions after its index: the audit leaves them out of
// the chain and the count, and a rewind that names other contributions (or another zkey) voids nothing and fails.
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/transcript/canonical-json.js';
import type { EntryType, TranscriptEntry } from '../../src/transcript/entry.js';
import { checkChain } from '../../src/verify/contribution-checks.js';
import { readFacts } from '../../src/verify/facts.js';

const hex = (c: string, bytes = 32) => c.repeat(bytes * 2);
const zkey = (n: number) => hex(String(n));

function log(...bodies: [EntryType, { [k: string]: JsonValue }][]): TranscriptEntry[] {
  return bodies.map(([type, body], seq) => ({
    v: 1,
    ceremony: 'c',
    seq,
    type,
    time: '2026-01-01T00:00:00Z',
    prev: hex('0'),
    body,
  }));
}

const added: [EntryType, { [k: string]: JsonValue }] = [
  'circuit.added',
  {
    circuit: 'main',
    r1csSha256: hex('a'),
    ptauSha256: hex('b'),
    initialZkeySha256: zkey(0),
    constraints: 4,
    power: 3,
  },
];
const who: [EntryType, { [k: string]: JsonValue }] = [
  'participant.registered',
  { participantId: 'p1', name: 'alice', publicKey: hex('c') },
];
const accepted = (index: number, prev: number, next: number): [EntryType, { [k: string]: JsonValue }] => [
  'contribution.accepted',
  {
    circuit: 'main',
    index,
    participantId: 'p1',
    prevZkeySha256: zkey(prev),
    zkeySha256: zkey(next),
    contributionHash: hex('d', 64),
    attestation: 'x',
  },
];
const rewound = (
  toIndex: number,
  at: number,
  voidedIndexes: number[],
): [EntryType, { [k: string]: JsonValue }] => [
  'circuit.rewound',
  { circuit: 'main', toIndex, zkeySha256: zkey(at), voidedIndexes },
];

describe('rewinds in the audit', () => {
  it('leaves voided contributions out of the chain and the count', () => {
    const facts = readFacts(
      log(added, who, accepted(1, 0, 1), accepted(2, 1, 2), rewound(1, 1, [2]), accepted(2, 1, 3)),
    );
    expect(facts.voided.map((v) => v.index)).toEqual([2]);
    expect(facts.accepted.map((a) => a.zkeySha256)).toEqual([zkey(1), zkey(3)]);
    const verdict = checkChain(facts);
    expect(verdict).toMatchObject({ status: 'pass' });
    expect(verdict.detail).toMatch(/\(main: 2\); 1 voided by a rewind, not counted/);
  });

  it('a rewind naming other contributions than those after its index voids nothing and fails the chain', () => {
    const facts = readFacts(
      log(added, who, accepted(1, 0, 1), accepted(2, 1, 2), rewound(0, 0, [2]), accepted(1, 0, 3)),
    );
    expect(facts.voided).toEqual([]);
    expect(checkChain(facts)).toMatchObject({ status: 'fail' });
    expect(checkChain(facts).detail).toMatch(
      /voidedIndexes \[2\] are not the accepted contributions after #0/,
    );
  });

  it('a rewind naming another zkey than the one at its index fails the chain', () => {
    const facts = readFacts(log(added, who, accepted(1, 0, 1), rewound(0, 5, [1]), accepted(1, 0, 3)));
    expect(checkChain(facts).detail).toMatch(/zkeySha256 is not the zkey of main #0/);
  });
});
