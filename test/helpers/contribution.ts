// Raw contribution traffic for tests: download a zkey, attest a file, upload it, wait for the verdict.
import { createReadStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { attestationMessage } from '../../src/ceremony/attestation.js';
import { sign } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { readZkeyInfo } from '../../src/snark/zkey-file.js';
import { sha256File } from '../../src/storage/file-hash.js';
import { type ApiAnswer, call } from './api.js';

/** Saves `zkeys/<index>` of a circuit to `path`. */
export async function downloadZkey(
  url: string,
  ceremony: string,
  circuit: string,
  index: string | number,
  path: string,
) {
  const response = await fetch(`${url}/v1/ceremonies/${ceremony}/circuits/${circuit}/zkeys/${index}`);
  if (!response.ok) throw new Error(`downloadZkey: HTTP ${response.status}`);
  await writeFile(path, Buffer.from(await response.arrayBuffer()));
  return path;
}

/** The hex attestation of `path` as contribution `index` on top of `prevZkeySha256`, signed with `secretKey`. */
export async function attestFile(
  path: string,
  fields: { ceremony: string; circuit: string; index: number; prevZkeySha256: string },
  secretKey: Uint8Array,
): Promise<string> {
  const info = await readZkeyInfo(path);
  const message = attestationMessage({
    ...fields,
    zkeySha256: await sha256File(path),
    contributionHash: info.contributions.at(-1)?.contributionHash ?? '',
  });
  return toHex(sign(message, secretKey));
}

export interface UploadAnswer {
  error?: { code: string };
  contributionId?: string;
  state?: string;
}

/** PUTs a zkey as the body of a contribution, streamed, with its attestation header. */
export async function uploadZkey(
  url: string,
  token: string,
  target: { ceremony: string; circuit: string },
  path: string,
  attestation: string,
): Promise<ApiAnswer<UploadAnswer>> {
  return call<UploadAnswer>(
    url,
    'PUT',
    `/v1/ceremonies/${target.ceremony}/circuits/${target.circuit}/contribution`,
    {
      token,
      body: Readable.toWeb(createReadStream(path)) as ReadableStream,
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String((await stat(path)).size),
        'x-ceremony-attestation': attestation,
      },
    },
  );
}

export interface Verdict {
  state: string;
  reason: { code: string } | null;
}

/** Polls a contribution until it is no longer being verified (30 s at most). */
export async function waitForVerdict(
  url: string,
  ceremony: string,
  contributionId: string,
): Promise<Verdict> {
  let verdict: Verdict = { state: 'verifying', reason: null };
  for (let i = 0; i < 150 && verdict.state === 'verifying'; i++) {
    await new Promise((r) => setTimeout(r, 200));
    verdict = (await call<Verdict>(url, 'GET', `/v1/ceremonies/${ceremony}/contributions/${contributionId}`))
      .body;
  }
  return verdict;
}
