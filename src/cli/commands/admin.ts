// `ceremony admin …`: the coordinator's commands over the write API (docs/ARCHITECTURE.md "Write API").

import { basename } from 'node:path';
import { toHex } from '../../crypto/hex.js';
import { openSigner } from '../../keys/open-signer.js';
import type { Signer } from '../../keys/signer.js';
import { sha256File } from '../../storage/file-hash.js';
import { CoordinatorClient, sleep } from '../client.js';
import type { CliOutput } from '../output.js';
import { printNote } from '../output.js';
import { createProgress } from '../progress.js';
import { type ApprovalOutcome, readApprovalsRequired, sendApproval } from './admin-approvals.js';

export interface CircuitView {
  name: string;
  status?: string;
  error?: string | { code?: string; message?: string } | null;
  constraints?: number;
  power?: number;
  initialZkeySha256?: string;
  [field: string]: unknown;
}

export interface CeremonyView {
  id: string;
  title?: string;
  state: string;
  circuits?: CircuitView[];
  finalization?: {
    error?: string | { code?: string; message?: string } | null;
    [field: string]: unknown;
  } | null;
  [field: string]: unknown;
}

export interface AdminOptions {
  server: string;
  keyFile: string;
  ceremony: string;
  output: CliOutput;
  /** How often to poll while the server works (default 1 s). */
  pollIntervalMs?: number;
  /**
   * A coordinator session already logged in (from connectCoordinatorSigner), for a caller that runs many commands in
   * one process: each command then skips its own login, which the server's per-key login budget would soon slow.
   */
  session?: CoordinatorSession;
}

export interface CoordinatorSession {
  client: CoordinatorClient;
  signer: Signer;
}

export async function connectCoordinator(opts: AdminOptions, caller: string): Promise<CoordinatorClient> {
  return (await connectCoordinatorSigner(opts, caller)).client;
}

/** Logs in as a coordinator and keeps the key at hand for signing approvals. */
export async function connectCoordinatorSigner(
  opts: AdminOptions,
  caller: string,
): Promise<CoordinatorSession> {
  if (typeof opts?.ceremony !== 'string' || opts.ceremony.length === 0)
    throw new TypeError(`${caller}: ceremony is required`);
  if (opts.session !== undefined) return opts.session;
  const keys = await openSigner(opts.keyFile);
  const client = new CoordinatorClient(opts.server);
  const login = await client.login(keys);
  if (login.coordinator === false) {
    throw new Error(
      `the key in ${opts.keyFile} (${toHex(keys.publicKey)}) is not a coordinator key of ${client.baseUrl}`,
    );
  }
  return { client, signer: keys };
}

export const ceremonyPath = (id: string) => `/ceremonies/${encodeURIComponent(id)}`;

export async function createCeremony(
  opts: AdminOptions & {
    title: string;
    timeoutSeconds?: number;
    startsAt?: string;
    endsAt?: string;
    openRegistration?: boolean;
    approvals?: number;
    coCoordinators?: string[];
  },
): Promise<CeremonyView> {
  const client = await connectCoordinator(opts, 'createCeremony');
  return client.postJson<CeremonyView>('/ceremonies', {
    id: opts.ceremony,
    title: opts.title,
    timeoutSeconds: opts.timeoutSeconds,
    startsAt: opts.startsAt,
    endsAt: opts.endsAt,
    openRegistration: opts.openRegistration === true,
    approvals: opts.approvals,
    coCoordinators: opts.coCoordinators?.map((key) => key.toLowerCase()),
  });
}

export interface AddCircuitResult {
  ceremony: string;
  circuit: string;
  status: string;
  constraints?: number;
  power?: number;
  initialZkeySha256?: string;
  r1csSha256: string;
  ptauSha256: string;
}

/** Uploads the r1cs and ptau, registers the circuit and waits until the server has built the initial zkey. */
export async function addCircuit(
  opts: AdminOptions & { name: string; r1cs: string; ptau: string },
): Promise<AddCircuitResult> {
  const client = await connectCoordinator(opts, 'addCircuit');
  const r1csSha256 = await uploadBlob(client, opts.r1cs, opts.output);
  const ptauSha256 = await uploadBlob(client, opts.ptau, opts.output);
  await client.postJson(`${ceremonyPath(opts.ceremony)}/circuits`, {
    name: opts.name,
    r1csSha256,
    ptauSha256,
  });
  printNote(opts.output, `circuit ${opts.name}: the server is computing the initial zkey`);
  const spinner = createProgress(opts.output).spinner(`preparing circuit ${opts.name}…`);
  try {
    for (;;) {
      const view = await client.getJson<CeremonyView>(ceremonyPath(opts.ceremony));
      const circuit = view.circuits?.find((c) => c.name === opts.name);
      if (circuit?.status === 'failed')
        throw new Error(`circuit ${opts.name} failed: ${describeError(circuit.error)}`);
      if (circuit?.status === 'ready') {
        return {
          ceremony: opts.ceremony,
          circuit: opts.name,
          status: 'ready',
          constraints: circuit.constraints,
          power: circuit.power,
          initialZkeySha256: circuit.initialZkeySha256,
          r1csSha256,
          ptauSha256,
        };
      }
      await sleep(opts.pollIntervalMs ?? 1000);
    }
  } finally {
    spinner.stop();
  }
}

