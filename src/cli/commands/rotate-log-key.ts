// `ceremony rotate-log-key`: offline, before `serve`; the rotation itself lives in src/transcript/rotate-log-key.ts.
import { resolve } from 'node:path';
import { openSigner } from '../../keys/open-signer.js';
import type { Signer } from '../../keys/signer.js';
import { type RotateLogKeyResult, rotateLogKey } from '../../transcript/rotate-log-key.js';

export interface RotateLogKeyCommandOptions {
  dataDir: string;
  databaseUrl?: string;
  /** The key in force when the server names it (`--log-key`/`LOG_KEY`): a key file or a PKCS#11 URI. */
  logKey?: string;
  /** The new key: a key file or a PKCS#11 URI. */
  newKey: string;
  /** A coordinator's key: a key file or a PKCS#11 URI. */
  keyFile: string;
  lostLogKey?: string;
}

export interface RotateLogKeyCommandResult extends RotateLogKeyResult {
  /** What `serve` must be given from now on, when the data dir does not hold the new key. */
  serveWith: string | null;
}

export async function runRotateLogKey(opts: RotateLogKeyCommandOptions): Promise<RotateLogKeyCommandResult> {
  const opened: Signer[] = [];
  const open = async (spec: string) => {
    const key = await openSigner(spec);
    opened.push(key);
    return key;
  };
  try {
    const result = await rotateLogKey({
      dataDir: resolve(opts.dataDir),
      databaseUrl: opts.databaseUrl,
      logKey: opts.logKey === undefined ? undefined : await open(opts.logKey),
      newKey: await open(opts.newKey),
      coordinator: await open(opts.keyFile),
      lostLogKey: opts.lostLogKey,
    });
    return { ...result, serveWith: result.keyFile === null ? opts.newKey : null };
  } finally {
    for (const key of opened) key.close?.();
  }
}

export function formatRotation(result: RotateLogKeyCommandResult): string[] {
  const lines = [
    `log key rotated: ${result.oldLogKey} -> ${result.newLogKey}`,
    result.oldKeySigned
      ? '  signed by the old key, the new key and the coordinator'
      : '  the old key is lost: signed by the new key and the coordinator only',
  ];
  for (const c of result.ceremonies) lines.push(`  ${c.ceremony}: log.key-rotated at seq ${c.seq}`);
  if (result.removedKeyFile) lines.push("the data dir's old key file is removed: the new key is in a token");
  lines.push(
    result.keyFile === null
      ? `start 'serve' with --log-key (or LOG_KEY) ${result.serveWith}, and announce the new key (GET /v1/log-key)`
      : `the new key is in ${result.keyFile}; start 'serve' and announce the new key (GET /v1/log-key)`,
  );
  return lines;
}
