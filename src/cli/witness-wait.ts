// After a contribution: wait, bounded, for the coordinator's witnesses to cosign the receipt's checkpoint, so the
// saved receipt carries their cosignatures (what `ceremony verify --receipt --witness …` will ask for).
import { parseNote } from '../transcript/note.js';
import { findCosignature, parseCosignerKey } from '../witness/cosigner-key.js';
import { type CoordinatorClient, sleep } from './client.js';
import { type CliOutput, printNote } from './output.js';

export const DEFAULT_WITNESS_WAIT_SECONDS = 60;

/**
 * The receipt's checkpoint note with the witness cosignatures once `quorum` of the coordinator's witnesses cosigned
 * it; undefined when the coordinator has no witnesses, or after `waitSeconds` (saying so).
 */
export async function waitForWitnessQuorum(options: {
  client: CoordinatorClient;
  ceremonyPath: string;
  treeSize: number;
  checkpointBody: string;
  waitSeconds: number;
  output: CliOutput;
  pollIntervalMs?: number;
}): Promise<string | undefined> {
  const { client, treeSize, output } = options;
  if (options.waitSeconds <= 0) return undefined;
  const list = await client.getJson<{ quorum: number; witnesses: { vkey: string }[] }>('/witnesses');
  if (list.quorum === 0 || list.witnesses.length === 0) return undefined;
  const keys = list.witnesses.map((w) => parseCosignerKey(w.vkey));
  printNote(
    output,
    `waiting up to ${options.waitSeconds} s for ${list.quorum} witness cosignatures on checkpoint ${treeSize}`,
  );
  const deadline = Date.now() + options.waitSeconds * 1000;
  let seen: string[] = [];
  for (;;) {
    const note = await client.getText(`${options.ceremonyPath}/checkpoints/${treeSize}`);
    const { body, signatures } = parseNote(note);
    if (body === options.checkpointBody) {
      const lines = signatures.map((s) => s.line);
      seen = keys.filter((k) => findCosignature(body, lines, k) !== null).map((k) => k.name);
      if (seen.length >= list.quorum) {
        printNote(output, `checkpoint ${treeSize} cosigned by ${seen.join(', ')}`);
        return note;
      }
    }
    if (Date.now() >= deadline) break;
    await sleep(options.pollIntervalMs ?? 1000);
  }
  printNote(
    output,
    `warning: ${seen.length} of ${list.quorum} witnesses cosigned checkpoint ${treeSize} within ${options.waitSeconds} s; ` +
      'the receipt is saved without their cosignatures (the published checkpoint will carry them)',
  );
  return undefined;
}
