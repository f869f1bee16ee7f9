// `ceremony demo --witnesses N`: N local witnesses that trust the demo's log key, and a wait for their quorum.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, writeKeyFile } from '../../crypto/ed25519.js';
import { encodeVerifierKey, parseNote } from '../../transcript/note.js';
import { findCosignature, parseCosignerKey } from '../../witness/cosigner-key.js';
import { sleep } from '../client.js';
import { DEFAULT_MAX_EVIDENCE_BYTES, DEFAULT_WITNESS_LIMITS, startWitness } from './witness.js';

export interface DemoWitnesses {
  /** Coordinator settings: the log key the witnesses trust, the witness list, the quorum (all of them). */
  env: Record<string, string>;
  vkeys: string[];
  close(): Promise<void>;
}

export async function startDemoWitnesses(dir: string, count: number, origin: string): Promise<DemoWitnesses> {
  const logKey = generateKeyPair();
  const logKeyFile = join(dir, 'keys', 'log.key');
  await writeKeyFile(logKeyFile, logKey);
  const running: Awaited<ReturnType<typeof startWitness>>[] = [];
  try {
    for (let i = 1; i <= count; i++) {
      const keyFile = join(dir, 'keys', `witness-${i}.key`);
      await writeKeyFile(keyFile, generateKeyPair());
      running.push(
        await startWitness({
          name: `witness-${i}.demo.local`,
          key: keyFile,
          logs: [encodeVerifierKey(origin, logKey.publicKey)],
          dataDir: join(dir, `witness-${i}`),
          host: '127.0.0.1',
          port: 0,
          limits: DEFAULT_WITNESS_LIMITS,
          maxEvidenceBytes: DEFAULT_MAX_EVIDENCE_BYTES,
        }),
      );
    }
  } catch (err) {
    for (const w of running) await w.close();
    throw err;
  }
  const list = join(dir, 'witnesses.txt');
  await writeFile(list, running.map((w) => `${w.vkey} ${w.url}\n`).join(''));
  return {
    env: {
      LOG_KEY: logKeyFile,
      WITNESSES_FILE: list,
      WITNESS_QUORUM: String(count),
      JOB_RETRY_DELAY_MS: '500',
    },
    vkeys: running.map((w) => w.vkey),
    close: async () => {
      for (const w of running) await w.close();
    },
  };
}

/** Waits (up to `seconds`) until every witness cosigned the latest checkpoint of the ceremony; false on time-out. */
export async function waitForAllCosigned(
  checkpointUrl: string,
  vkeys: string[],
  seconds = 60,
): Promise<boolean> {
  const keys = vkeys.map(parseCosignerKey);
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const { body, signatures } = parseNote(await (await fetch(checkpointUrl)).text());
    const lines = signatures.map((s) => s.line);
    if (keys.every((k) => findCosignature(body, lines, k) !== null)) return true;
    await sleep(200);
  }
  return false;
}
