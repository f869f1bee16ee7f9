// `ceremony upload`: submits a zkey computed elsewhere (e.g. offline) for one circuit, with its attestation.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { openSigner } from '../../keys/open-signer.js';
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
  const keys = await openSigner(opts.keyFile);
  const download = `ceremony download --server ${opts.server} --ceremony ${opts.ceremony} --circuit ${opts.circuit} --out FILE`;
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
