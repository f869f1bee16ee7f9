// `ceremony rotate-log-key`: offline, before `serve`; the rotation itself lives in src/transcript/rotate-log-key.ts.
import { resolve } from 'node:path';
import { readKeyFile } from '../../crypto/ed25519.js';
import { type RotateLogKeyResult, rotateLogKey } from '../../transcript/rotate-log-key.js';

export interface RotateLogKeyCommandOptions {
  dataDir: string;
  databaseUrl?: string;
  logKeySeedHex?: string;
  newKeyFile: string;
  keyFile: string;
  lostLogKey?: string;
}

export async function runRotateLogKey(opts: RotateLogKeyCommandOptions): Promise<RotateLogKeyResult> {
  return rotateLogKey({
    dataDir: resolve(opts.dataDir),
    databaseUrl: opts.databaseUrl,
    logKeySeedHex: opts.logKeySeedHex,
    newKey: await readKeyFile(opts.newKeyFile),
    coordinator: await readKeyFile(opts.keyFile),
    lostLogKey: opts.lostLogKey,
  });
}

export function formatRotation(result: RotateLogKeyResult): string[] {
  const lines = [
    `log key rotated: ${result.oldLogKey} -> ${result.newLogKey}`,
    result.oldKeySigned
      ? '  signed by the old key, the new key and the coordinator'
      : '  the old key is lost: signed by the new key and the coordinator only',
  ];
  for (const c of result.ceremonies) lines.push(`  ${c.ceremony}: log.key-rotated at seq ${c.seq}`);
  lines.push(
    result.keyFile === null
      ? "this server signs with LOG_KEY: set LOG_KEY to the new key file's secretKey before 'serve'"
      : `the new key is in ${result.keyFile}; start 'serve' and announce the new key (GET /v1/log-key)`,
  );
  return lines;
}
