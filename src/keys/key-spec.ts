// How a key is named where the server or an offline command takes one (`--log-key`, `LOG_KEY`, `--new-log-key`):
// a key file or a PKCS#11 URI, checked before anything is opened.
import { resolve } from 'node:path';
import { isPkcs11Uri, parsePkcs11Uri } from './pkcs11-uri.js';

/**
 * A key file's path (resolved) or a PKCS#11 URI (parsed, so a mistake stops a start at once); `where` opens each
 * error. A raw hex seed is refused: it would sit in the environment, the process list and shell history.
 */
export function checkKeySpec(spec: string | undefined, where: string): string | undefined {
  if (spec === undefined) return undefined;
  if (/^[0-9a-fA-F]{64}$/.test(spec))
    throw new Error(
      `${where} names a key file or a PKCS#11 URI; a raw hex seed is no longer taken: put it in a key file ({"type":"ed25519","secretKey":"<hex>"}, mode 0600) and name the file`,
    );
  if (!isPkcs11Uri(spec)) return resolve(spec);
  try {
    parsePkcs11Uri(spec);
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`);
  }
  return spec;
}
