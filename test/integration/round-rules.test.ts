// The rules of a round the README promises: --starts-at / --ends-at bound when turns are handed out; close drops
// waiting turns, expires the active one and lets a verification in flight finish; a verifier that cannot run
// rejects with VERIFIER_ERROR after its tries and frees the circuit.
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as admin from '../../src/cli/commands/admin.js';
import { contribute } from '../../src/snark/runner.js';
import { sha256File } from '../../src/storage/file-hash.js';
import { decodeEntryLine, type TranscriptEntry } from '../../src/transcript/entry.js';
import { call, loginAs } from '../helpers/api.js';
import {
  affine,
  fixture,
  mulchain,
  setupCeremony,
  type TestCeremony,
  type TestParticipant,
} from '../helpers/ceremony.js';
import { attestFile, downloadZkey, uploadZkey, waitForVerdict } from '../helpers/contribution.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface Status {
  circuits: { circuit: string; state: string; latestIndex: number; latestZkeySha256: string }[];
}

let server: TestServer;

beforeAll(async () => {
  // Raw clients here send no heartbeats: a long grace keeps a loaded machine from expiring their turns; failed
  // verifier tries are retried at once.
  // CROSS_CHECK_EVERY=1: every contribution also runs snarkjs verifyFromInit, so a verification is still in flight at
  // the close, and a missing ptau makes the verifier fail as a broken one would.
  server = await startTestServer({
    env: { HEARTBEAT_GRACE_SECONDS: '3600', JOB_RETRY_DELAY_MS: '0', CROSS_CHECK_EVERY: '1' },
  });
}, 600_000);
afterAll(async () => {
  await server?.destroy();
});

function participantApi(ceremony: TestCeremony, p: TestParticipant) {
  let token = '';
  const path = `/v1/ceremonies/${ceremony.id}`;
  const send = async (method: string, suffix: string) => {
    if (!token) token = await loginAs(server.url, p.keys);
    const answer = await call<Status>(server.url, method, `${path}${suffix}`, { token });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body;
  };
  const stateOn = async (circuit: string) =>
    (await send('GET', '/me')).circuits.find((c) => c.circuit === circuit)?.state;
  return {
    join: () => send('POST', '/queue'),
    leave: () => send('DELETE', '/queue'),
    stateOn,
    /** Waits (on the scheduler, not the clock) until `circuit` is in `state` for this participant. */
    async waitFor(circuit: string, state: string) {
      for (let i = 0; i < 600; i++) {
        if ((await stateOn(circuit)) === state) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`${p.name} never reached '${state}' on ${circuit}`);
    },
    /** Contributes to the current zkey of `circuit` (which must be this participant's turn) and uploads it. */
    async upload(circuit: string) {
      const current = (await send('GET', '/me')).circuits.find((c) => c.circuit === circuit)!;
      const prev = join(ceremony.workDir, `${p.name}-${circuit}-prev.zkey`);
      await downloadZkey(server.url, ceremony.id, circuit, current.latestIndex, prev);
      const next = join(ceremony.workDir, `${p.name}-${circuit}-next.zkey`);
      await contribute(prev, next, p.name, `${p.name} entropy`);
      const fields = {
        ceremony: ceremony.id,
        circuit,
        index: current.latestIndex + 1,
        prevZkeySha256: current.latestZkeySha256,
      };
      const answer = await uploadZkey(
        server.url,
        token,
        { ceremony: ceremony.id, circuit },
        next,
        await attestFile(next, fields, p.keys.secretKey),
      );
      expect(answer.status, JSON.stringify(answer.body)).toBe(202);
      return answer.body.contributionId ?? '';
    },
  };
}

async function transcript(ceremony: string): Promise<TranscriptEntry[]> {
  const answer = await call<string>(server.url, 'GET', `/v1/ceremonies/${ceremony}/transcript`);
  return answer.body
    .trimEnd()
    .split('\n')
    .map((l) => decodeEntryLine(l).entry);
}

/** Moves a ceremony's window in the database: the server's clock stays real, the window comes to it. */
async function setWindow(ceremony: string, column: 'starts_at' | 'ends_at', offsetSeconds: number) {
  await server.built.services.db.query(
    `UPDATE ceremonies SET ${column} = now() + make_interval(secs => $2) WHERE id = $1`,
    [ceremony, offsetSeconds],
  );
}

describe('the --starts-at / --ends-at window', () => {
  it('hands out no turn before it starts or after it ends, and does inside it', async () => {
    const inAnHour = new Date(Date.now() + 3600_000).toISOString();
    const ceremony = await setupCeremony(server, {
      id: 'window',
      circuits: [affine],
      participants: 2,
      startsAt: inAnHour,
      endsAt: new Date(Date.now() + 7200_000).toISOString(),
    });
    const [alice, bob] = ceremony.participants.map((p) => participantApi(ceremony, p));
    // Joining runs the queue at once: before the start, the free circuit is not handed out.
    expect((await alice!.join()).circuits[0]?.state).toBe('waiting');
    await setWindow('window', 'starts_at', -1);
    await alice!.waitFor('affine', 'active');

    expect((await bob!.join()).circuits[0]?.state).toBe('waiting');
    await setWindow('window', 'ends_at', -1);
    // Alice leaving frees the circuit and runs the queue in the same request: after the end, Bob does not get it.
    await alice!.leave();
    expect(await bob!.stateOn('affine')).toBe('waiting');
    const view = await call<{ circuits: { currentParticipant: string | null }[] }>(
      server.url,
      'GET',
      '/v1/ceremonies/window',
    );
    expect(view.body.circuits[0]?.currentParticipant).toBeNull();
    // Inside the window again, the scheduler hands it to Bob: the refusal above came from the window alone.
    await setWindow('window', 'ends_at', 3600);
    await bob!.waitFor('affine', 'active');
  }, 600_000);
});

