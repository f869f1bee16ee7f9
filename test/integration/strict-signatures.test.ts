// Logins and attestations are verified strictly (RFC 8032), not with ZIP-215's leniency: a signature whose R is a
// non-canonical encoding (y = p + 1, the identity point) verifies under ZIP-215 and must be refused here.
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attestationMessage } from '../../src/ceremony/attestation.js';
import type { KeyPair } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { contribute } from '../../src/snark/runner.js';
import { readZkeyInfo } from '../../src/snark/zkey-file.js';
import { sha256File } from '../../src/storage/file-hash.js';
import { call, loginAs, loginChallenge } from '../helpers/api.js';
import { mulchain, setupCeremony, type TestCeremony } from '../helpers/ceremony.js';
import { attestFile, downloadZkey, uploadZkey, waitForVerdict } from '../helpers/contribution.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const L = ed25519.Point.Fn.ORDER;
// y = p + 1 = 2^255 - 18, x sign 0: the identity point, encoded with a y that is not reduced mod p.
const NON_CANONICAL_IDENTITY = Uint8Array.from([0xee, ...Array<number>(30).fill(0xff), 0x7f]);

const leLittle = (bytes: Uint8Array) => BigInt(`0x${toHex(Uint8Array.from(bytes).reverse()) || '0'}`);
const scalarBytes = (n: bigint) =>
  Uint8Array.from(Buffer.from(n.toString(16).padStart(64, '0'), 'hex').reverse());

/**
 * A signature (R, s) with R the non-canonical identity and s = k·a: sB = kA holds, so ZIP-215 (which decodes any
 * y < 2^255) accepts it; RFC 8032 refuses R's encoding.
 */
function zip215OnlySignature(message: Uint8Array, keys: KeyPair): Uint8Array {
  const { scalar } = ed25519.utils.getExtendedPublicKey(keys.secretKey);
  const k = leLittle(sha512(new Uint8Array([...NON_CANONICAL_IDENTITY, ...keys.publicKey, ...message]))) % L;
  return new Uint8Array([...NON_CANONICAL_IDENTITY, ...scalarBytes((k * scalar) % L)]);
}

describe('strict RFC 8032 verification', () => {
  let server: TestServer;
  let ceremony: TestCeremony;

  beforeAll(async () => {
    server = await startTestServer({ env: { HEARTBEAT_GRACE_SECONDS: '3600' } });
    ceremony = await setupCeremony(server, { id: 'strict', circuits: [mulchain], participants: 1 });
  }, 600_000);
  afterAll(async () => {
    await server?.destroy();
  });

  it('the vector tells the two apart: ZIP-215 accepts it, RFC 8032 refuses it', () => {
    const keys = ceremony.participants[0]?.keys as KeyPair;
    const message = new TextEncoder().encode('any message');
    const signature = zip215OnlySignature(message, keys);
    expect(ed25519.verify(signature, message, keys.publicKey, { zip215: true })).toBe(true);
    expect(ed25519.verify(signature, message, keys.publicKey, { zip215: false })).toBe(false);
  });

  it('refuses such a signature at login, and logs in with an ordinary one', async () => {
    const keys = ceremony.participants[0]?.keys as KeyPair;
    const { publicKey, nonce, message } = await loginChallenge(server.url, keys);
    const lenient = await call<{ error: { code: string } }>(server.url, 'POST', '/v1/auth/login', {
      json: { publicKey, nonce, signature: toHex(zip215OnlySignature(message, keys)) },
    });
    expect(lenient.status).toBe(401);
    expect(lenient.body.error.code).toBe('INVALID_SIGNATURE');
    expect(await loginAs(server.url, keys)).toMatch(/./);
  });

  it('refuses such an attestation of an upload (BAD_ATTESTATION), and accepts the ordinary one', async () => {
    const alice = ceremony.participants[0];
    if (!alice) throw new Error('no participant');
    const token = await loginAs(server.url, alice.keys);
    const zkey0 = await downloadZkey(server.url, 'strict', 'mulchain', 0, join(ceremony.workDir, '0.zkey'));
    const next = join(ceremony.workDir, '1.zkey');
    await contribute(zkey0, next, 'alice', 'alice entropy for the strict test');
    const fields = {
      ceremony: 'strict',
      circuit: 'mulchain',
      index: 1,
      prevZkeySha256: await sha256File(zkey0),
    };
    const message = attestationMessage({
      ...fields,
      zkeySha256: await sha256File(next),
      contributionHash: (await readZkeyInfo(next)).contributions.at(-1)?.contributionHash ?? '',
    });
    const target = { ceremony: 'strict', circuit: 'mulchain' };

    const join1 = await call(server.url, 'POST', '/v1/ceremonies/strict/queue', { token });
    expect(join1.status).toBe(200);
    const lenient = await uploadZkey(
      server.url,
      token,
      target,
      next,
      toHex(zip215OnlySignature(message, alice.keys)),
    );
    expect(lenient.status).toBe(422);
    expect(lenient.body.error?.code).toBe('BAD_ATTESTATION');

    await call(server.url, 'POST', '/v1/ceremonies/strict/queue', { token });
    const honest = await uploadZkey(
      server.url,
      token,
      target,
      next,
      await attestFile(next, fields, alice.keys.secretKey),
    );
    expect(honest.status).toBe(202);
    const verdict = await waitForVerdict(server.url, 'strict', honest.body.contributionId ?? '');
    expect(verdict.state).toBe('accepted');
  });
});