/** PUT /blobs with progress; checks the server's hash against one computed locally. */
async function uploadBlob(client: CoordinatorClient, path: string, output: CliOutput): Promise<string> {
  const localSha256 = await sha256File(path);
  const bar = createProgress(output).transfer(`upload ${basename(path)}`);
  try {
    const stored = await client.uploadFile<{ sha256: string; size: number }>(
      '/blobs',
      path,
      {},
      (done, total) => bar.update(done, total),
    );
    if (stored.sha256 !== localSha256) {
      throw new Error(
        `upload of ${path}: the server stored SHA-256 ${stored.sha256}, the file has ${localSha256}`,
      );
    }
    return stored.sha256;
  } finally {
    bar.finish();
  }
}

export interface ParticipantRecord {
  participantId: string;
  name: string;
  publicKey: string;
}

export async function addParticipant(
  opts: AdminOptions & { name: string; publicKey: string },
): Promise<ParticipantRecord> {
  const client = await connectCoordinator(opts, 'addParticipant');
  return client.postJson<ParticipantRecord>(`${ceremonyPath(opts.ceremony)}/participants`, {
    name: opts.name,
    publicKey: opts.publicKey.toLowerCase(),
  });
}

export async function openCeremony(opts: AdminOptions): Promise<CeremonyView> {
  const client = await connectCoordinator(opts, 'openCeremony');
  return client.postJson<CeremonyView>(`${ceremonyPath(opts.ceremony)}/open`);
}

export async function closeCeremony(opts: AdminOptions): Promise<CeremonyView> {
  const client = await connectCoordinator(opts, 'closeCeremony');
  return client.postJson<CeremonyView>(`${ceremonyPath(opts.ceremony)}/close`);
}

/**
 * Applies the beacon to every circuit and waits until the ceremony is finalized; in a ceremony that needs M
 * approvals, signs the request and returns at once while it still waits for others.
 */
export async function finalizeCeremony(
  opts: AdminOptions & { beaconHex: string; beaconSource: string; iterationsExp: number },
): Promise<CeremonyView | ApprovalOutcome> {
  const { client, signer } = await connectCoordinatorSigner(opts, 'finalizeCeremony');
  const path = ceremonyPath(opts.ceremony);
  const args = {
    beaconHex: opts.beaconHex.toLowerCase(),
    beaconSource: opts.beaconSource.trim(),
    iterationsExp: opts.iterationsExp,
  };
  if ((await readApprovalsRequired(client, opts.ceremony)) > 1) {
    const outcome = await sendApproval(client, signer, opts.ceremony, 'finalize', args);
    if (outcome.pending) return outcome;
  } else {
    await client.postJson(`${path}/finalize`, args);
  }
  const spinner = createProgress(opts.output).spinner(`finalizing ${opts.ceremony}…`);
  try {
    for (;;) {
      const view = await client.getJson<CeremonyView>(path);
      if (view.state === 'finalized') return view;
      const error = view.finalization?.error;
      if (error !== undefined && error !== null)
        throw new Error(`finalization failed: ${describeError(error)}`);
      await sleep(opts.pollIntervalMs ?? 1000);
    }
  } finally {
    spinner.stop();
  }
}

function describeError(error: CircuitView['error']): string {
  if (error === undefined || error === null) return 'no reason given';
  if (typeof error === 'string') return error;
  return error.code === undefined ? (error.message ?? 'no reason given') : `${error.message} (${error.code})`;
}

export function formatCeremony(view: CeremonyView): string[] {
  const lines = [`ceremony ${view.id}: ${view.state}${view.title === undefined ? '' : ` — ${view.title}`}`];
  for (const circuit of view.circuits ?? []) {
    const index =
      typeof circuit.contributionIndex === 'number' ? `, contribution #${circuit.contributionIndex}` : '';
    lines.push(`  circuit ${circuit.name}: ${circuit.status ?? '?'}${index}`);
    if (typeof circuit.finalZkeySha256 === 'string')
      lines.push(`    final zkey SHA-256: ${circuit.finalZkeySha256}`);
  }
  return lines;
}

export function formatAddCircuit(result: AddCircuitResult): string[] {
  return [
    `circuit ${result.circuit} is ready`,
    `  constraints: ${result.constraints ?? '?'}`,
    `  power: ${result.power ?? '?'}`,
    `  initial zkey SHA-256: ${result.initialZkeySha256 ?? '?'}`,
  ];
}

export function formatParticipant(record: ParticipantRecord): string[] {
  return [`participant ${record.participantId} (${record.name}) allowlisted with key ${record.publicKey}`];
}
