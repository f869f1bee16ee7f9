// A verifier disagreement: with the test-only switch the step verifier's refusals are ignored, so a damaged zkey
// reaches the snarkjs cross-check. The cross-check refusing it halts the circuit (no more turns), logs the
// disagreement and counts it in the metrics; the coordinator's rewind voids the damaged contributions and the
// ceremony goes on to a final zkey that `ceremony verify` accepts.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as admin from '../../src/cli/commands/admin.js';
import { runRemedy } from '../../src/cli/commands/admin-remedies.js';
import { runVerify } from '../../src/cli/commands/verify.js';
import { createMemoryOutput } from '../../src/cli/output.js';
import { loadConfig } from '../../src/config.js';
import { contribute } from '../../src/snark/runner.js';
import { readZkeyInfo } from '../../src/snark/zkey-file.js';
import { decodeEntryLine } from '../../src/transcript/entry.js';
import { call, loginAs } from '../helpers/api.js';
import {
  contributeAs,
  mulchain,
  setupCeremony,
  type TestCeremony,
  type TestParticipant,
} from '../helpers/ceremony.js';
import {
  attestFile,
  downloadZkey,
  uploadZkey,
  type Verdict,
  waitForVerdict,
} from '../helpers/contribution.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** Uploads, as `p`, an honest contribution on zkey 0 with one H point replaced by another (record and delta honest). */
async function uploadDamaged(server: TestServer, ceremony: TestCeremony, id: string, p: TestParticipant) {
  const zkey0 = join(ceremony.workDir, 'zkey0.zkey');
  await downloadZkey(server.url, id, 'mulchain', 0, zkey0);
  const bad = join(ceremony.workDir, 'bad.zkey');
  await contribute(zkey0, bad, p.name, 'entropy');
  const bytes = await readFile(bad);
  const h = (await readZkeyInfo(bad)).sections.find((s) => s.id === 9)!;
  bytes.copy(bytes, h.offset + 64, h.offset, h.offset + 64);
  await writeFile(bad, bytes);
  const token = await loginAs(server.url, p.keys);
  expect((await call(server.url, 'POST', `/v1/ceremonies/${id}/queue`, { token })).status).toBe(200);
  const view = await call<{ circuits: { latestZkeySha256: string }[] }>(
    server.url,
    'GET',
    `/v1/ceremonies/${id}`,
  );
  const attestation = await attestFile(
    bad,
    { ceremony: id, circuit: 'mulchain', index: 1, prevZkeySha256: view.body.circuits[0]!.latestZkeySha256 },
    p.keys.secretKey,
  );
  const answer = await uploadZkey(server.url, token, { ceremony: id, circuit: 'mulchain' }, bad, attestation);
  expect(answer.status).toBe(202);
  return waitForVerdict(server.url, id, answer.body.contributionId ?? '');
}

async function entriesOf(server: TestServer, id: string) {
  const transcript = await call<string>(server.url, 'GET', `/v1/ceremonies/${id}/transcript`);
  return transcript.body
    .trimEnd()
    .split('\n')
    .map((l) => decodeEntryLine(l).entry);
}

describe('verifier disagreement', () => {
  let server: TestServer;
  let ceremony: TestCeremony;

  beforeAll(async () => {
    server = await startTestServer({
      env: {
        HEARTBEAT_GRACE_SECONDS: '3600',
        CROSS_CHECK_EVERY: '1',
        TEST_ONLY_STEP_VERIFIER_ACCEPTS_ALL: 'on',
      },
    });
    ceremony = await setupCeremony(server, { id: 'split', circuits: [mulchain], participants: 2 });
  }, 600_000);
  afterAll(async () => {
    await server?.destroy();
  });

  it('the test-only switch cannot be set outside the test runner', () => {
    const saved = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      expect(() => loadConfig({}, { TEST_ONLY_STEP_VERIFIER_ACCEPTS_ALL: 'on' })).toThrow(/for tests only/);
    } finally {
      process.env.NODE_ENV = saved;
    }
  });

  it('halts the circuit, logs the disagreement and counts it when snarkjs refuses what the step verifier accepted', async () => {
    const [alice, bob] = ceremony.participants;
    const verdict = await uploadDamaged(server, ceremony, 'split', alice!);
    expect(verdict).toMatchObject({ state: 'rejected', reason: { code: 'VERIFIER_DISAGREEMENT' } });
    const entries = await entriesOf(server, 'split');
    expect(entries.find((e) => e.type === 'verifier.disagreement')?.body).toMatchObject({
      circuit: 'mulchain',
      index: 1,
      check: 'zKey.verifyFromInit',
      acceptedBy: 'step',
    });

    // Bob joins the line but is not handed the turn: the circuit is halted.
    const bobToken = await loginAs(server.url, bob!.keys);
    const joined = await call<{ circuits: { state: string }[] }>(
      server.url,
      'POST',
      '/v1/ceremonies/split/queue',
      {
        token: bobToken,
      },
    );
    expect(joined.body.circuits[0]?.state).toBe('waiting');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const me = await call<{ circuits: { state: string }[] }>(server.url, 'GET', '/v1/ceremonies/split/me', {
      token: bobToken,
    });
    expect(me.body.circuits[0]?.state).toBe('waiting');

    const metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^ceremony_verifier_disagreements_total 1$/m);
  }, 300_000);
});

