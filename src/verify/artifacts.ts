// Files the transcript names by SHA-256, obtained from the source once each and handed out only when their hash
// is the one the transcript states.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpSource } from './http-source.js';
import { type ArtifactRef, type CeremonySource, describeArtifact } from './sources.js';

/** Why an artifact cannot be used: missing from the source, or not the file the transcript names. */
export class ArtifactError extends Error {
  /** True when the source does not have the file at all (rather than a wrong or unreadable one). */
  readonly missing: boolean;
  constructor(message: string, missing = false) {
    super(message);
    this.name = 'ArtifactError';
    this.missing = missing;
  }
}

export class ArtifactStore {
  readonly #source: CeremonySource;
  readonly #onProgress: ((message: string) => void) | undefined;
  readonly #cache = new Map<string, Promise<string>>();
  #workDir: Promise<string> | undefined;

  constructor(source: CeremonySource, onProgress?: (message: string) => void) {
    if (!source || typeof source.fetchArtifact !== 'function') {
      throw new TypeError('ArtifactStore: source must be a CeremonySource');
    }
    this.#source = source;
    this.#onProgress = onProgress;
  }

  /** Local path of the artifact once its SHA-256 equals `expectedSha256`; throws ArtifactError saying why not. */
  obtain(ref: ArtifactRef, expectedSha256: string): Promise<string> {
    if (!/^[0-9a-f]{64}$/.test(expectedSha256)) {
      throw new TypeError('ArtifactStore.obtain: expectedSha256 must be 64 lowercase hex characters');
    }
    const key = `${JSON.stringify(ref)}@${expectedSha256}`;
    let found = this.#cache.get(key);
    if (!found) {
      found = this.#fetch(ref, expectedSha256);
      this.#cache.set(key, found);
    }
    return found;
  }

  async #fetch(ref: ArtifactRef, expectedSha256: string): Promise<string> {
    const what = describeArtifact(ref);
    let artifact: Awaited<ReturnType<CeremonySource['fetchArtifact']>>;
    try {
      artifact = await this.#source.fetchArtifact(ref, this.#onProgress);
    } catch (err) {
      throw new ArtifactError(`the ${what} could not be read: ${(err as Error).message}`);
    }
    if (!artifact) {
      const where = this.#source instanceof HttpSource ? '' : hint(ref);
      throw new ArtifactError(`the ${what} is not available from ${this.#source.label}${where}`, true);
    }
    if (artifact.sha256 !== expectedSha256) {
      throw new ArtifactError(
        `the ${what} from ${artifact.origin} has SHA-256 ${artifact.sha256.slice(0, 16)}…, the transcript names ${expectedSha256.slice(0, 16)}…`,
      );
    }
    return artifact.path;
  }

  /** A private scratch directory for files the auditor computes itself (e.g. the initial zkey). */
  workDir(): Promise<string> {
    this.#workDir ??= mkdtemp(join(tmpdir(), 'ceremony-audit-'));
    return this.#workDir;
  }

  async close(): Promise<void> {
    const dir = this.#workDir;
    this.#workDir = undefined;
    if (dir) await rm(await dir, { recursive: true, force: true });
  }
}

function hint(ref: ArtifactRef): string {
  const local =
    ref.kind !== 'zkey'
      ? `circuit.${ref.kind}`
      : ref.index === 'final'
        ? 'final.zkey'
        : `zkeys/${ref.index}.zkey`;
  return ` (give --server, or put ${ref.circuit}/${local} in the directory)`;
}
