// The auditor's `approvals` check on transcripts built here entry by entry: a sound quorum passes, and each way a
// server could forge, reuse or skip an approval fails by name.
import { describe, expect, it } from 'vitest';
import {
  type ApprovalAction,
  type ApprovalArguments,
  approvalMessage,
} from '../../src/approvals/approval-message.js';
import { generateKeyPair, type KeyPair, sign } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import type { JsonValue } from '../../src/transcript/canonical-json.js';
import { type EntryType, encodeEntry, GENESIS_PREV } from '../../src/transcript/entry.js';
import { checkApprovals } from '../../src/verify/approval-checks.js';
import { readLedger } from '../../src/verify/ledger.js';

const ID = 'quorum';
const [alice, bob, carol] = [generateKeyPair(), generateKeyPair(), generateKeyPair()] as [
  KeyPair,
  KeyPair,
  KeyPair,
];
const hex = (k: KeyPair) => toHex(k.publicKey);
const LATER = '2030-02-01T00:00:00.000Z';

type Step = [EntryType, { [key: string]: JsonValue }];

function transcript(steps: Step[]): string {
  let prev = GENESIS_PREV;
  return steps
    .map(([type, body], seq) => {
      const encoded = encodeEntry({
        v: 1,
        ceremony: ID,
        seq,
        type,
        time: '2030-01-01T00:00:00.000Z',
        prev,
        body,
      });
      prev = toHex(encoded.leafHash);
      return `${encoded.line}\n`;
    })
    .join('');
}

function approval(k: KeyPair, action: ApprovalAction, args: ApprovalArguments, expiresAt = LATER): Step {
  const signature = toHex(sign(approvalMessage({ ceremony: ID, action, arguments: args }), k.secretKey));
  return [
    'approval.given',
    { action, arguments: args as { [key: string]: JsonValue }, publicKey: hex(k), signature, expiresAt },
  ];
}

const start: Step[] = [
  ['ceremony.created', { title: 't', coordinator: hex(alice), approvals: 2 }],
  ['coordinator.added', { publicKey: hex(bob) }],
  ['participant.registered', { participantId: 'p1', name: 'pat', publicKey: hex(carol) }],
];
const revoke = { participantId: 'p1' };
const verdict = (steps: Step[]) => checkApprovals(readLedger(transcript(steps), ID));

