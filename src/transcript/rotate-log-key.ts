// Offline, before `serve` (docs/RUNBOOK.md "The log key is compromised or lost"): every ceremony's log gets a
// `log.key-rotated` entry naming the new key, signed by the old key when it is still held, by the new key and by a
// coordinator of that ceremony; its checkpoint and all later ones are signed by the new key.

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyPair } from '../crypto/ed25519.js';
import { toHex } from '../crypto/hex.js';
import type { Queryable } from '../db/database.js';
import { type Database, openDatabase } from '../db/database.js';
import { migrateDatabase } from '../db/migrate.js';
import { selectCeremonyStates } from '../db/queries/backup.js';
import * as q from '../db/queries/transcript.js';
import type { Signer } from '../keys/signer.js';
import { decodeEntryLine } from './entry.js';
import { appendEntry } from './log.js';
import {
  type LogSigner,
  makeLogSigner,
  readDataDirLogKey,
  readLogOrigin,
  replaceDataDirLogKey,
} from './log-key.js';
import { signRotation } from './log-key-rotation.js';
import { encodeVerifierKey, parseVerifierKey, verifyNote } from './note.js';

export interface RotateLogKeyOptions {
  dataDir: string;
  /** PostgreSQL; the embedded database under dataDir/pgdata when absent. */
  databaseUrl?: string;
  /** The key in force when the server signs with `--log-key`/`LOG_KEY` rather than dataDir/log-key (opened). */
  logKey?: Signer;
  /** The new key: a key file's pair, or a key in a token (which leaves no secret in the data dir). */
  newKey: Signer;
  /** A coordinator (owner or co-coordinator) of every ceremony on this server. */
  coordinator: Signer;
  /** The verifier key of a log key that is lost: the rotation then goes without its signature. */
  lostLogKey?: string;
  now?: Date;
}

export interface RotateLogKeyResult {
  oldLogKey: string;
  newLogKey: string;
  /** False when the old key was lost and did not sign. */
  oldKeySigned: boolean;
  /** Per ceremony, the seq of its rotation entry (an earlier run's, when a run is repeated). */
  ceremonies: { ceremony: string; seq: number }[];
  /**
   * The data dir's key file now holding the new key; null when `serve` must be given the new key with
   * `--log-key`/`LOG_KEY` (the server named its key so, or the new key is in a token).
   */
  keyFile: string | null;
  /** True when the data dir's old key file was removed: the new key is in a token, and no secret stays behind. */
  removedKeyFile: boolean;
}

const ROTATED = 'log.key-rotated';

/** The keys that may order a rotation of a ceremony's log: its owner and its co-coordinators. */
async function selectCoordinatorKeys(db: Queryable, ceremonyId: string): Promise<string[]> {
  const rows = await db.query<{ public_key: string }>(
    `SELECT coordinator_key AS public_key FROM ceremonies WHERE id = $1
     UNION SELECT public_key FROM ceremony_coordinators WHERE ceremony_id = $1`,
    [ceremonyId],
  );
  return rows.map((r) => r.public_key);
}

/** The new key a log last announced, if it announced one. */
async function lastAnnouncedKey(db: Queryable, ceremonyId: string): Promise<string | undefined> {
  const row = await q.selectLastEntryOfType(db, ceremonyId, ROTATED);
  if (row === undefined) return undefined;
  const key = decodeEntryLine(row.line).entry.body.newLogKey;
  return typeof key === 'string' ? key : undefined;
}

/** The key in force and its verifier key; refuses a key that is both held and declared lost, or neither. */
async function oldKeyOf(
  options: RotateLogKeyOptions,
  origin: string,
): Promise<{ keys: Signer | undefined; verifierKey: string }> {
  const keys = options.logKey ?? (await readDataDirLogKey(options.dataDir));
  if (keys !== undefined && options.lostLogKey !== undefined)
    throw new Error(
      'rotate-log-key: --lost-log-key says the old key is lost, but it is here (--log-key/LOG_KEY or data-dir/log-key): drop the flag',
    );
  if (keys !== undefined) return { keys, verifierKey: encodeVerifierKey(origin, keys.publicKey) };
  if (options.lostLogKey === undefined)
    throw new Error(
      'rotate-log-key: no log key in the data dir and no --log-key/LOG_KEY; if the key is lost, name its verifier key with --lost-log-key',
    );
  const lost = options.lostLogKey.trim();
  if (parseVerifierKey(lost).name !== origin)
    throw new Error(`rotate-log-key: --lost-log-key is not a key of this data dir's origin '${origin}'`);
  return { keys: undefined, verifierKey: lost };
}