describe('closing the round', () => {
  it('drops waiting turns, expires the active one (reason closed) and lets the verification in flight finish', async () => {
    const ceremony = await setupCeremony(server, {
      id: 'closing',
      circuits: [affine, mulchain],
      participants: 3,
    });
    const [alice, bob, carol] = ceremony.participants.map((p) => participantApi(ceremony, p));
    const [aliceId, bobId, carolId] = ceremony.participants.map((p) => p.participantId);
    expect((await alice!.join()).circuits.map((c) => c.state)).toEqual(['active', 'waiting']);
    const first = await alice!.upload('affine');
    expect((await waitForVerdict(server.url, 'closing', first)).state).toBe('accepted');
    await alice!.waitFor('mulchain', 'active');
    expect((await bob!.join()).circuits.map((c) => c.state)).toEqual(['active', 'waiting']);
    expect((await carol!.join()).circuits.map((c) => c.state)).toEqual(['waiting', 'waiting']);

    const inFlight = await alice!.upload('mulchain');
    const closed = await admin.closeCeremony(ceremony.adminOptions);
    expect(closed.state).toBe('closed');
    // The verification (snarkjs verifyFromInit as well, CROSS_CHECK_EVERY=1) was still running at the close.
    const atClose = await call<{ state: string }>(
      server.url,
      'GET',
      `/v1/ceremonies/closing/contributions/${inFlight}`,
    );
    expect(atClose.body.state).toBe('verifying');
    expect((await waitForVerdict(server.url, 'closing', inFlight)).state).toBe('accepted');

    const entries = await transcript('closing');
    const closedAt = entries.findIndex((e) => e.type === 'ceremony.closed');
    const after = entries.slice(closedAt + 1);
    // Bob's active turn expired with the close; Carol's waiting turns were dropped without an entry.
    const expiries = entries.filter((e) => e.type === 'turn.expired');
    expect(expiries.map((e) => [e.body.participantId, e.body.circuit, e.body.reason])).toEqual([
      [bobId, 'affine', 'closed'],
    ]);
    expect(entries.indexOf(expiries[0]!)).toBeLessThan(closedAt);
    // Alice's verification, in flight at the close, is accepted, not cancelled by the close: her verdict alone
    // follows the close.
    expect(after.map((e) => [e.type, e.body.participantId, e.body.circuit])).toEqual([
      ['contribution.accepted', aliceId, 'mulchain'],
    ]);
    const mine = entries.filter((e) => e.body.participantId === aliceId && e.body.circuit === 'mulchain');
    expect(mine.map((e) => e.type)).toEqual(['contribution.accepted']);
    expect(await bob!.stateOn('affine')).toBe('none');
    expect(await carol!.stateOn('affine')).toBe('none');
    expect(await carol!.stateOn('mulchain')).toBe('none');
    // Carol's turns were waiting: dropped at the close without a transcript entry.
    expect(entries.filter((e) => e.type.startsWith('turn.') && e.body.participantId === carolId)).toEqual([]);
  }, 600_000);
});

describe('a verifier that cannot run', () => {
  it('rejects with VERIFIER_ERROR after three tries and frees the circuit for the next in line', async () => {
    // A ptau used by this circuit alone, so removing it from the store breaks only this ceremony's verifier.
    const spec = { name: 'lonely', r1cs: affine.r1cs, ptau: fixture('pot12.ptau') };
    const ceremony = await setupCeremony(server, { id: 'broken', circuits: [spec], participants: 2 });
    const [alice, bob] = ceremony.participants.map((p) => participantApi(ceremony, p));
    await unlink(await server.built.services.store.localPath(await sha256File(spec.ptau)));

    expect((await alice!.join()).circuits[0]?.state).toBe('active');
    expect((await bob!.join()).circuits[0]?.state).toBe('waiting');
    const id = await alice!.upload('lonely');
    // Three child processes in a row, each failing at once: slow only on a loaded machine.
    const verdict = await waitForVerdict(server.url, 'broken', id, 300_000);
    expect(verdict).toMatchObject({ state: 'rejected', reason: { code: 'VERIFIER_ERROR' } });
    // Three tries, no fourth: the last one settled the contribution instead of queueing the job again.
    const [job] = await server.built.services.db.query<{ attempts: number }>(
      `SELECT attempts FROM jobs WHERE kind = 'contribution.verify' AND payload->>'contributionId' = $1`,
      [id],
    );
    expect(job?.attempts).toBe(3);
    const rejected = (await transcript('broken')).filter((e) => e.type === 'contribution.rejected');
    expect(rejected.map((e) => e.body.reason)).toEqual(['VERIFIER_ERROR']);
    await bob!.waitFor('lonely', 'active');
  }, 600_000);
});
