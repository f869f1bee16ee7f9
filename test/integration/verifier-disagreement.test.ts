// A verifier disagreement: with the test-only switch the step verifier's refusals are ignored, so a damaged zkey
// reaches the snarkjs cross-check. The cross-check refusing it halts the circuit (no more turns), logs the
// disagreement and counts it in the metrics.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { contribute } from '../../src/snark/runner.js';
import { readZkeyInfo } from '../../src/snark/zkey-file.js';
import { decodeEntryLine } from '../../src/transcript/entry.js';
import { call, loginAs } from '../helpers/api.js';
import { mulchain, setupCeremony, type TestCeremony } from '../helpers/ceremony.js';
import { attestFile, downloadZkey, uploadZkey, waitForVerdict } from '../helpers/contribution.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

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
    const zkey0 = join(ceremony.workDir, 'zkey0.zkey');
    await downloadZkey(server.url, 'split', 'mulchain', 0, zkey0);
    const bad = join(ceremony.workDir, 'bad.zkey');
    await contribute(zkey0, bad, 'alice', 'alice entropy');
    // One H point replaced by another: the record and delta are honest, only the random combination can tell.
    const bytes = await readFile(bad);
    const h = (await readZkeyInfo(bad)).sections.find((s) => s.id === 9)!;
    bytes.copy(bytes, h.offset + 64, h.offset, h.offset + 64);
    await writeFile(bad, bytes);

    const aliceToken = await loginAs(server.url, alice!.keys);
    expect((await call(server.url, 'POST', '/v1/ceremonies/split/queue', { token: aliceToken })).status).toBe(
      200,
    );
    const view = await call<{ circuits: { latestZkeySha256: string }[] }>(
      server.url,
      'GET',
      '/v1/ceremonies/split',
    );
    const attestation = await attestFile(
      bad,
      {
        ceremony: 'split',
        circuit: 'mulchain',
        index: 1,
        prevZkeySha256: view.body.circuits[0]!.latestZkeySha256,
      },
      alice!.keys.secretKey,
    );
    const answer = await uploadZkey(
      server.url,
      aliceToken,
      { ceremony: 'split', circuit: 'mulchain' },
      bad,
      attestation,
    );
    expect(answer.status).toBe(202);
    const verdict = await waitForVerdict(server.url, 'split', answer.body.contributionId ?? '');
    expect(verdict).toMatchObject({ state: 'rejected', reason: { code: 'VERIFIER_DISAGREEMENT' } });

    const transcript = await call<string>(server.url, 'GET', '/v1/ceremonies/split/transcript');
    const entries = transcript.body
      .trimEnd()
      .split('\n')
      .map((l) => decodeEntryLine(l).entry);
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