/** Appends the rotation to one log, unless an earlier run already did; returns the rotation's seq. */
async function rotateCeremony(
  tx: Queryable,
  ceremonyId: string,
  old: { keys: Signer | undefined; verifierKey: string },
  next: LogSigner,
  options: RotateLogKeyOptions,
): Promise<number> {
  const announced = await lastAnnouncedKey(tx, ceremonyId);
  if (announced === next.verifierKey) {
    const row = await q.selectLastEntryOfType(tx, ceremonyId, ROTATED);
    return row!.seq;
  }
  const head = await q.selectLatestCheckpoint(tx, ceremonyId);
  const last = await q.selectLastEntry(tx, ceremonyId);
  if (head === undefined || last === undefined)
    throw new Error(`rotate-log-key: ceremony ${ceremonyId} has no signed log`);
  try {
    verifyNote(head.note, old.verifierKey);
  } catch {
    throw new Error(
      `rotate-log-key: ceremony ${ceremonyId}'s newest checkpoint is not signed by ${old.verifierKey}, so that is not the key in force` +
        (old.keys
          ? '; if the key in force is lost, move data-dir/log-key aside and name the lost key with --lost-log-key'
          : ''),
    );
  }
  const coordinator = toHex(options.coordinator.publicKey);
  if (!(await selectCoordinatorKeys(tx, ceremonyId)).includes(coordinator))
    throw new Error(
      `rotate-log-key: the --key given is neither the owner nor a co-coordinator of ceremony ${ceremonyId} (admin add-coordinator first)`,
    );
  const seq = last.seq + 1;
  const body = signRotation(
    {
      logOrigin: next.originOf(ceremonyId),
      seq,
      prev: last.leaf_hash,
      oldLogKey: old.verifierKey,
      newLogKey: next.verifierKey,
    },
    { oldKey: old.keys, newKey: options.newKey, coordinator: options.coordinator },
  );
  const appended = await appendEntry(tx, next, ceremonyId, ROTATED, { ...body }, options.now);
  return appended.seq;
}

export async function rotateLogKey(options: RotateLogKeyOptions): Promise<RotateLogKeyResult> {
  const origin = await readLogOrigin(options.dataDir);
  const old = await oldKeyOf(options, origin);
  const next = makeLogSigner(origin, options.newKey);
  if (next.verifierKey === old.verifierKey)
    throw new Error('rotate-log-key: the new key is the key in force');
  const db: Database = await openDatabase(
    options.databaseUrl ? { url: options.databaseUrl } : { dataDir: join(options.dataDir, 'pgdata') },
  );
  try {
    await migrateDatabase(db);
    // One transaction for every log: all of them move to the new key, or none does.
    const ceremonies = await db.transaction(async (tx) => {
      const done: RotateLogKeyResult['ceremonies'] = [];
      for (const { id } of await selectCeremonyStates(tx))
        done.push({ ceremony: id, seq: await rotateCeremony(tx, id, old, next, options) });
      return done;
    });
    // After the commit: a crash before this line leaves the old key here, which `serve` refuses (its checkpoints
    // no longer match), and running the rotation again only writes the key.
    const inDataDir = options.logKey === undefined;
    const newInFile = 'secretKey' in options.newKey;
    const keyFile =
      inDataDir && newInFile ? await replaceDataDirLogKey(options.dataDir, options.newKey as KeyPair) : null;
    // A key moving into a token takes its secret out of the data dir: the old key file is retired with it.
    const removedKeyFile = inDataDir && !newInFile;
    if (removedKeyFile) await rm(join(options.dataDir, 'log-key'), { force: true });
    return {
      oldLogKey: old.verifierKey,
      newLogKey: next.verifierKey,
      oldKeySigned: old.keys !== undefined,
      ceremonies,
      keyFile,
      removedKeyFile,
    };
  } finally {
    await db.close();
  }
}

/** True once any ceremony has a signed checkpoint: from then on the log key cannot simply be made anew. */
export async function hasSignedLogs(db: Queryable): Promise<boolean> {
  return (await db.query('SELECT 1 FROM checkpoints LIMIT 1')).length > 0;
}

/**
 * At start: every log's newest checkpoint must be signed by the key this server signs with, or its next
 * checkpoint would be signed by a key the log never announced (a lost key replaced by a fresh one, a stale
 * LOG_KEY after a rotation).
 */
export async function requireLogKeyInForce(db: Queryable, signer: LogSigner): Promise<void> {
  for (const { id } of await selectCeremonyStates(db)) {
    const head = await q.selectLatestCheckpoint(db, id);
    if (head === undefined) continue;
    try {
      verifyNote(head.note, signer.verifierKey);
    } catch {
      const announced = await lastAnnouncedKey(db, id);
      throw new Error(
        `log key: ceremony ${id}'s newest checkpoint is not signed by this server's key ${signer.verifierKey}` +
          (announced ? ` but by ${announced}, the key its log last announced` : '') +
          ": start with the key that signed it (data-dir/log-key from a backup, or LOG_KEY), or rotate with 'ceremony rotate-log-key'",
      );
    }
  }
}
