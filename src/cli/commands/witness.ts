// `ceremony witness serve|vkey`: run a C2SP tlog-witness for coordinators' logs, or print its verifier key.
import { openSigner } from '../../keys/open-signer.js';
import { encodeCosignerKey } from '../../witness/cosigner-key.js';
import { DEFAULT_WITNESS_LIMITS, listenWitness, type WitnessLimits } from '../../witness/http-server.js';
import { WitnessStore } from '../../witness/store.js';
import { parseTrustedLog } from '../../witness/trusted-logs.js';
import { Witness } from '../../witness/witness.js';
import { UsageError } from '../args.js';

export const DEFAULT_MAX_EVIDENCE_BYTES = 64 * 1024 * 1024;

export async function printWitnessKey(options: { name: string; key: string }): Promise<{ vkey: string }> {
  const signer = await openSigner(options.key);
  try {
    return { vkey: encodeCosignerKey(checkName(options.name), signer.publicKey) };
  } finally {
    signer.close?.();
  }
}

export interface WitnessServeOptions {
  name: string;
  key: string;
  logs: string[];
  dataDir: string;
  host: string;
  port: number;
  limits: WitnessLimits;
  maxEvidenceBytes: number;
}

/** Starts the witness; the returned close stops listening and releases the data dir. */
export async function startWitness(
  options: WitnessServeOptions,
): Promise<{ vkey: string; url: string; close(): Promise<void> }> {
  const logs = options.logs.map((spec) => {
    try {
      return parseTrustedLog(spec);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  });
  const signer = await openSigner(options.key);
  const store = await WitnessStore.open(options.dataDir, { maxEvidenceBytes: options.maxEvidenceBytes });
  try {
    const witness = new Witness({ name: checkName(options.name), signer, logs, store });
    const running = await listenWitness(witness, {
      host: options.host,
      port: options.port,
      limits: options.limits,
    });
    return {
      vkey: witness.vkey,
      url: running.url,
      close: async () => {
        await running.close();
        await store.close();
        signer.close?.();
      },
    };
  } catch (err) {
    await store.close();
    signer.close?.();
    throw err;
  }
}

export { DEFAULT_WITNESS_LIMITS };

function checkName(name: string): string {
  if (name === '' || /[\s+]/u.test(name))
    throw new UsageError('--name must be non-empty, without spaces or "+"');
  return name;
}
