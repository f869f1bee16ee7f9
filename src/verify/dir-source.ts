// A published ceremony directory (docs/PROTOCOL.md section 13) as an audit source; what it lacks comes from
// `--server` when one is given.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { sha256File } from '../storage/file-hash.js';
import { HttpSource } from './http-source.js';
import {
  type ArtifactRef,
  assertCircuitName,
  type CeremonySource,
  describeArtifact,
  type LocalArtifact,
  type PublishedFile,
  type SourceHead,
} from './sources.js';

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** The ceremony id a transcript's first line names, read leniently (the checks judge the line itself). */
function ceremonyOfTranscript(transcript: string): string | undefined {
  const end = transcript.indexOf('\n');
  try {
    const first = JSON.parse(end < 0 ? transcript : transcript.slice(0, end)) as { ceremony?: unknown };
    return typeof first.ceremony === 'string' ? first.ceremony : undefined;
  } catch {
    return undefined;
  }
}

/** `ceremony-transcripts/<id>/`, plus the archive extension `<circuit>/{final.zkey,circuit.r1cs,circuit.ptau,zkeys/<i>.zkey}`. */
export class DirectorySource implements CeremonySource {
  readonly label: string;
  #ceremonyId: string | undefined;
  #fallback: HttpSource | undefined;
  readonly #dir: string;
  readonly #server: string | undefined;

  constructor(options: { dir: string; server?: string; ceremony?: string }) {
    if (typeof options?.dir !== 'string' || options.dir === '') {
      throw new TypeError('DirectorySource: dir must be a non-empty path');
    }
    this.#dir = resolve(options.dir);
    this.#server = options.server;
    this.#ceremonyId = options.ceremony;
    this.label = options.server ? `${this.#dir} (missing files from ${options.server})` : this.#dir;
  }

  get ceremonyId(): string | undefined {
    return this.#ceremonyId;
  }

  /** The coordinator asked for what the directory lacks; undefined without --server. */
  #remote(): HttpSource | undefined {
    if (this.#server === undefined || this.#ceremonyId === undefined) return undefined;
    this.#fallback ??= new HttpSource({ server: this.#server, ceremony: this.#ceremonyId });
    return this.#fallback;
  }

  async readHead(): Promise<SourceHead> {
    const transcript = await readOptional(join(this.#dir, 'transcript.jsonl'));
    if (transcript === undefined) throw new Error(`DirectorySource: no transcript.jsonl in ${this.#dir}`);
    const text = transcript.toString('utf8');
    this.#ceremonyId ??= ceremonyOfTranscript(text);
    const checkpoint = await readOptional(join(this.#dir, 'checkpoint'));
    return { transcript: text, checkpoint: checkpoint?.toString('utf8') };
  }

  async readCheckpoints(_knownSize: number): Promise<Map<number, string>> {
    const dir = join(this.#dir, 'checkpoints');
    const names = await readdir(dir).catch(() => [] as string[]);
    // Every published size is read, also past the transcript's end: such a checkpoint is evidence of truncation.
    const sizes = names
      .filter((n) => /^[1-9][0-9]{0,15}$/.test(n))
      .map(Number)
      .sort((a, b) => a - b);
    const notes = new Map<number, string>();
    for (let i = 0; i < sizes.length; i += 256) {
      const batch = sizes.slice(i, i + 256);
      const texts = await Promise.all(batch.map((size) => readFile(join(dir, String(size)), 'utf8')));
      for (const [j, size] of batch.entries()) notes.set(size, texts[j]!);
    }
    return notes;
  }

  async readLogKey(): Promise<string | undefined> {
    const local = await readOptional(join(this.#dir, 'log-key.pub'));
    if (local !== undefined) return local.toString('utf8').trim();
    return this.#remote()?.readLogKey();
  }

  async readConsistencyProof(from: number, to: number): Promise<string[] | undefined> {
    return this.#remote()?.readConsistencyProof(from, to);
  }

  async readPublished(circuit: string, file: PublishedFile): Promise<Uint8Array | undefined> {
    assertCircuitName('DirectorySource.readPublished', circuit);
    const local = await readOptional(join(this.#dir, circuit, file));
    if (local !== undefined) return new Uint8Array(local);
    return this.#remote()?.readPublished(circuit, file);
  }

  async fetchArtifact(
    ref: ArtifactRef,
    onProgress?: (message: string) => void,
  ): Promise<LocalArtifact | undefined> {
    assertCircuitName('DirectorySource.fetchArtifact', ref.circuit);
    const path = join(this.#dir, ref.circuit, localName(ref));
    if (await isFile(path)) {
      onProgress?.(`hashing ${describeArtifact(ref)}`);
      return { path, sha256: await sha256File(path), origin: path };
    }
    return this.#remote()?.fetchArtifact(ref, onProgress);
  }

  async close(): Promise<void> {
    await this.#fallback?.close();
  }
}

function localName(ref: ArtifactRef): string {
  if (ref.kind !== 'zkey') return `circuit.${ref.kind}`;
  if (ref.index === 'final') return 'final.zkey';
  if (!Number.isSafeInteger(ref.index) || ref.index < 0)
    throw new RangeError(`localName: bad zkey index ${ref.index}`);
  return join('zkeys', `${ref.index}.zkey`);
}
