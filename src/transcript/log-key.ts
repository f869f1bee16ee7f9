// The key that signs checkpoints: the one `--log-key`/`LOG_KEY` names (a key file or a key in a token), or else one
// created once in the data dir (mode 0600) and kept there.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  encodeKeyFile,
  generateKeyPair,
  type KeyPair,
  readKeyFile,
  writeKeyFile,
} from '../crypto/ed25519.js';
import type { Signer } from '../keys/signer.js';
import { writeFileAtomic } from '../storage/atomic-write.js';
import { encodeVerifierKey } from './note.js';

export interface LogSigner {
  /** Key name in signed notes: the configured origin. */
  readonly name: string;
  /** Signs every checkpoint; the secret may live in memory or in a token. */
  readonly key: Signer;
  /** C2SP verifier key `name+hex(keyID)+base64(0x01‖pubkey)`, served at GET /v1/log-key. */
  readonly verifierKey: string;
  /** Checkpoint origin of a ceremony's log. */
  originOf(ceremonyId: string): string;
}

/**
 * The origin is part of every checkpoint and the key's name: it must not change under a log. The first start records
 * it in the data dir; later starts keep it, and refuse a configured origin that differs.
 */
async function settleOrigin(dataDir: string, origin: string, configured: boolean): Promise<string> {
  const path = join(dataDir, 'log-origin');
  const stored = (await readFile(path, 'utf8').catch(() => undefined))?.trim();
  if (stored === undefined || stored === '') {
    await writeFileAtomic(path, `${origin}\n`);
    return origin;
  }
  if (stored !== origin && configured) {
    throw new Error(
      `config: this data dir's log is signed as origin '${stored}', not '${origin}': set CEREMONY_ORIGIN=${stored} or use a new data dir`,
    );
  }
  return stored;
}

export async function loadLogSigner(options: {
  origin: string;
  originConfigured?: boolean;
  dataDir: string;
  /** The key `--log-key`/`LOG_KEY` names, opened (openSigner); absent: the data dir's own key file. */
  key: Signer | undefined;
  /** False where the database already holds signed logs: a new key would sign checkpoints no log announced. */
  mayCreate?: boolean;
}): Promise<LogSigner> {
  const origin = await settleOrigin(options.dataDir, options.origin, options.originConfigured ?? true);
  const path = join(options.dataDir, 'log-key');
  const exists = await stat(path).then(
    () => true,
    () => false,
  );
  if (options.key !== undefined) {
    // A key in a token holds no secret anywhere else; a key file left beside it would be the one secret to steal.
    if (exists && !('secretKey' in options.key))
      throw new Error(
        `log key: the log key is in a token, but ${path} holds a secret key: move that file off this machine (docs/RUNBOOK.md "Keys in a token")`,
      );
    return makeLogSigner(origin, options.key);
  }
  if (!exists && options.mayCreate === false)
    throw new Error(
      `log key: ${path} is missing, but the database holds signed logs: restore the key file kept apart from backups (--log-key FILE|URI names it), or, if it is lost, rotate with 'ceremony rotate-log-key --lost-log-key'`,
    );
  if (!exists) await writeKeyFile(path, generateKeyPair());
  return makeLogSigner(origin, await readKeyFile(path));
}

/** The signer of a data dir's origin with `keys`. */
export function makeLogSigner(origin: string, key: Signer): LogSigner {
  return {
    name: origin,
    key,
    verifierKey: encodeVerifierKey(origin, key.publicKey),
    originOf: (ceremonyId) => `${origin}/ceremonies/${ceremonyId}`,
  };
}

/** The origin a data dir's log was first signed as; throws when the data dir has none. */
export async function readLogOrigin(dataDir: string): Promise<string> {
  const stored = (await readFile(join(dataDir, 'log-origin'), 'utf8').catch(() => ''))?.trim();
  if (stored === '') throw new Error(`${dataDir} holds no log-origin: not a coordinator's data dir`);
  return stored;
}

/** The key in the data dir (`log-key`), or undefined when there is none. */
export async function readDataDirLogKey(dataDir: string): Promise<KeyPair | undefined> {
  const path = join(dataDir, 'log-key');
  const exists = await stat(path).then(
    () => true,
    () => false,
  );
  return exists ? readKeyFile(path) : undefined;
}

/** Replaces the data dir's key in one step (temp file, fsync, rename): a crash leaves the old key or the new. */
export async function replaceDataDirLogKey(dataDir: string, keys: KeyPair): Promise<string> {
  const path = join(dataDir, 'log-key');
  await writeFileAtomic(path, encodeKeyFile(keys), 0o600);
  return path;
}
