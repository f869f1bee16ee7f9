// The server's step verifier alone decides these uploads (the snarkjs cross-check is set beyond the test's reach),
// so a check missing from the step path shows here as an accepted contribution.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { G1_BYTES } from '../../src/snark/bn128-encoding.js';
import { contribute } from '../../src/snark/runner.js';
import { readZkeyInfo } from '../../src/snark/zkey-file.js';
import { call, loginAs } from '../helpers/api.js';
import { fixture, setupCeremony, type TestCeremony, type TestParticipant } from '../helpers/ceremony.js';
import { attestFile, downloadZkey, uploadZkey, waitForVerdict } from '../helpers/contribution.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const circuit = { name: 'unused', r1cs: fixture('mulchain-1021-unused-2.r1cs'), ptau: fixture('pot10.ptau') };

describe('the step verifier through HTTP', () => {
  let server: TestServer;
  let ceremony: TestCeremony;
  let alice: TestParticipant;
  let token: string;
  let zkey0: string;

  const state = async () => {
    const view = await call<{ circuits: { contributionIndex: number; latestZkeySha256: string }[] }>(
      server.url,
      'GET',
      '/v1/ceremonies/steps',
    );
    return view.body.circuits[0]!;
  };

  /** Uploads `path` as alice's turn and returns the refusal code, or 'accepted'. */
  const submit = async (path: string): Promise<string> => {
    const joined = await call(server.url, 'POST', '/v1/ceremonies/steps/queue', { token });
    expect(joined.status).toBe(200);
    const before = await state();
    const attestation = await attestFile(
      path,
      {
        ceremony: 'steps',
        circuit: 'unused',
        index: before.contributionIndex + 1,
        prevZkeySha256: before.latestZkeySha256,
      },
      alice.keys.secretKey,
    );
    const answer = await uploadZkey(
      server.url,
      token,
      { ceremony: 'steps', circuit: 'unused' },
      path,
      attestation,
    );
    if (answer.status !== 202) return answer.body.error?.code ?? `HTTP ${answer.status}`;
    const verdict = await waitForVerdict(server.url, 'steps', answer.body.contributionId ?? '');
    return verdict.state === 'accepted' ? 'accepted' : String(verdict.reason?.code);
  };

  /** An honest contribution on zkey0, changed by `edit`. */
  const tampered = async (name: string, edit: (bytes: Buffer, file: string) => Promise<void>) => {
    const out = join(ceremony.workDir, name);
    await contribute(zkey0, out, 'alice', `alice entropy for ${name}`);
    const bytes = await readFile(out);
    await edit(bytes, out);
    await writeFile(out, bytes);
    return out;
  };

  beforeAll(async () => {
    server = await startTestServer({
      env: { HEARTBEAT_GRACE_SECONDS: '3600', CROSS_CHECK_EVERY: '1000000' },
    });
    ceremony = await setupCeremony(server, { id: 'steps', circuits: [circuit], participants: 1 });
    alice = ceremony.participants[0]!;
    token = await loginAs(server.url, alice.keys);
    zkey0 = join(ceremony.workDir, 'zkey0.zkey');
    await downloadZkey(server.url, 'steps', 'unused', 0, zkey0);
  }, 600_000);
  afterAll(async () => {
    await server?.destroy();
  });

  it('refuses a contribution whose proof of knowledge is wrong (g2_spx of another contribution)', async () => {
    const other = join(ceremony.workDir, 'other.zkey');
    await contribute(zkey0, other, 'mallory', 'another secret');
    const foreign = (await readZkeyInfo(other)).contributions.at(-1)!.g2Spx;
    const path = await tampered('wrong-pok.zkey', async (bytes, file) => {
      const own = (await readZkeyInfo(file)).contributions.at(-1)!.g2Spx;
      const at = bytes.indexOf(own);
      expect(at).toBeGreaterThan(0);
      bytes.set(foreign, at);
    });
    expect(await submit(path)).toBe('ZKEY_VERIFICATION_FAILED');
    expect((await state()).contributionIndex).toBe(0);
  }, 180_000);

  it('refuses a finite point where L held infinity (an unused private wire)', async () => {
    const path = await tampered('finite-at-infinity.zkey', async (bytes, file) => {
      const l = (await readZkeyInfo(file)).sections.find((s) => s.id === 8)!;
      const last = l.offset + l.size - G1_BYTES;
      expect(bytes.subarray(last, last + G1_BYTES).every((b) => b === 0)).toBe(true);
      bytes.copy(bytes, last, l.offset, l.offset + G1_BYTES);
    });
    expect(await submit(path)).toBe('ZKEY_VERIFICATION_FAILED');
    expect((await state()).contributionIndex).toBe(0);
  }, 180_000);

  it('accepts the honest contribution', async () => {
    const path = await tampered('honest.zkey', async () => {});
    expect(await submit(path)).toBe('accepted');
    expect((await state()).contributionIndex).toBe(1);
  }, 180_000);
});
