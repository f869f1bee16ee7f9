// Where the auditor reads a ceremony from: a published directory (dir-source.ts), with whatever it lacks fetched
// from a coordinator, or the coordinator's public read API alone (http-source.ts).
// Sources only read and hash; the checks compare every hash with the transcript before a file is used.

import { circuitNamePattern } from '../limits.js';

export type PublishedFile = 'verification_key.json' | 'verifier.sol' | 'final.zkey.sha256';

/** A file the transcript names by hash: a circuit's inputs, or its zkey after contribution `index`. */
export type ArtifactRef =
  | { circuit: string; kind: 'r1cs' | 'ptau' }
  | { circuit: string; kind: 'zkey'; index: number | 'final' };

export interface LocalArtifact {
  /** A local path to read the file from (in the source's directory or its temp dir). */
  path: string;
  /** SHA-256 of the file as read, lowercase hex. */
  sha256: string;
  /** Where it came from, for details: a path or a URL. */
  origin: string;
}

export interface SourceHead {
  /** The transcript as published: canonical lines, each ending with a newline. */
  transcript: string;
  /** The latest signed checkpoint note, when one is published. */
  checkpoint: string | undefined;
}

/** What the log checks read: the transcript, checkpoints, log key and proofs (the browser's audit reads only this). */
export interface LogSource {
  /** How the report names this source. */
  readonly label: string;
  /** The ceremony id, when the source was told it. */
  readonly ceremonyId: string | undefined;
  readHead(): Promise<SourceHead>;
  /** Every published checkpoint note, by size; a coordinator is asked for sizes 1..knownSize. */
  readCheckpoints(knownSize: number): Promise<Map<number, string>>;
  readLogKey(): Promise<string | undefined>;
  /** An RFC 9162 consistency proof (hex) from the coordinator, when one is reachable. */
  readConsistencyProof(from: number, to: number): Promise<string[] | undefined>;
}

export interface CeremonySource extends LogSource {
  readPublished(circuit: string, file: PublishedFile): Promise<Uint8Array | undefined>;
  fetchArtifact(ref: ArtifactRef, onProgress?: (message: string) => void): Promise<LocalArtifact | undefined>;
  /** Removes downloaded files. */
  close(): Promise<void>;
}

// Circuit names end up in paths and URLs, so only the names a coordinator accepts are ever used.

export function assertCircuitName(fn: string, circuit: unknown): asserts circuit is string {
  if (typeof circuit !== 'string' || !circuitNamePattern.test(circuit)) {
    throw new TypeError(
      `${fn}: '${String(circuit)}' is not a circuit name (lowercase letters, digits, - and _)`,
    );
  }
}

export function describeArtifact(ref: ArtifactRef): string {
  if (ref.kind !== 'zkey') return `${ref.kind} of ${ref.circuit}`;
  return ref.index === 'final' ? `final zkey of ${ref.circuit}` : `zkey #${ref.index} of ${ref.circuit}`;
}