describe('approvals check', () => {
  it('passes an act carried by two distinct coordinators', () => {
    const result = verdict([
      ...start,
      approval(alice, 'revoke-participant', revoke),
      approval(bob, 'revoke-participant', revoke),
      ['participant.revoked', { participantId: 'p1', approvals: [3, 4] }],
    ]);
    expect(result).toMatchObject({ status: 'pass' });
    expect(result.detail).toContain('needs 2 approvals per act; 1 act(s)');
  });

  it.each<[string, Step[], RegExp]>([
    [
      'an act without approvals',
      [...start, ['participant.revoked', { participantId: 'p1' }]],
      /without approvals/,
    ],
    [
      'one approval listed twice',
      [
        ...start,
        approval(alice, 'revoke-participant', revoke),
        ['participant.revoked', { participantId: 'p1', approvals: [3, 3] }],
      ],
      /1 distinct coordinators/,
    ],
    [
      'a signature by another key',
      [
        ...start,
        approval(alice, 'revoke-participant', revoke),
        (() => {
          const [type, body] = approval(carol, 'revoke-participant', revoke);
          return [type, { ...body, publicKey: hex(bob) }] as Step;
        })(),
        ['participant.revoked', { participantId: 'p1', approvals: [3, 4] }],
      ],
      /signature does not verify/,
    ],
    [
      'an approval from a key that never coordinated',
      [
        ...start,
        approval(alice, 'revoke-participant', revoke),
        approval(carol, 'revoke-participant', revoke),
        ['participant.revoked', { participantId: 'p1', approvals: [3, 4] }],
      ],
      /does not coordinate the ceremony/,
    ],
    [
      'approvals for another participant',
      [
        ...start,
        approval(alice, 'revoke-participant', revoke),
        approval(bob, 'revoke-participant', revoke),
        ['participant.revoked', { participantId: 'p2', approvals: [3, 4] }],
      ],
      /another participant/,
    ],
    [
      'an expired approval',
      [
        ...start,
        approval(alice, 'revoke-participant', revoke, '2029-12-31T00:00:00.000Z'),
        approval(bob, 'revoke-participant', revoke),
        ['participant.revoked', { participantId: 'p1', approvals: [3, 4] }],
      ],
      /had expired/,
    ],
    [
      'a withdrawn approval',
      [
        ...start,
        approval(alice, 'revoke-participant', revoke),
        [
          'approval.withdrawn',
          { action: 'revoke-participant', arguments: revoke, publicKey: hex(alice), approvals: [3] },
        ],
        approval(bob, 'revoke-participant', revoke),
        ['participant.revoked', { participantId: 'p1', approvals: [3, 5] }],
      ],
      /approval 3 was withdrawn/,
    ],
    [
      'approvals used by two acts',
      [
        ...start,
        approval(alice, 'add-coordinator', { publicKey: hex(carol) }),
        approval(bob, 'add-coordinator', { publicKey: hex(carol) }),
        ['coordinator.added', { publicKey: hex(carol), approvals: [3, 4] }],
        approval(alice, 'remove-coordinator', { publicKey: hex(carol) }),
        approval(bob, 'remove-coordinator', { publicKey: hex(carol) }),
        ['coordinator.removed', { publicKey: hex(carol), approvals: [6, 7] }],
        ['coordinator.added', { publicKey: hex(carol), approvals: [3, 4] }],
      ],
      /approval 3 was used before/,
    ],
    [
      'a beacon the approvals did not sign',
      [
        ...start,
        approval(alice, 'finalize', { beaconHex: 'ab', beaconSource: 's', iterationsExp: 10 }),
        approval(bob, 'finalize', { beaconHex: 'ab', beaconSource: 's', iterationsExp: 10 }),
        [
          'beacon.applied',
          {
            circuit: 'main',
            beaconHex: 'cd',
            beaconSource: 's',
            iterationsExp: 10,
            zkeySha256: '0'.repeat(64),
            contributionHash: '0'.repeat(128),
          },
        ],
        ['ceremony.finalized', { circuits: [], approvals: [3, 4] }],
      ],
      /beacon the approvals did not sign/,
    ],
  ])('fails %s', (_, steps, reason) => {
    const result = verdict(steps);
    expect(result.status).toBe('fail');
    expect(result.detail).toMatch(reason);
  });

  it('asks nothing of a ceremony where one coordinator decides', () => {
    const single: Step[] = [
      ['ceremony.created', { title: 't', coordinator: hex(alice) }],
      ['participant.registered', { participantId: 'p1', name: 'pat', publicKey: hex(carol) }],
      ['participant.revoked', { participantId: 'p1' }],
    ];
    expect(verdict(single)).toMatchObject({ status: 'pass' });
  });

  it('signs the prefix and the RFC 8785 JSON of {ceremony, action, arguments}, members sorted', () => {
    const bytes = approvalMessage({
      ceremony: 'zk-2024',
      action: 'finalize',
      arguments: { iterationsExp: 10, beaconSource: 'drand 1', beaconHex: 'ab' },
    });
    expect(new TextDecoder().decode(bytes)).toBe(
      'ceremony-approval/v1\n{"action":"finalize","arguments":{"beaconHex":"ab","beaconSource":"drand 1",' +
        '"iterationsExp":10},"ceremony":"zk-2024"}',
    );
    expect(() =>
      approvalMessage({ ceremony: 'zk-2024', action: 'finalize', arguments: { beaconHex: 'AB' } as never }),
    ).toThrow(/approvalMessage: arguments must hold exactly/);
  });

  it("ends a removed coordinator's role in the facts the key rotation check reads", () => {
    const ledger = readLedger(
      transcript([
        ...start,
        approval(alice, 'remove-coordinator', { publicKey: hex(bob) }),
        approval(bob, 'remove-coordinator', { publicKey: hex(bob) }),
        ['coordinator.removed', { publicKey: hex(bob), approvals: [3, 4] }],
      ]),
      ID,
    );
    expect(ledger.facts.coordinators).toEqual([
      { seq: 0, publicKey: hex(alice) },
      { seq: 1, publicKey: hex(bob), removedSeq: 5 },
    ]);
    expect(ledger.facts.malformed).toEqual([]);
  });
});
