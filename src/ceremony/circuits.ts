// Adding circuits: inputs are checked on the request path (cheap header reads); the initial zkey is computed by a job.
import { rm } from 'node:fs/promises';
import { CeremonyError } from '../errors.js';
import { CIRCUIT_NAME_RULE, circuitNamePattern, sha256HexPattern } from '../limits.js';
import { checkCircuitInputs, createInitialZkey } from '../snark/runner.js';
import { getCeremonyView } from './ceremonies.js';
import { logEntry, requireState, withCeremonyLock } from './ceremony-row.js';
import { enqueueJob, type JobKind } from './jobs.js';
import type { Services } from './services.js';
import { prepareStep } from './streamed-step.js';
import type { CircuitView } from './types.js';

/** Circuit outputs are published under ceremony-transcripts/<id>/<circuit>/, beside these. */
const reservedCircuitNames = new Set(['checkpoint', 'checkpoints']);

export async function addCircuit(
  s: Services,
  ceremonyId: string,
  input: { name: string; r1csSha256: string; ptauSha256: string },
): Promise<CircuitView> {
  if (reservedCircuitNames.has(input.name)) {
    throw new CeremonyError('BAD_REQUEST', `'${input.name}' is reserved: it names a published file`);
  }
  if (!circuitNamePattern.test(input.name)) throw new CeremonyError('BAD_REQUEST', CIRCUIT_NAME_RULE);
  for (const [what, sha] of [
    ['r1cs', input.r1csSha256],
    ['ptau', input.ptauSha256],
  ] as const) {
    if (!sha256HexPattern.test(sha) || !(await s.store.has(sha))) {
      throw new CeremonyError(
        'NOT_FOUND',
        `no uploaded ${what} file with sha256 ${sha}: PUT it to /v1/blobs first`,
      );
    }
  }
  const { constraints, power } = await checkCircuitInputs(
    await s.store.localPath(input.r1csSha256),
    await s.store.localPath(input.ptauSha256),
  );
  await withCeremonyLock(s, ceremonyId, async (tx, ceremony) => {
    requireState(ceremony, ['draft'], 'add a circuit');
    const exists = await tx.query('SELECT 1 FROM circuits WHERE ceremony_id = $1 AND name = $2', [
      ceremonyId,
      input.name,
    ]);
    if (exists.length > 0)
      throw new CeremonyError('CIRCUIT_EXISTS', `circuit '${input.name}' already exists`);
    await tx.query(
      `INSERT INTO circuits (ceremony_id, name, position, status, r1cs_sha256, ptau_sha256, constraints, power)
       VALUES ($1, $2, (SELECT count(*) FROM circuits WHERE ceremony_id = $1), 'preparing', $3, $4, $5, $6)`,
      [ceremonyId, input.name, input.r1csSha256, input.ptauSha256, constraints, power],
    );
    await enqueueJob(tx, 'circuit.setup', { ceremonyId, circuit: input.name });
  });
  s.events.jobQueued();
  const view = await getCeremonyView(s.db, ceremonyId);
  const circuit = view.circuits.find((c) => c.name === input.name);
  if (!circuit) throw new CeremonyError('INTERNAL', 'circuit vanished after insert');
  return circuit;
}

interface SetupPayload {
  ceremonyId: string;
  circuit: string;
}

/** Job: computes the initial zkey (deterministic, so a rerun after a crash gives the same file) and logs it. */
export const circuitSetupJob: JobKind<SetupPayload> = {
  failureMessage: 'computing the initial zkey failed: see the server log',

  async run(s, payload, job) {
    const [row] = await s.db.query<{ status: string; r1cs_sha256: string; ptau_sha256: string }>(
      'SELECT status, r1cs_sha256, ptau_sha256 FROM circuits WHERE ceremony_id = $1 AND name = $2',
      [payload.ceremonyId, payload.circuit],
    );
    if (row?.status !== 'preparing') return;
    const out = s.store.tempPath('.zkey');
    try {
      await createInitialZkey(
        await s.store.localPath(row.r1cs_sha256),
        await s.store.localPath(row.ptau_sha256),
        out,
        job,
      );
    } catch (err) {
      await rm(out, { force: true });
      throw err;
    }
    const sha256 = await s.store.adoptFile(out);
    await withCeremonyLock(s, payload.ceremonyId, async (tx) => {
      await job.requireLease(tx);
      const [c] = await tx.query<{
        status: string;
        constraints: number;
        power: number;
        r1cs_sha256: string;
        ptau_sha256: string;
      }>(
        'SELECT status, constraints, power, r1cs_sha256, ptau_sha256 FROM circuits WHERE ceremony_id = $1 AND name = $2',
        [payload.ceremonyId, payload.circuit],
      );
      if (c?.status !== 'preparing') return;
      await tx.query(
        `UPDATE circuits SET status = 'ready', initial_zkey_sha256 = $3, latest_zkey_sha256 = $3
         WHERE ceremony_id = $1 AND name = $2`,
        [payload.ceremonyId, payload.circuit, sha256],
      );
      await logEntry(tx, s, payload.ceremonyId, 'circuit.added', {
        circuit: payload.circuit,
        r1csSha256: c.r1cs_sha256,
        ptauSha256: c.ptau_sha256,
        initialZkeySha256: sha256,
        constraints: c.constraints,
        power: c.power,
      });
    });
    // The first upload's step check needs the initial zkey's side: compute it while participants queue.
    prepareStep(s, sha256);
  },

  async settle(s, payload, failure) {
    await withCeremonyLock(s, payload.ceremonyId, async (tx) => {
      await tx.query(
        `UPDATE circuits SET status = 'failed', error = $3
         WHERE ceremony_id = $1 AND name = $2 AND status = 'preparing'`,
        [payload.ceremonyId, payload.circuit, failure.publicMessage],
      );
    });
    s.log.warn(
      { ceremony: payload.ceremonyId, circuit: payload.circuit, err: failure.error },
      'circuit setup failed',
    );
  },
};
