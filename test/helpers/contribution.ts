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

/** PUTs a zkey as the body of a contribution, streamed, with its attestation (and optional statement) header. */
export async function uploadZkey(
  url: string,
  token: string,
  target: { ceremony: string; circuit: string },
  path: string,
  attestation: string,
  statement?: string,
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
        ...(statement === undefined
          ? {}
          : { 'x-ceremony-statement': Buffer.from(statement, 'utf8').toString('base64') }),
      },
    },
  );
}

export interface Verdict {
  state: string;
  reason: { code: string } | null;
}

/** Polls a contribution until it is no longer being verified; fails if it still is after `limitMs`. */
export async function waitForVerdict(
  url: string,
  ceremony: string,
  contributionId: string,
  limitMs = 60_000,
): Promise<Verdict> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const answer = await call<Verdict>(
      url,
      'GET',
      `/v1/ceremonies/${ceremony}/contributions/${contributionId}`,
    );
    if (answer.status !== 200)
      throw new Error(`waitForVerdict: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
    if (answer.body.state !== 'verifying') return answer.body;
    if (Date.now() > deadline)
      throw new Error(`waitForVerdict: contribution ${contributionId} still verifying after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
