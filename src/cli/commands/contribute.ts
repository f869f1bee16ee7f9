// `ceremony contribute`: the whole participant flow for every circuit, computing each contribution locally.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { openSigner } from '../../keys/open-signer.js';
import { contribute } from '../../snark/runner.js';
import type { CliOutput } from '../output.js';
import { printNote } from '../output.js';
import { type ParticipantFlowResult, runParticipantFlow, type Turn } from '../participant-flow.js';

// snarkjs stores at most 64 characters of the contributor's name in the zkey.
const MAX_ZKEY_NAME = 64;

export interface ContributeOptions {
  server: string;
  keyFile: string;
  ceremony: string;
  /** Extra entropy text mixed after 64 random bytes; never printed or logged. */
  entropy?: string;
  statement?: string;
  /** Name to self-register under in a ceremony open to all. */
  name?: string;
  receiptDir: string;
  output: CliOutput;
  pollIntervalMs?: number;
  /** Seconds to wait for the witness quorum on each receipt's checkpoint (`--witness-wait`, default 60; 0 skips). */
  witnessWaitSeconds?: number;
}

export async function runContribute(opts: ContributeOptions): Promise<ParticipantFlowResult> {
  if (typeof opts?.keyFile !== 'string') throw new TypeError('runContribute: keyFile is required');
  const keys = await openSigner(opts.keyFile);
  return runParticipantFlow({
    server: opts.server,
    keys,
    ceremony: opts.ceremony,
    statement: opts.statement,
    name: opts.name,
    receiptDir: opts.receiptDir,
    output: opts.output,
    pollIntervalMs: opts.pollIntervalMs,
    witnessWaitSeconds: opts.witnessWaitSeconds,
    produceZkey: (turn) => contributeToTurn(turn, opts.entropy),
  });
}

/** Downloads the current zkey (checking its hash), adds our contribution, returns the new file. */
async function contributeToTurn(turn: Turn, extraEntropy: string | undefined): Promise<string> {
  const prevPath = join(turn.workDir, `${turn.circuit}-${turn.latestIndex}.zkey`);
  const outPath = join(turn.workDir, `${turn.circuit}-${turn.index}.zkey`);
  const zkeyUrl = `/ceremonies/${encodeURIComponent(turn.ceremony)}/circuits/${encodeURIComponent(turn.circuit)}/zkeys/latest`;
  const bar = turn.progress.transfer(`download ${turn.circuit} #${turn.latestIndex}`);
  try {
    await turn.client.downloadToFile(prevPath, zkeyUrl, turn.latestZkeySha256, (done, total) =>
      bar.update(done, total),
    );
  } finally {
    bar.finish();
  }
  const entropy = randomBytes(64).toString('hex') + (extraEntropy ?? '');
  const spinner = turn.progress.spinner(`circuit ${turn.circuit}: contributing…`);
  try {
    const name = turn.participantName.slice(0, MAX_ZKEY_NAME);
    const result = await contribute(prevPath, outPath, name, entropy);
    printNote(
      turn.output,
      `circuit ${turn.circuit}: contributed in ${(result.durationMs / 1000).toFixed(1)} s`,
    );
  } finally {
    spinner.stop();
  }
  return outPath;
}
