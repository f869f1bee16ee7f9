// The key that signs checkpoints: from config, or created once in the data dir (mode 0600) and kept there.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  generateKeyPair,
  type KeyPair,
  keyPairFromSecret,
  readKeyFile,
  writeKeyFile,
} from '../crypto/ed25519.js';
import { fromHex } from '../crypto/hex.js';
import { encodeVerifierKey } from './note.js';

export interface LogSigner {
  /** Key name in signed notes: the configured origin. */
  readonly name: string;
  readonly keys: KeyPair;
  /** C2SP verifier key `name+hex(keyID)+base64(0x01‖pubkey)`, served at GET /v1/log-key. */
  readonly verifierKey: string;
  /** Checkpoint origin of a ceremony's log. */
  originOf(ceremonyId: string): string;
}

export async function loadLogSigner(options: {
  origin: string;
  dataDir: string;
  seedHex: string | undefined;
}): Promise<LogSigner> {
  let keys: KeyPair;
  if (options.seedHex !== undefined) {
    keys = keyPairFromSecret(fromHex(options.seedHex, 32, 'log key seed'));
  } else {
    const path = join(options.dataDir, 'log-key');
    const exists = await stat(path).then(
      () => true,
      () => false,
    );
    if (!exists) await writeKeyFile(path, generateKeyPair());
    keys = await readKeyFile(path);
  }
  return {
    name: options.origin,
    keys,
    verifierKey: encodeVerifierKey(options.origin, keys.publicKey),
    originOf: (ceremonyId) => `${options.origin}/ceremonies/${ceremonyId}`,
  };
}
