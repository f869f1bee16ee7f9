// The status board against a naive count from the database: after every join, leave, heartbeat silence, deadline,
// upload, acceptance, rejection, revocation and restart (a fresh board over the same database), each participant's
// state and position and the ceremony view's holders, waiting counts and queue length are what counting says.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeParticipant } from '../../src/ceremony/admin.js';
import { createCeremony, getCeremonyView, openCeremony } from '../../src/ceremony/ceremonies.js';
import { withCeremonyLock } from '../../src/ceremony/ceremony-row.js';
import { registerParticipant } from '../../src/ceremony/participants.js';
import { heartbeat, joinQueue, leaveQueue, tickQueues } from '../../src/ceremony/queue.js';
import type { Services } from '../../src/ceremony/services.js';
import { StatusBoard } from '../../src/ceremony/status-board.js';
import { advanceTurns, endTurn, markTurnVerifying } from '../../src/ceremony/turns.js';
import type { Participant } from '../../src/ceremony/types.js';
import { generateKeyPair } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { createTestDomain, type TestDomain } from '../helpers/domain.js';

const CIRCUITS = ['c1', 'c2'];
const PEOPLE = 6;

type Op =
  | { do: 'join' | 'leave' | 'heartbeat' | 'revoke'; who: number }
  | { do: 'upload' | 'accept' | 'reject'; circuit: number }
  | { do: 'wait'; seconds: number }
  | { do: 'restart' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ do: fc.constant('join' as const), who: fc.nat({ max: PEOPLE - 1 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({ do: fc.constant('leave' as const), who: fc.nat({ max: PEOPLE - 1 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ do: fc.constant('heartbeat' as const), who: fc.nat({ max: PEOPLE - 1 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ do: fc.constant('revoke' as const), who: fc.nat({ max: PEOPLE - 1 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      do: fc.constantFrom('upload' as const, 'accept' as const, 'reject' as const),
      circuit: fc.nat({ max: CIRCUITS.length - 1 }),
    }),
  },
  // Past the 30 s grace (silence) or the 60 s turn timeout (deadline), or just a little.
  {
    weight: 2,
    arbitrary: fc.record({ do: fc.constant('wait' as const), seconds: fc.constantFrom(5, 31, 61) }),
  },
  { weight: 1, arbitrary: fc.constant({ do: 'restart' as const }) },
);

interface NaiveRow {
  participant_id: string;
  circuit_name: string;
  state: string;
  ahead: number;
}

/** The count the board replaces: turns ahead of each pending turn, read from the table. */
async function countFromTables(
  s: Services,
  ceremonyId: string,
): Promise<Map<string, { state: string; ahead: number }>> {
  const rows = await s.db.query<NaiveRow>(
    `SELECT t.participant_id, t.circuit_name, t.state,
       CASE WHEN t.state = 'waiting' THEN
         (SELECT count(*)::int FROM turns o WHERE o.ceremony_id = t.ceremony_id AND o.circuit_name = t.circuit_name
            AND (o.state IN ('active', 'verifying') OR (o.state = 'waiting' AND o.queue_pos < t.queue_pos)))
         ELSE 0 END AS ahead
     FROM turns t WHERE t.ceremony_id = $1 AND t.state IN ('waiting', 'active', 'verifying')`,
    [ceremonyId],
  );
  return new Map(
    rows.map((r) => [`${r.participant_id}/${r.circuit_name}`, { state: r.state, ahead: r.ahead }]),
  );
}

describe('status board', () => {
  let domain: TestDomain;
  let run = 0;
  beforeAll(async () => {
    domain = await createTestDomain({ HEARTBEAT_GRACE_SECONDS: '30', REJOIN_COOLDOWN_SECONDS: '0' });
  });
  afterAll(async () => {
    await domain?.close();
  });

  it('shows the positions and the view that counting the tables gives, through any sequence of changes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 25 }), async (ops) => {
        run += 1;
        const ceremonyId = `board-${run}`;
        // Seconds on the domain's clock; each run starts well after the last one ended.
        let clock = run * 100_000;
        domain.setClock(clock);
        let board = new StatusBoard(domain.services.db, 5);
        const s: Services = {
          ...domain.services,
          get board() {
            return board;
          },
          events: { ceremonyChanged: (id) => board.invalidate(id), jobQueued: () => undefined },
        };
        await createCeremony(s, domain.coordinatorKey, {
          id: ceremonyId,
          title: 'board',
          timeoutSeconds: 60,
        });
        for (const [position, name] of CIRCUITS.entries()) {
          const sha = String(position + 1).repeat(64);
          await s.db.query(
            `INSERT INTO circuits (ceremony_id, name, position, status, r1cs_sha256, ptau_sha256,
               initial_zkey_sha256, latest_zkey_sha256) VALUES ($1, $2, $3, 'ready', $4, $4, $4, $4)`,
            [ceremonyId, name, position, sha],
          );
        }
        const people: Participant[] = [];
        for (let i = 0; i < PEOPLE; i++) {
          const publicKey = toHex(generateKeyPair().publicKey);
          people.push(await registerParticipant(s, ceremonyId, { name: `p${i}`, publicKey }));
        }
        // Read once before the ceremony opens, so every later change reaches the board as a catch-up.
        expect((await board.view(ceremonyId)).queueLength).toBe(0);
        await openCeremony(s, ceremonyId);
        const revoked = new Set<number>();

        const holderTurn = (circuit: string, state: string) =>
          s.db.query<{ id: number; participant_id: string }>(
            `SELECT id, participant_id FROM turns WHERE ceremony_id = $1 AND circuit_name = $2 AND state = $3`,
            [ceremonyId, circuit, state],
          );

        for (const step of ops) {
          switch (step.do) {
            case 'join':
              // A revoked key is refused before the domain is reached (participantOf), as over HTTP.
              if (!revoked.has(step.who)) await joinQueue(s, people[step.who] as Participant);
              break;
            case 'leave':
              await leaveQueue(s, people[step.who] as Participant);
              break;
            case 'heartbeat':
              await heartbeat(s, people[step.who] as Participant);
              break;
            case 'revoke':
              if (revoked.has(step.who)) break;
              await revokeParticipant(s, ceremonyId, (people[step.who] as Participant).participantId);
              revoked.add(step.who);
              break;
            case 'upload': {
              const [turn] = await holderTurn(CIRCUITS[step.circuit] ?? '', 'active');
              if (turn) await withCeremonyLock(s, ceremonyId, (tx) => markTurnVerifying(tx, turn.id));
              break;
            }
            case 'accept':
            case 'reject': {
              const [turn] = await holderTurn(CIRCUITS[step.circuit] ?? '', 'verifying');
              if (turn)
                await withCeremonyLock(s, ceremonyId, async (tx, ceremony) => {
                  await endTurn(tx, ceremonyId, turn, step.do === 'accept' ? 'done' : 'rejected', s.clock());
                  await advanceTurns(tx, s, ceremony, s.clock());
                });
              break;
            }
            case 'wait':
              clock += step.seconds;
              domain.setClock(clock);
              await tickQueues(s);
              break;
            case 'restart':
              board = new StatusBoard(s.db, 5);
              break;
          }

          const counted = await countFromTables(s, ceremonyId);
          for (const [i, p] of people.entries()) {
            if (revoked.has(i)) {
              await expect(board.participantByKey(ceremonyId, p.publicKey)).rejects.toMatchObject({
                code: 'FORBIDDEN',
              });
              continue;
            }
            const status = await board.participantStatus(ceremonyId, p);
            for (const c of status.circuits) {
              const truth = counted.get(`${p.participantId}/${c.circuit}`);
              expect(
                { who: p.name, circuit: c.circuit, state: c.state, position: c.position },
                step.do,
              ).toEqual({
                who: p.name,
                circuit: c.circuit,
                state: truth?.state ?? 'none',
                position: truth?.ahead ?? null,
              });
            }
          }
          const view = await board.view(ceremonyId);
          const fromTables = await getCeremonyView(s.db, ceremonyId);
          expect(view, step.do).toEqual(fromTables);
        }
      }),
      { numRuns: 10, endOnFailure: true },
    );
  }, 120_000);
});
