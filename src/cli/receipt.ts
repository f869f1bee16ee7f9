// A participant's receipt: checked against our own contribution, saved, and its checkpoint cosigned.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Receipt } from '../ceremony/types.js';
import type { Signer } from '../keys/signer.js';
import { isPathName } from '../names.js';
import { cosignCheckpoint } from '../transcript/note.js';
import type { CoordinatorClient } from './client.js';
import type { CheckedReceipt } from './receipt-check.js';

export { type CheckedReceipt, checkReceipt, type ExpectedReceipt } from './receipt-check.js';

/** Writes `<dir>/<ceremony>-<circuit>-<index>.json` and returns its absolute path. */
/** Where saveReceipt keeps this receipt: `<dir>/<ceremony>-<circuit>-<index>.json`. */
export function receiptPath(dir: string, receipt: Pick<Receipt, 'ceremony' | 'circuit' | 'index'>): string {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('saveReceipt: dir is required');
  if (!isPathName(receipt.ceremony) || !isPathName(receipt.circuit) || !Number.isSafeInteger(receipt.index)) {
    throw new Error(
      `saveReceipt: the receipt names ceremony ${JSON.stringify(receipt.ceremony)}, circuit ` +
        `${JSON.stringify(receipt.circuit)}, index ${JSON.stringify(receipt.index)}: not a safe file name`,
    );
  }
  return resolve(join(dir, `${receipt.ceremony}-${receipt.circuit}-${receipt.index}.json`));
}

export async function saveReceipt(dir: string, receipt: Receipt): Promise<string> {
  const path = receiptPath(dir, receipt);
  await mkdir(resolve(dir), { recursive: true });
  await writeFile(path, `${JSON.stringify(receipt, null, 2)}\n`);
  return path;
}

/** Adds our tlog-cosignature/v1 to the checkpoint the receipt holds: a witness that we saw this tree. */
export async function cosignReceipt(
  client: CoordinatorClient,
  ceremonyPath: string,
  checked: CheckedReceipt,
  keyName: string,
  signer: Signer,
): Promise<void> {
  const signature = cosignCheckpoint(checked.checkpointBody, keyName, signer, Math.floor(Date.now() / 1000));
  await client.postJson(`${ceremonyPath}/cosignatures`, { treeSize: checked.treeSize, signature });
}
