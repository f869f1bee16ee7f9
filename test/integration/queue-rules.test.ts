// The queue rules as a table: each case is a script of participant actions at given clock readings, with the
// circuit holders expected after each step and the `turn.expired` entries expected at the end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closeCeremony,
  createCeremony,
  getCeremonyView,
  openCeremony,
} from '../../src/ceremony/ceremonies.js';
import { withCeremonyLock } from '../../src/ceremony/ceremony-row.js';
import { registerParticipant } from '../../src/ceremony/participants.js';
import { heartbeat, joinQueue, leaveQueue, participantStatus, tickQueues } from '../../src/ceremony/queue.js';
import { advanceTurns, endTurn, markTurnVerifying } from '../../src/ceremony/turns.js';
import type { Participant } from '../../src/ceremony/types.js';
import { generateKeyPair } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { decodeEntryLine } from '../../src/transcript/entry.js';
import { createTestDomain, type TestDomain } from '../helpers/domain.js';

type Action = 'join' | 'leave' | 'heartbeat' | 'tick' | 'upload' | 'accept' | 'reject' | 'close' | 'restart';

interface Step {
  /** Seconds after the epoch of the test clock. */
  at: number;
  do: Action;
  who?: string;
  circuit?: string;
  /** Who holds each circuit after the step ('-' for nobody), in circuit order. */
  holders?: string[];
  /** The participant's state on each circuit after the step, in circuit order. */
  states?: Record<string, string[]>;
  /** The catalogue code the step is refused with (nothing changes). */
  refused?: string;
}

interface Case {
  name: string;
  circuits: string[];
  who: string[];
  timeoutSeconds: number;
  startsAt?: number;
  endsAt?: number;
  steps: Step[];
  expired: [string, string, string][];
}

