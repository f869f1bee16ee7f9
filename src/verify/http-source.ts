// The coordinator's public read API (docs/PROTOCOL.md section 3) as an audit source: the log via HttpLogSource;
// large files stream to a temp directory with their SHA-256 computed in the same pass. Nothing here trusts them.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { HttpLogSource } from './http-log-source.js';
import {
  type ArtifactRef,
  assertCircuitName,
  type CeremonySource,
  describeArtifact,
  type LocalArtifact,
  type PublishedFile,
} from './sources.js';

export class HttpSource extends HttpLogSource implements CeremonySource {
  #tempDir: Promise<string> | undefined;

  async readPublished(circuit: string, file: PublishedFile): Promise<Uint8Array | undefined> {
    assertCircuitName('HttpSource.readPublished', circuit);
    // The coordinator serves the outputs themselves; the final zkey's hash is in the transcript.
    if (file === 'final.zkey.sha256') return undefined;
    const response = await this.get(this.ceremonyUrl(`/circuits/${circuit}/${file}`));
    return response ? new Uint8Array(await response.arrayBuffer()) : undefined;
  }

  async fetchArtifact(
    ref: ArtifactRef,
    onProgress?: (message: string) => void,
  ): Promise<LocalArtifact | undefined> {
    assertCircuitName('HttpSource.fetchArtifact', ref.circuit);
    const path = ref.kind === 'zkey' ? `zkeys/${ref.index}` : ref.kind;
    const url = this.ceremonyUrl(`/circuits/${ref.circuit}/${path}`);
    const response = await this.get(url, false);
    if (!response?.body) return undefined;
    onProgress?.(`fetching ${describeArtifact(ref)}`);
    this.#tempDir ??= mkdtemp(join(tmpdir(), 'ceremony-verify-'));
    const out = join(await this.#tempDir, `${ref.circuit}-${path.replace('/', '-')}`);
    const hash = createHash('sha256');
    await pipeline(
      Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>),
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          hash.update(chunk);
          yield chunk;
        }
      },
      createWriteStream(out),
    );
    return { path: out, sha256: hash.digest('hex'), origin: url };
  }

  async close(): Promise<void> {
    const dir = this.#tempDir;
    this.#tempDir = undefined;
    if (dir) await rm(await dir, { recursive: true, force: true });
  }
}