describe('verifier disagreement at finalization', () => {
  let server: TestServer;
  let ceremony: TestCeremony;

  beforeAll(async () => {
    server = await startTestServer({
      env: {
        HEARTBEAT_GRACE_SECONDS: '3600',
        CROSS_CHECK_EVERY: '1000000',
        JOB_RETRY_DELAY_MS: '100',
        TEST_ONLY_STEP_VERIFIER_ACCEPTS_ALL: 'on',
      },
    });
    ceremony = await setupCeremony(server, { id: 'late', circuits: [mulchain], participants: 1 });
  }, 600_000);
  afterAll(async () => {
    await server?.destroy();
  });

  it('halts the circuit once when the final verifyFromInit refuses the zkey under the beacon, and refuses to finalize again', async () => {
    // No cross-check is due: the damaged zkey is accepted on the (switched off) step check alone.
    expect(await uploadDamaged(server, ceremony, 'late', ceremony.participants[0]!)).toMatchObject({
      state: 'accepted',
    });
    const beacon = {
      beaconHex: 'ab'.repeat(32),
      beaconSource: 'test',
      iterationsExp: 10,
      pollIntervalMs: 200,
    };
    await expect(admin.finalizeCeremony({ ...ceremony.adminOptions, ...beacon })).rejects.toThrow(
      /VERIFIER_DISAGREEMENT|disagree/,
    );
    const disagreements = (await entriesOf(server, 'late')).filter((e) => e.type === 'verifier.disagreement');
    expect(disagreements.map((e) => e.body)).toEqual([
      expect.objectContaining({
        circuit: 'mulchain',
        index: 1,
        check: 'zKey.verifyFromInit (final, after the beacon)',
      }),
    ]);
    await expect(admin.finalizeCeremony({ ...ceremony.adminOptions, ...beacon })).rejects.toThrow(/halted/);
  }, 600_000);
});

describe('rewind after a verifier disagreement', () => {
  let server: TestServer;
  let ceremony: TestCeremony;

  beforeAll(async () => {
    server = await startTestServer({
      env: {
        HEARTBEAT_GRACE_SECONDS: '3600',
        CROSS_CHECK_EVERY: '2',
        JOB_RETRY_DELAY_MS: '100',
        TEST_ONLY_STEP_VERIFIER_ACCEPTS_ALL: 'on',
      },
    });
    ceremony = await setupCeremony(server, { id: 'rewind', circuits: [mulchain], participants: 3 });
  }, 600_000);
  afterAll(async () => {
    await server?.destroy();
  });

  it('voids the contributions after the index, resumes turns there, and the final zkey verifies without them', async () => {
    const [alice, bob, carol] = ceremony.participants;
    // #1 is damaged and, not being due for a cross-check, accepted; #2 builds on it and the cross-check refuses it.
    const damaged = (await uploadDamaged(server, ceremony, 'rewind', alice!)) as Verdict & {
      receipt?: unknown;
    };
    expect(damaged).toMatchObject({ state: 'accepted' });
    const receiptFile = join(ceremony.workDir, 'alice-receipt.json');
    await writeFile(receiptFile, JSON.stringify(damaged.receipt));
    await contributeAs(server, ceremony, bob!).catch(() => undefined);
    const disagreement = (await entriesOf(server, 'rewind')).find((e) => e.type === 'verifier.disagreement');
    expect(disagreement?.body).toMatchObject({ circuit: 'mulchain', index: 2 });

    const remedy = { ...ceremony.adminOptions, circuit: 'mulchain', to: 0 };
    const rewound = await runRemedy('rewind', remedy);
    expect(rewound.view).toMatchObject({ circuit: 'mulchain', toIndex: 0, voidedIndexes: [1] });
    const entry = (await entriesOf(server, 'rewind')).find((e) => e.type === 'circuit.rewound');
    expect(entry?.body).toMatchObject({ circuit: 'mulchain', toIndex: 0, voidedIndexes: [1] });
    // Once the halt is cleared there is nothing left to rewind, and the voided zkey is no longer served by index.
    await expect(runRemedy('rewind', remedy)).rejects.toThrow(/not halted/);
    const voidedZkey = await call(server.url, 'GET', '/v1/ceremonies/rewind/circuits/mulchain/zkeys/1');
    expect(voidedZkey.status).toBe(404);

    // Turns resume at #1, on the initial zkey.
    await contributeAs(server, ceremony, carol!);
    const view = await call<{ circuits: { contributionIndex: number }[] }>(
      server.url,
      'GET',
      '/v1/ceremonies/rewind',
    );
    expect(view.body.circuits[0]?.contributionIndex).toBe(1);

    await admin.finalizeCeremony({
      ...ceremony.adminOptions,
      beaconHex: 'cd'.repeat(32),
      beaconSource: 'test',
      iterationsExp: 10,
      pollIntervalMs: 200,
    });
    const output = createMemoryOutput(true);
    const code = await runVerify({
      server: server.url,
      ceremony: 'rewind',
      full: true,
      json: true,
      output,
      receipt: receiptFile,
    });
    const checks = (
      JSON.parse(output.stdout()) as { checks: { name: string; status: string; detail: string }[] }
    ).checks;
    expect(checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(code).toBe(0);
    expect(checks.find((c) => c.detail.includes('voided by a rewind'))).toBeDefined();
    // Alice's receipt still proves her entry is in the log, and says it no longer counts.
    expect(checks.find((c) => c.name === 'receipt')?.detail).toMatch(
      /contribution #1 .*voided by the rewind at entry/,
    );
  }, 900_000);
});
