// The step check of an upload while it streams in (docs/VERIFIER.md), and the verification a contribution needs
// when its streamed verdict is not at hand (the verifier was unavailable) or when it is due for the verifyFromInit cross-check.
import { verifyFromInit, verifyStepFromFiles } from '../snark/runner.js';
import type { StreamedStep, StreamedVerdict } from '../snark/step-verify/step-service.js';
import type { Services } from './services.js';

export interface UploadTap {
  /** Hands a chunk to the verifier; a verifier that fails only loses the streamed verdict, never the upload. */
  onChunk(chunk: Uint8Array): Promise<void>;
  /** The streamed verdict after the last byte, or undefined when the verifier could not give one. */
  verdict(): Promise<StreamedVerdict | undefined>;
  /** The upload failed: forget the check. */
  drop(): void;
}

// The body is not read while the upload waits: a longer wait would hold the participant's turn idle.
const PREPARE_WAIT_MS = 3000;

/** Starts computing the step verifier's side of this zkey ahead of the next upload (its local copy fetched first). */
export function prepareStep(s: Services, sha256: string): void {
  s.store.localPath(sha256).then(
    (path) => s.steps.verifier.prepare(sha256, path),
    // The next upload's begin() fetches it again and reports what failed.
    (err: unknown) => s.log.warn({ err, zkey: sha256 }, 'zkey could not be fetched for the step verifier'),
  );
}

/** Starts the streamed check of an upload on top of the zkey with this hash. */
export async function tapUpload(s: Services, prevSha256: string): Promise<UploadTap> {
  let step: StreamedStep | undefined;
  try {
    step = await s.steps.verifier.begin(prevSha256, await s.store.localPath(prevSha256), PREPARE_WAIT_MS);
  } catch (err) {
    s.log.warn({ err }, 'streaming verifier unavailable; the verification job will check the file');
  }
  let broken = step === undefined;
  const lose = (err: unknown) => {
    if (!broken) s.log.warn({ err }, 'streaming verifier failed; the verification job will check the file');
    broken = true;
  };
  return {
    onChunk: async (chunk) => {
      if (!broken) await step?.push(chunk).catch(lose);
    },
    verdict: async () => {
      if (broken || !step) return undefined;
      return step.finish().catch((err: unknown) => {
        lose(err);
        return undefined;
      });
    },
    drop: () => step?.drop(),
  };
}

export interface StepOutcome {
  ok: boolean;
  /** Which methods ran for this verdict, as the transcript entry names them. */
  method: string;
  durationMs: number;
  maxRssBytes: number;
  reason?: string;
  /** The step check accepted the zkey and the snarkjs cross-check refused it (a verifier disagreement). */
  disagreement?: { check: string; acceptedBy: string };
}

/**
 * The job's verification: the streamed verdict stored with the contribution when it passed (else the same step check from the stored file),
 * plus snarkjs verifyFromInit on every `crossCheckEvery`th contribution, so two methods agree on the record.
 */
export async function verifyContributionStep(
  s: Services,
  c: { id: string; idx: number; prev_zkey_sha256: string; step_passed: boolean },
  path: string,
  initial: { zkeyPath: string; ptauPath: string },
  opts: { signal: AbortSignal; timeoutMs: number },
): Promise<StepOutcome> {
  const methods: string[] = ['step'];
  let durationMs = 0;
  let maxRssBytes = 0;
  if (!c.step_passed) {
    const step = await verifyStepFromFiles(await s.store.localPath(c.prev_zkey_sha256), path, opts);
    durationMs += step.durationMs;
    maxRssBytes = Math.max(maxRssBytes, step.maxRssBytes);
    if (!step.ok && !s.config.testOnlyStepVerifierAcceptsAll) {
      const reason = `step check against the previous zkey failed: ${step.reason ?? 'no reason given'}`;
      return { ok: false, method: 'step', durationMs, maxRssBytes, reason };
    }
  }
  if (c.idx % s.config.crossCheckEvery === 0) {
    methods.push('zKey.verifyFromInit');
    const full = await verifyFromInit(initial.zkeyPath, initial.ptauPath, path, opts);
    durationMs += full.durationMs;
    maxRssBytes = Math.max(maxRssBytes, full.maxRssBytes);
    if (!full.ok) {
      const reason = 'snarkjs verification against the initial zkey and ptau failed';
      const disagreement = { check: 'zKey.verifyFromInit', acceptedBy: 'step' };
      return { ok: false, method: methods.join('+'), durationMs, maxRssBytes, reason, disagreement };
    }
  }
  return { ok: true, method: methods.join('+'), durationMs, maxRssBytes };
}
