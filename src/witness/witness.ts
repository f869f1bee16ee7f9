// A C2SP tlog-witness: answers add-checkpoint requests for the logs it trusts, keeping the latest cosigned checkpoint
// of each origin and evidence of refused requests that a trusted log signed (a split view or a rollback).
import type { Signer } from '../keys/signer.js';
import { cosignCheckpoint, parseCheckpoint, parseNote } from '../transcript/note.js';
import { encodeCosignerKey } from './cosigner-key.js';
import { judgeAddCheckpoint } from './judge.js';
import { MalformedRequest, parseAddCheckpointRequest } from './request.js';
import type { WitnessStore } from './store.js';
import { logsForOrigin, type TrustedLog, trustedSignatures } from './trusted-logs.js';

export interface WitnessAnswer {
  status: 200 | 400 | 403 | 404 | 409 | 422;
  contentType: 'text/plain; charset=utf-8' | 'text/x.tlog.size';
  body: string;
}

export interface WitnessOptions {
  name: string;
  signer: Signer;
  logs: readonly TrustedLog[];
  store: WitnessStore;
  /** Seconds since the epoch; tests fix it for known-answer bytes. */
  now?: () => number;
}

const utf8 = new TextEncoder();

export class Witness {
  readonly name: string;
  readonly vkey: string;
  readonly #options: WitnessOptions;

  constructor(options: WitnessOptions) {
    if (options.logs.length === 0) throw new Error('witness: give at least one --log key');
    this.#options = options;
    this.name = options.name;
    this.vkey = encodeCosignerKey(options.name, options.signer.publicKey);
  }

  async addCheckpoint(requestBody: string): Promise<WitnessAnswer> {
    let request: ReturnType<typeof parseAddCheckpointRequest>;
    let parsed: ReturnType<typeof parseNote>;
    let checkpoint: ReturnType<typeof parseCheckpoint>;
    try {
      request = parseAddCheckpointRequest(requestBody);
      parsed = parseNote(request.note);
      checkpoint = parseCheckpoint(parsed.body);
    } catch (err) {
      const reason =
        err instanceof MalformedRequest ? err.message : `malformed checkpoint: ${(err as Error).message}`;
      return text(400, reason);
    }
    const logs = logsForOrigin(this.#options.logs, checkpoint.origin);
    if (logs.length === 0) return text(404, `unknown log origin ${checkpoint.origin}`);
    const signatures = trustedSignatures(logs, utf8.encode(parsed.body), parsed.signatures);
    if (signatures === null) return text(403, 'no valid signature by a trusted key of this log');

    const { store } = this.#options;
    return store.withOrigin(checkpoint.origin, async () => {
      const held = await store.held(checkpoint.origin);
      const verdict = judgeAddCheckpoint(held, request.oldSize, request.proof, checkpoint);
      if (verdict.status !== 200) {
        await store.recordEvidence({
          time: new Date().toISOString(),
          status: verdict.status,
          reason: verdict.reason,
          request: requestBody,
        });
        if (verdict.status === 409)
          return { status: 409, contentType: 'text/x.tlog.size', body: `${verdict.heldSize}\n` };
        return text(verdict.status, verdict.reason);
      }
      const now = this.#options.now?.() ?? Math.floor(Date.now() / 1000);
      const cosignature = cosignCheckpoint(parsed.body, this.name, this.#options.signer, now);
      const kept = `${parsed.body}\n${signatures.map((s) => s.line).join('')}${cosignature}`;
      // Must be stored before answering: a cosignature the witness forgets could be followed by one on another tree.
      await store.storeNote(checkpoint.origin, kept);
      return { status: 200, contentType: 'text/plain; charset=utf-8', body: cosignature };
    });
  }

  /** The latest cosigned checkpoint of the origin hashing to `originHash`, with the log's and the witness's signatures. */
  latestCheckpoint(originHash: string): Promise<string | undefined> {
    return this.#options.store.readNoteByHash(originHash);
  }

  evidence(): Promise<string> {
    return this.#options.store.readEvidence();
  }
}

function text(status: 400 | 403 | 404 | 422, reason: string): WitnessAnswer {
  return { status, contentType: 'text/plain; charset=utf-8', body: `${reason}\n` };
}
