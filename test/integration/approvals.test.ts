// M-of-N approvals over real HTTP and the CLI's own functions: an act that cannot be undone takes effect only when
// M distinct coordinators signed the same request, and every approval is in the transcript.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalMessage } from '../../src/approvals/approval-message.js';
import * as admin from '../../src/cli/commands/admin.js';
import { listPending, withdrawRequest } from '../../src/cli/commands/admin-approvals.js';
import { runRemedy } from '../../src/cli/commands/admin-remedies.js';
import { runVerify } from '../../src/cli/commands/verify.js';
import { createMemoryOutput } from '../../src/cli/output.js';
import { generateKeyPair, type KeyPair, sign, writeKeyFile } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { canonicalize } from '../../src/transcript/canonical-json.js';
import { decodeEntryLine, type TranscriptEntry } from '../../src/transcript/entry.js';
import { call, loginAs } from '../helpers/api.js';
import { affine } from '../helpers/ceremony.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('M-of-N approvals', () => {
  let server: TestServer;
  let workDir: string;
  const keys = {} as Record<'alice' | 'bob' | 'carol' | 'dave' | 'participant', KeyPair>;
  const keyFiles = {} as Record<'alice' | 'bob' | 'carol', string>;
  const hex = (k: KeyPair) => toHex(k.publicKey);
  const opts = (who: 'alice' | 'bob' | 'carol', ceremony = 'quorum') => ({
    server: server.url,
    keyFile: keyFiles[who],
    ceremony,
    output: createMemoryOutput(),
    pollIntervalMs: 100,
  });
  const entries = async (id: string): Promise<TranscriptEntry[]> =>
    (await call<string>(server.url, 'GET', `/v1/ceremonies/${id}/transcript`)).body
      .trimEnd()
      .split('\n')
      .map((l) => decodeEntryLine(l).entry);

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'ceremony-approvals-'));
    for (const who of ['alice', 'bob', 'carol', 'dave', 'participant'] as const)
      keys[who] = generateKeyPair();
    for (const who of ['alice', 'bob', 'carol'] as const) {
      keyFiles[who] = join(workDir, `${who}.key`);
      await writeKeyFile(keyFiles[who], keys[who]);
    }
    server = await startTestServer({ env: { COORDINATOR_PUBLIC_KEYS: hex(keys.alice) } });
  }, 60_000);
  afterAll(async () => {
    await server?.destroy();
    await rm(workDir, { recursive: true, force: true });
  });

  it('refuses a quorum larger than the coordinators named, and creates nothing', async () => {
    await expect(
      admin.createCeremony({
        ...opts('alice', 'too-many'),
        title: 't',
        approvals: 3,
        coCoordinators: [hex(keys.bob)],
      }),
    ).rejects.toThrow(/approvals must be an integer from 1 to 2/);
    expect((await call(server.url, 'GET', '/v1/ceremonies/too-many')).status).toBe(404);
  });

  it('names co-coordinators and the quorum at creation, in the transcript', async () => {
    const view = await admin.createCeremony({
      ...opts('alice'),
      title: 'Two of three',
      approvals: 2,
      coCoordinators: [hex(keys.bob), hex(keys.carol)],
    });
    expect(view.approvalsRequired).toBe(2);
    const log = await entries('quorum');
    expect(log[0]?.body.approvals).toBe(2);
    expect(log.slice(1).map((e) => [e.type, e.body.publicKey])).toEqual([
      ['coordinator.added', hex(keys.bob)],
      ['coordinator.added', hex(keys.carol)],
    ]);
    await admin.addParticipant({ ...opts('alice'), name: 'pat', publicKey: hex(keys.participant) });
  });

  it('revokes a participant only when two coordinators signed, ending its sessions then', async () => {
    const patToken = await loginAs(server.url, keys.participant);
    const me = () => call(server.url, 'GET', '/v1/ceremonies/quorum/me', { token: patToken });
    const first = await runRemedy('revoke-participant', { ...opts('alice'), participant: 'p1' });
    expect(first.lines[0]).toBe('pending: 1 of 2 approvals');
    expect(first.view).toMatchObject({ pending: true, approvals: 1, required: 2 });
    expect((await me()).status).toBe(200);
    // The same coordinator twice is still one approval.
    await expect(runRemedy('revoke-participant', { ...opts('alice'), participant: 'p1' })).rejects.toThrow(
      /already approved/,
    );
    // One coordinator alone cannot take the short way either.
    const alone = await call(server.url, 'POST', '/v1/ceremonies/quorum/participants/p1/revoke', {
      token: await loginAs(server.url, keys.bob),
    });
    expect(alone.status).toBe(409);
    expect(alone.body.error).toMatchObject({ code: 'APPROVALS_REQUIRED' });

    const second = await runRemedy('revoke-participant', { ...opts('bob'), participant: 'p1' });
    expect(second.lines[0]).toMatch(/^revoke-participant took effect with 2 of 2 approvals/);
    const log = await entries('quorum');
    const approvals = log.filter((e) => e.type === 'approval.given');
    const revoked = log.find((e) => e.type === 'participant.revoked');
    expect(revoked?.body).toEqual({ participantId: 'p1', approvals: approvals.map((e) => e.seq) });
    expect(approvals.map((e) => e.body.publicKey)).toEqual([hex(keys.alice), hex(keys.bob)]);
    const message = approvalMessage({
      ceremony: 'quorum',
      action: 'revoke-participant',
      arguments: { participantId: 'p1' },
    });
    expect(approvals[0]?.body.signature).toBe(toHex(sign(message, keys.alice.secretKey)));
    expect((await me()).status).toBe(401);
  });

  it('refuses a bad signature, an outsider and arguments no act takes, logging nothing', async () => {
    const before = (await entries('quorum')).length;
    const carol = await loginAs(server.url, keys.carol);
    const args = { publicKey: hex(keys.dave) };
    const wrongBytes = toHex(sign(new TextEncoder().encode('something else'), keys.carol.secretKey));
    const bad = await call(server.url, 'POST', '/v1/ceremonies/quorum/approvals', {
      token: carol,
      json: { action: 'add-coordinator', arguments: args, signature: wrongBytes },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatchObject({ code: 'BAD_APPROVAL' });
    const signed = (k: KeyPair, a: object) =>
      toHex(
        sign(
          approvalMessage({ ceremony: 'quorum', action: 'add-coordinator', arguments: a as never }),
          k.secretKey,
        ),
      );
    const outsiderKey = generateKeyPair();
    await admin.createCeremony({
      ...opts('alice', 'elsewhere'),
      title: 'x',
      coCoordinators: [hex(outsiderKey)],
    });
    const outsider = await call(server.url, 'POST', '/v1/ceremonies/quorum/approvals', {
      token: await loginAs(server.url, outsiderKey),
      json: { action: 'add-coordinator', arguments: args, signature: signed(outsiderKey, args) },
    });
    expect(outsider.status).toBe(403);
    const extra = { publicKey: hex(keys.dave), note: 'x' };
    const extraBytes = new TextEncoder().encode(
      `ceremony-approval/v1\n${canonicalize({ ceremony: 'quorum', action: 'add-coordinator', arguments: extra })}`,
    );
    const odd = await call(server.url, 'POST', '/v1/ceremonies/quorum/approvals', {
      token: carol,
      json: {
        action: 'add-coordinator',
        arguments: extra,
        signature: toHex(sign(extraBytes, keys.carol.secretKey)),
      },
    });
    expect(odd.status).toBe(400);
    expect((await entries('quorum')).length).toBe(before);
  });

  it('lets the proposer alone withdraw a pending request, whose approvals then no longer count', async () => {
    const proposed = await runRemedy('add-coordinator', { ...opts('carol'), publicKey: hex(keys.dave) });
    expect(proposed.view).toMatchObject({ pending: true });
    const [waiting] = await listPending(opts('bob'));
    expect(waiting).toMatchObject({ action: 'add-coordinator', proposer: hex(keys.carol), required: 2 });
    const request = waiting?.request ?? '';
    await expect(withdrawRequest({ ...opts('bob'), request })).rejects.toThrow(
      /only the coordinator who proposed/,
    );
    const withdrawn = await withdrawRequest({ ...opts('carol'), request });
    expect(withdrawn.withdrawn).toHaveLength(1);
    expect(await listPending(opts('bob'))).toEqual([]);
    const again = await runRemedy('add-coordinator', { ...opts('bob'), publicKey: hex(keys.dave) });
    expect(again.lines[0]).toBe('pending: 1 of 2 approvals');
    const log = await entries('quorum');
    expect(log.find((e) => e.type === 'approval.withdrawn')?.body).toMatchObject({
      action: 'add-coordinator',
      publicKey: hex(keys.carol),
      approvals: withdrawn.withdrawn,
    });
  });

  it('removes a coordinator with two approvals: its sessions and pending approvals go with it', async () => {
    const carolToken = await loginAs(server.url, keys.carol);
    // Bob's request to add dave waits; carol removed must not be able to count towards anything after.
    const first = await runRemedy('remove-coordinator', { ...opts('alice'), publicKey: hex(keys.carol) });
    expect(first.view).toMatchObject({ pending: true });
    await runRemedy('remove-coordinator', { ...opts('bob'), publicKey: hex(keys.carol) });
    const pending = await call(server.url, 'GET', '/v1/ceremonies/quorum/approvals', { token: carolToken });
    expect(pending.status).toBe(401);
    const log = await entries('quorum');
    expect(log.at(-1)).toMatchObject({ type: 'coordinator.removed', body: { publicKey: hex(keys.carol) } });
    // Two coordinators left for a quorum of two: removing another would make every act impossible.
    await expect(
      runRemedy('remove-coordinator', { ...opts('alice'), publicKey: hex(keys.bob) }),
    ).rejects.toThrow(/fewer than the 2 approvals/);
    expect((await entries('quorum')).length).toBe(log.length);
  });

  it('finalizes when two coordinators signed the same beacon, and ceremony verify checks the approvals', async () => {
    await admin.createCeremony({
      ...opts('alice', 'sealed'),
      title: 'Sealed by two',
      approvals: 2,
      coCoordinators: [hex(keys.bob)],
    });
    await admin.addCircuit({ ...opts('alice', 'sealed'), ...affine });
    await admin.openCeremony(opts('alice', 'sealed'));
    const beacon = { beaconHex: 'ab'.repeat(32), beaconSource: 'block 1', iterationsExp: 10 };
    const first = await admin.finalizeCeremony({ ...opts('alice', 'sealed'), ...beacon });
    expect(first).toMatchObject({ pending: true, approvals: 1, required: 2 });
    expect((await call(server.url, 'GET', '/v1/ceremonies/sealed')).body.state).toBe('open');
    // Another beacon is another request: it does not complete the first.
    const other = await admin.finalizeCeremony({
      ...opts('bob', 'sealed'),
      ...beacon,
      beaconHex: 'cd'.repeat(32),
    });
    expect(other).toMatchObject({ pending: true, approvals: 1 });
    const done = await admin.finalizeCeremony({ ...opts('bob', 'sealed'), ...beacon });
    expect(done).toMatchObject({ state: 'finalized' });
    const log = await entries('sealed');
    const given = log.filter((e) => e.type === 'approval.given');
    const finalized = log.find((e) => e.type === 'ceremony.finalized');
    const sameBeacon = given.filter(
      (e) => (e.body.arguments as { beaconHex: string }).beaconHex === beacon.beaconHex,
    );
    expect(finalized?.body.approvals).toEqual(sameBeacon.map((e) => e.seq));

    const output = createMemoryOutput(true);
    await runVerify({ server: server.url, ceremony: 'sealed', full: false, json: true, output });
    const report = JSON.parse(output.stdout()) as {
      checks: { name: string; status: string; detail: string }[];
    };
    expect(report.checks.find((c) => c.name === 'approvals')).toMatchObject({ status: 'pass' });
    expect(report.checks.find((c) => c.name === 'approvals')?.detail).toContain(
      'needs 2 approvals per act; 1 act(s)',
    );
  }, 300_000);
});
