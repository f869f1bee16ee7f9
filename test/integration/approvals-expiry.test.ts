// A request waits at most APPROVAL_TTL_SECONDS after its first approval (domain clock moved by hand).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalMessage } from '../../src/approvals/approval-message.js';
import { listPendingRequests, submitApproval } from '../../src/approvals/approvals.js';
import { createCeremony } from '../../src/ceremony/ceremonies.js';
import { generateKeyPair, type KeyPair, sign } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { createTestDomain, type TestDomain } from '../helpers/domain.js';

describe('approval expiry', () => {
  let domain: TestDomain;
  const [bob, carol, dave, erin] = [
    generateKeyPair(),
    generateKeyPair(),
    generateKeyPair(),
    generateKeyPair(),
  ] as [KeyPair, KeyPair, KeyPair, KeyPair];
  const hex = (k: KeyPair) => toHex(k.publicKey);
  const approve = (k: KeyPair, newKey: KeyPair) => {
    const args = { publicKey: hex(newKey) };
    const signature = toHex(
      sign(approvalMessage({ ceremony: 'ttl', action: 'add-coordinator', arguments: args }), k.secretKey),
    );
    return submitApproval(domain.services, 'ttl', hex(k), {
      action: 'add-coordinator',
      arguments: args,
      signature,
    });
  };

  beforeAll(async () => {
    domain = await createTestDomain({ APPROVAL_TTL_SECONDS: '3600' });
    await createCeremony(domain.services, domain.coordinatorKey, {
      id: 'ttl',
      title: 'Expiring approvals',
      approvals: 2,
      coCoordinators: [hex(bob), hex(carol)],
    });
  }, 60_000);
  afterAll(async () => {
    await domain?.close();
  });

  it('counts an approval until its request expires, and not after', async () => {
    domain.setClock(0);
    const first = await approve(bob, dave);
    expect(first).toMatchObject({ pending: true, expiresAt: domain.at(3600).toISOString() });
    domain.setClock(3601);
    expect(await listPendingRequests(domain.services, 'ttl', hex(carol))).toEqual([]);
    const late = await approve(carol, dave);
    expect(late).toMatchObject({ pending: true, approvals: 1 });

    domain.setClock(4000);
    expect(await approve(bob, erin)).toMatchObject({ pending: true });
    domain.setClock(4000 + 3599);
    expect(await approve(carol, erin)).toMatchObject({ pending: false, approvals: 2 });
  });
});
