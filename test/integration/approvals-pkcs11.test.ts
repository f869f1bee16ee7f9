// Approvals signed inside a token: a coordinator whose key lives in SoftHSM2 completes a quorum begun with a key file.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { approvalMessage } from '../../src/approvals/approval-message.js';
import * as admin from '../../src/cli/commands/admin.js';
import { runRemedy } from '../../src/cli/commands/admin-remedies.js';
import { createMemoryOutput } from '../../src/cli/output.js';
import { generateKeyPair, verifyHexSignature, writeKeyFile } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { openTokenSigner } from '../../src/keys/open-signer.js';
import { decodeEntryLine } from '../../src/transcript/entry.js';
import { call } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { describeWithSoftHsm, type SoftHsm, startSoftHsm } from '../helpers/softhsm.js';

describeWithSoftHsm('approvals with a key in a token (SoftHSM2)', () => {
  let hsm: SoftHsm;
  let server: TestServer;
  let workDir: string;
  const saved = { ...process.env };
  const alice = generateKeyPair();
  const bobUri = 'pkcs11:token=ceremony;object=bob';
  let bobKey = '';

  beforeAll(async () => {
    hsm = await startSoftHsm();
    await hsm.initToken('ceremony');
    await hsm.makePair('ceremony', 'EC:edwards25519', 'bob');
    Object.assign(process.env, hsm.env);
    const bob = await openTokenSigner(bobUri, hsm.env);
    bobKey = toHex(bob.publicKey);
    bob.close?.();
    workDir = await mkdtemp(join(tmpdir(), 'ceremony-approvals-hsm-'));
    await writeKeyFile(join(workDir, 'alice.key'), alice);
    server = await startTestServer({ env: { COORDINATOR_PUBLIC_KEYS: toHex(alice.publicKey) } });
  }, 120_000);
  afterAll(async () => {
    process.env = saved;
    await server?.destroy();
    await rm(workDir, { recursive: true, force: true });
    await rm(hsm.dir, { recursive: true, force: true });
  });

  it('counts the token key as one of the two coordinators', async () => {
    const opts = (keyFile: string) => ({
      server: server.url,
      keyFile,
      ceremony: 'hsm',
      output: createMemoryOutput(),
    });
    const aliceOpts = opts(join(workDir, 'alice.key'));
    await admin.createCeremony({
      ...aliceOpts,
      title: 'Token quorum',
      approvals: 2,
      coCoordinators: [bobKey],
    });
    await admin.addParticipant({ ...aliceOpts, name: 'pat', publicKey: toHex(generateKeyPair().publicKey) });
    const first = await runRemedy('revoke-participant', { ...aliceOpts, participant: 'p1' });
    expect(first.lines[0]).toBe('pending: 1 of 2 approvals');
    const second = await runRemedy('revoke-participant', { ...opts(bobUri), participant: 'p1' });
    expect(second.lines[0]).toMatch(/took effect with 2 of 2 approvals/);

    const text = (await call<string>(server.url, 'GET', '/v1/ceremonies/hsm/transcript')).body;
    const entries = text
      .trimEnd()
      .split('\n')
      .map((l) => decodeEntryLine(l).entry);
    const byToken = entries.find((e) => e.type === 'approval.given' && e.body.publicKey === bobKey);
    const message = approvalMessage({
      ceremony: 'hsm',
      action: 'revoke-participant',
      arguments: { participantId: 'p1' },
    });
    expect(verifyHexSignature(byToken?.body.signature, message, Buffer.from(bobKey, 'hex'))).toBe(true);
  }, 120_000);
});