// Heartbeat grace is 30 s in every case.
const cases: Case[] = [
  {
    name: 'a turn ends at its deadline, not before, and passes to the next in line',
    circuits: ['c1'],
    who: ['a', 'b'],
    timeoutSeconds: 20,
    steps: [
      { at: 0, do: 'join', who: 'a', holders: ['a'] },
      { at: 1, do: 'join', who: 'b', holders: ['a'], states: { b: ['waiting'] } },
      { at: 15, do: 'heartbeat', who: 'a' },
      { at: 15, do: 'heartbeat', who: 'b' },
      { at: 20, do: 'tick', holders: ['a'] },
      { at: 21, do: 'tick', holders: ['b'], states: { a: ['none'], b: ['active'] } },
    ],
    expired: [['a', 'c1', 'deadline']],
  },
  {
    name: 'silence past the heartbeat grace loses an active turn and a place in line',
    circuits: ['c1'],
    who: ['a', 'b', 'c'],
    timeoutSeconds: 600,
    steps: [
      { at: 0, do: 'join', who: 'a' },
      { at: 0, do: 'join', who: 'b' },
      { at: 0, do: 'join', who: 'c', holders: ['a'] },
      { at: 25, do: 'heartbeat', who: 'b' },
      { at: 30, do: 'tick', holders: ['a'] },
      { at: 31, do: 'tick', holders: ['b'], states: { c: ['none'] } },
    ],
    expired: [['a', 'c1', 'heartbeat']],
  },
  {
    name: 'a coordinator restart does not count its own downtime as silence',
    circuits: ['c1'],
    who: ['a', 'b'],
    timeoutSeconds: 600,
    steps: [
      { at: 0, do: 'join', who: 'a' },
      { at: 0, do: 'join', who: 'b', holders: ['a'] },
      // Down from a few seconds in until 60 s: nobody could heartbeat; the grace starts again at the restart.
      { at: 60, do: 'restart' },
      { at: 61, do: 'tick', holders: ['a'], states: { b: ['waiting'] } },
      { at: 90, do: 'tick', holders: ['a'], states: { b: ['waiting'] } },
      { at: 91, do: 'tick', holders: ['-'], states: { a: ['none'], b: ['none'] } },
    ],
    expired: [['a', 'c1', 'heartbeat']],
  },
  {
    name: 'leaving gives the turn to the next in line at once',
    circuits: ['c1'],
    who: ['a', 'b'],
    timeoutSeconds: 600,
    steps: [
      { at: 0, do: 'join', who: 'a' },
      { at: 1, do: 'join', who: 'b', holders: ['a'] },
      { at: 5, do: 'leave', who: 'a', holders: ['b'], states: { a: ['none'] } },
      { at: 6, do: 'leave', who: 'b', holders: ['-'] },
    ],
    expired: [
      ['a', 'c1', 'left'],
      ['b', 'c1', 'left'],
    ],
  },
  {
    name: 'a participant does circuits in order; an accepted contribution moves them to the next circuit',
    circuits: ['c1', 'c2'],
    who: ['a', 'b'],
    timeoutSeconds: 600,
    steps: [
      { at: 0, do: 'join', who: 'a', holders: ['a', '-'], states: { a: ['active', 'waiting'] } },
      { at: 1, do: 'join', who: 'b', holders: ['a', '-'] },
      {
        at: 2,
        do: 'upload',
        who: 'a',
        circuit: 'c1',
        holders: ['a', '-'],
        states: { a: ['verifying', 'waiting'] },
      },
      {
        at: 3,
        do: 'accept',
        who: 'a',
        circuit: 'c1',
        holders: ['b', 'a'],
      },
    ],
    expired: [],
  },
  {
    name: 'a rejection ends the turn and the rest of the pass; joining again resumes',
    circuits: ['c1', 'c2'],
    who: ['a', 'b'],
    timeoutSeconds: 600,
    steps: [
      { at: 0, do: 'join', who: 'a' },
      { at: 1, do: 'join', who: 'b' },
      { at: 2, do: 'upload', who: 'a', circuit: 'c1' },
      { at: 3, do: 'reject', who: 'a', circuit: 'c1', holders: ['b', '-'], states: { a: ['none', 'none'] } },
      { at: 4, do: 'join', who: 'a', holders: ['b', '-'], states: { a: ['waiting', 'waiting'] } },
    ],
    expired: [],
  },
  {
    name: 'a verification in flight keeps the circuit past the deadline',
    circuits: ['c1'],
    who: ['a', 'b'],
    timeoutSeconds: 20,
    steps: [
      { at: 0, do: 'join', who: 'a' },
      { at: 1, do: 'join', who: 'b' },
      { at: 10, do: 'upload', who: 'a', circuit: 'c1' },
      { at: 19, do: 'heartbeat', who: 'b' },
      { at: 25, do: 'tick', holders: ['a'] },
      { at: 26, do: 'accept', who: 'a', circuit: 'c1', holders: ['b'] },
    ],
    expired: [],
  },
  {
    name: 'closing expires active turns and drops the line',
    circuits: ['c1', 'c2'],
    who: ['a', 'b'],
    timeoutSeconds: 600,
    steps: [
      { at: 0, do: 'join', who: 'a' },
      { at: 1, do: 'join', who: 'b', holders: ['a', '-'] },
      { at: 5, do: 'close', holders: ['-', '-'], states: { a: ['none', 'none'], b: ['none', 'none'] } },
    ],
    expired: [['a', 'c1', 'closed']],
  },
  {
    name: 'no turn starts before startsAt',
    circuits: ['c1'],
    who: ['a'],
    timeoutSeconds: 600,
    startsAt: 100,
    steps: [
      { at: 80, do: 'join', who: 'a', holders: ['-'], states: { a: ['waiting'] } },
      { at: 99, do: 'tick', holders: ['-'] },
      { at: 100, do: 'tick', holders: ['a'] },
    ],
    expired: [],
  },
  {
    name: 'no turn starts at or after endsAt',
    circuits: ['c1'],
    who: ['a', 'b'],
    timeoutSeconds: 600,
    endsAt: 50,
    steps: [
      { at: 0, do: 'join', who: 'a' },
      { at: 1, do: 'join', who: 'b', holders: ['a'] },
      { at: 25, do: 'heartbeat', who: 'b' },
      { at: 50, do: 'leave', who: 'a', holders: ['-'], states: { b: ['waiting'] } },
    ],
    expired: [['a', 'c1', 'left']],
  },
  {
    name: 'a participant who left may join again only after the cool-down (30 s)',
    circuits: ['c1'],
    who: ['a'],
    timeoutSeconds: 600,
    steps: [
      { at: 0, do: 'join', who: 'a', holders: ['a'] },
      { at: 5, do: 'leave', who: 'a', holders: ['-'] },
      { at: 20, do: 'join', who: 'a', refused: 'RATE_LIMITED', holders: ['-'], states: { a: ['none'] } },
      { at: 35, do: 'join', who: 'a', holders: ['a'] },
    ],
    expired: [['a', 'c1', 'left']],
  },
];

const fakeSha = (n: number) => n.toString(16).padStart(64, '0');

