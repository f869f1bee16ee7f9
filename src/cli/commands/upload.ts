// `ceremony upload`: submits a zkey computed elsewhere (e.g. offline) for one circuit, with its attestation.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { openSigner } from '../../keys/open-signer.js';
import { readZkeyInfo } from '../../snark/zkey-file.js';
import { sha256File } from '../../storage/file-hash.js';
import { CoordinatorClient } from '../client.js';
import type { CliOutput } from '../output.js';
import { type ParticipantFlowResult, runParticipantFlow } from '../participant-flow.js';

export interface UploadOptions {
  server: string;
  keyFile: string;
  ceremony: string;
  circuit: string;
  zkey: string;
  statement?: string;
  receiptDir: string;
  output: CliOutput;
  pollIntervalMs?: number;
}

export async function runUpload(opts: UploadOptions): Promise<ParticipantFlowResult> {
  if (typeof opts?.circuit !== 'string' || opts.circuit === '')
    throw new TypeError('runUpload: circuit is required');
  const zkeyPath = resolve(opts.zkey);
  const file = await stat(zkeyPath).catch(() => undefined);
  if (file === undefined || !file.isFile()) throw new Error(`${opts.zkey} is not a readable file`);
  const download = `ceremony download --server ${opts.server} --ceremony ${opts.ceremony} --circuit ${opts.circuit} --out FILE`;
  // Before joining: a turn taken for a file the server would refuse holds up the line and ends as `turn.expired`.
  await requireNextContribution(opts, zkeyPath, download);
  const keys = await openSigner(opts.keyFile);
  return runParticipantFlow({
    server: opts.server,
    keys,
    ceremony: opts.ceremony,
    circuit: opts.circuit,
    statement: opts.statement,
    receiptDir: opts.receiptDir,
    output: opts.output,
    pollIntervalMs: opts.pollIntervalMs,
    produceZkey: async () => zkeyPath,
    adviseOnRejection: (code) =>
      code === 'ZKEY_NOT_EXTENDING' || code === 'ZKEY_MULTIPLE_CONTRIBUTIONS'
        ? `fetch the current zkey with '${download}', contribute to it and upload the result`
        : code === 'ZKEY_UNCHANGED'
          ? 'this is the current zkey itself; contribute to it first'
          : undefined,
  });
}

/** Refuses, before the queue is joined, a zkey that is not one contribution on top of the circuit's current zkey. */
async function requireNextContribution(
  opts: UploadOptions,
  zkeyPath: string,
  download: string,
): Promise<void> {
  const client = new CoordinatorClient(opts.server);
  const view = await client.getJson<{
    circuits: { name: string; contributionIndex: number; latestZkeySha256: string | null }[];
  }>(`/ceremonies/${encodeURIComponent(opts.ceremony)}`);
  const circuit = view.circuits.find((c) => c.name === opts.circuit);
  if (circuit === undefined) throw new Error(`ceremony ${opts.ceremony} has no circuit '${opts.circuit}'`);
  if ((await sha256File(zkeyPath)) === circuit.latestZkeySha256)
    throw new Error(
      `${opts.zkey} is the current zkey of circuit ${opts.circuit} unchanged: contribute to it first`,
    );
  const held = (await readZkeyInfo(zkeyPath)).contributions.length;
  const next = circuit.contributionIndex + 1;
  if (held !== next) {
    throw new Error(
      `${opts.zkey} holds ${held} contribution(s), but the next contribution to circuit ${opts.circuit} is #${next}: ` +
        `it does not build on the current zkey; fetch it with '${download}', contribute to it and upload the result`,
    );
  }
}
