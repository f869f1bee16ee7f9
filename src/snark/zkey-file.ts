// Reads a Groth16 zkey file's header and contributions (zkey-parse.ts) from a path, by random access.
import { open } from 'node:fs/promises';
import { parseZkeyInfo, type ZkeyInfo } from './zkey-parse.js';

export { contributionHashOf, hashPublicKey, type ZkeyContribution } from './zkey-contributions.js';
export { parseZkeyInfo, type ZkeyInfo } from './zkey-parse.js';

export async function readZkeyInfo(path: string): Promise<ZkeyInfo> {
  if (typeof path !== 'string' || path === '')
    throw new TypeError('readZkeyInfo: path must be a non-empty string');
  const handle = await open(path, 'r');
  try {
    return await parseZkeyInfo(handle);
  } finally {
    await handle.close();
  }
}
