// Sets up real ceremonies over HTTP with the CLI's own coordinator commands, for integration tests.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as admin from '../../src/cli/commands/admin.js';
import { runContribute } from '../../src/cli/commands/contribute.js';
import { createMemoryOutput } from '../../src/cli/output.js';
import type { ParticipantFlowResult } from '../../src/cli/participant-flow.js';
import { generateKeyPair, type KeyPair, writeKeyFile } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import type { TestServer } from './server.js';

export const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

export interface TestParticipant {
  participantId: string;
  name: string;
  keys: KeyPair;
  keyFile: string;
}

export interface CircuitSpec {
  name: string;
  r1cs: string;
  ptau: string;
}

export const mulchain: CircuitSpec = {
  name: 'mulchain',
  r1cs: fixture('mulchain-1021.r1cs'),
  ptau: fixture('pot10.ptau'),
};
export const affine: CircuitSpec = {
  name: 'affine',
  r1cs: fixture('affine-chain-300.r1cs'),
  ptau: fixture('pot10.ptau'),
};

export interface TestCeremony {
  id: string;
  workDir: string;
  coordinatorKeyFile: string;
  participants: TestParticipant[];
  adminOptions: admin.AdminOptions;
}

export async function setupCeremony(
  server: Pick<TestServer, 'url' | 'coordinator'>,
  spec: {
    id: string;
    circuits: CircuitSpec[];
    participants: number;
    timeoutSeconds?: number;
    startsAt?: string;
    endsAt?: string;
    open?: boolean;
    openRegistration?: boolean;
  },
): Promise<TestCeremony> {
  const workDir = await mkdtemp(join(tmpdir(), `ceremony-${spec.id}-`));
  const coordinatorKeyFile = join(workDir, 'coordinator.key');
  await writeKeyFile(coordinatorKeyFile, server.coordinator);
  const adminOptions: admin.AdminOptions = {
    server: server.url,
    keyFile: coordinatorKeyFile,
    ceremony: spec.id,
    output: createMemoryOutput(),
    pollIntervalMs: 100,
  };
  await admin.createCeremony({
    ...adminOptions,
    title: `Test ceremony ${spec.id}`,
    timeoutSeconds: spec.timeoutSeconds ?? 300,
    startsAt: spec.startsAt,
    endsAt: spec.endsAt,
    openRegistration: spec.openRegistration,
  });
  for (const circuit of spec.circuits) await admin.addCircuit({ ...adminOptions, ...circuit });
  const participants: TestParticipant[] = [];
  for (let i = 0; i < spec.participants; i++) {
    const keys = generateKeyPair();
    const keyFile = join(workDir, `participant-${i + 1}.key`);
    await writeKeyFile(keyFile, keys);
    const name = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'][i] ?? `operator-${i + 1}`;
    const record = await admin.addParticipant({ ...adminOptions, name, publicKey: toHex(keys.publicKey) });
    participants.push({ participantId: record.participantId, name, keys, keyFile });
  }
  if (spec.open !== false) await admin.openCeremony(adminOptions);
  return { id: spec.id, workDir, coordinatorKeyFile, participants, adminOptions };
}

export function contributeAs(
  server: TestServer,
  ceremony: TestCeremony,
  p: TestParticipant,
): Promise<ParticipantFlowResult> {
  return runContribute({
    server: server.url,
    keyFile: p.keyFile,
    ceremony: ceremony.id,
    receiptDir: join(ceremony.workDir, `receipts-${p.participantId}`),
    output: createMemoryOutput(),
    pollIntervalMs: 100,
  });
}