describe('queue rules on an injected clock', () => {
  let domain: TestDomain;
  beforeAll(async () => {
    domain = await createTestDomain({ HEARTBEAT_GRACE_SECONDS: '30' });
  });
  afterAll(async () => {
    await domain?.close();
  });

  cases.forEach((c, caseIndex) => {
    it(c.name, async () => {
      let s = domain.services;
      const ceremonyId = `rules-${caseIndex}`;
      domain.setClock(-10);
      await createCeremony(s, domain.coordinatorKey, {
        id: ceremonyId,
        title: c.name,
        timeoutSeconds: c.timeoutSeconds,
        ...(c.startsAt === undefined ? {} : { startsAt: domain.at(c.startsAt).toISOString() }),
        ...(c.endsAt === undefined ? {} : { endsAt: domain.at(c.endsAt).toISOString() }),
      });
      // Circuits enter ready, as after their setup job: the queue rules never read the zkeys.
      for (const [position, name] of c.circuits.entries()) {
        await s.db.query(
          `INSERT INTO circuits (ceremony_id, name, position, status, r1cs_sha256, ptau_sha256,
             initial_zkey_sha256, latest_zkey_sha256)
           VALUES ($1, $2, $3, 'ready', $4, $4, $4, $4)`,
          [ceremonyId, name, position, fakeSha(position + 1)],
        );
      }
      const people = new Map<string, Participant>();
      for (const name of c.who) {
        const publicKey = toHex(generateKeyPair().publicKey);
        people.set(name, await registerParticipant(s, ceremonyId, { name, publicKey }));
      }
      await openCeremony(s, ceremonyId);
      const person = (name: string | undefined) => {
        const p = name === undefined ? undefined : people.get(name);
        if (!p) throw new Error(`no participant '${name}' in the case`);
        return p;
      };
      const nameOf = (id: string | null) =>
        id === null ? '-' : ([...people.values()].find((p) => p.participantId === id)?.name ?? id);
      const settle = (who: Participant, circuit: string, outcome: 'done' | 'rejected') =>
        withCeremonyLock(s, ceremonyId, async (tx, ceremony) => {
          const [turn] = await tx.query<{ id: number; participant_id: string }>(
            `SELECT id, participant_id FROM turns
             WHERE ceremony_id = $1 AND circuit_name = $2 AND participant_id = $3 AND state = 'verifying'`,
            [ceremonyId, circuit, who.participantId],
          );
          if (!turn) throw new Error(`${who.name} is not verifying on ${circuit}`);
          await endTurn(tx, ceremonyId, turn, outcome, s.clock());
          await advanceTurns(tx, s, ceremony, s.clock());
        });

      for (const step of c.steps) {
        domain.setClock(step.at);
        const where = `${c.name}: ${step.do} ${step.who ?? ''} at ${step.at}`;
        switch (step.do) {
          case 'join':
            if (step.refused !== undefined) {
              await expect(joinQueue(s, person(step.who)), where).rejects.toMatchObject({
                code: step.refused,
              });
              break;
            }
            await joinQueue(s, person(step.who));
            break;
          case 'leave':
            await leaveQueue(s, person(step.who));
            break;
          case 'heartbeat':
            await heartbeat(s, person(step.who));
            break;
          case 'tick':
            await tickQueues(s);
            break;
          case 'restart':
            s = { ...s, startedAt: domain.at(step.at) };
            break;
          case 'close':
            await closeCeremony(s, ceremonyId);
            break;
          case 'upload':
            await withCeremonyLock(s, ceremonyId, async (tx) => {
              const [turn] = await tx.query<{ id: number }>(
                `SELECT id FROM turns WHERE ceremony_id = $1 AND circuit_name = $2 AND participant_id = $3
                   AND state = 'active'`,
                [ceremonyId, step.circuit, person(step.who).participantId],
              );
              if (!turn) throw new Error(`${where}: not an active turn`);
              await markTurnVerifying(tx, turn.id);
            });
            break;
          case 'accept':
            await settle(person(step.who), step.circuit ?? '', 'done');
            break;
          case 'reject':
            await settle(person(step.who), step.circuit ?? '', 'rejected');
            break;
        }
        if (step.holders) {
          const view = await getCeremonyView(s.db, ceremonyId);
          expect(
            view.circuits.map((k) => nameOf(k.currentParticipant)),
            where,
          ).toEqual(step.holders);
        }
        for (const [name, states] of Object.entries(step.states ?? {})) {
          const status = await participantStatus(s, person(name));
          expect(
            status.circuits.map((k) => k.state),
            `${where}: states of ${name}`,
          ).toEqual(states);
        }
      }

      const lines = await s.db.query<{ line: string }>(
        `SELECT line FROM transcript_entries WHERE ceremony_id = $1 AND type = 'turn.expired' ORDER BY seq`,
        [ceremonyId],
      );
      const expired = lines
        .map((l) => decodeEntryLine(l.line).entry.body)
        .map((b) => [nameOf(String(b.participantId)), b.circuit, b.reason]);
      expect(expired).toEqual(c.expired);
    });
  }, 20_000);
});
