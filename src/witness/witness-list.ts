// The coordinator's witnesses (WITNESSES_FILE / --witnesses): one a line, `<verifier key> <submission prefix URL>`,
// `#` starting a comment.
import { type CosignerKey, parseCosignerKey } from './cosigner-key.js';

export interface WitnessEndpoint {
  key: CosignerKey;
  /** The submission prefix: add-checkpoint is POSTed to `<url>/add-checkpoint`. */
  url: string;
}

export const MAX_WITNESSES = 64;

export function parseWitnessList(text: string, source: string): WitnessEndpoint[] {
  const witnesses: WitnessEndpoint[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const where = `${source} line ${i + 1}`;
    const [vkey, url, extra] = line.split(/\s+/);
    if (vkey === undefined || url === undefined || extra !== undefined)
      throw new Error(`${where}: expected "<verifier key> <submission prefix URL>"`);
    let key: CosignerKey;
    try {
      key = parseCosignerKey(vkey);
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`);
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`${where}: "${url}" is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new Error(`${where}: the submission prefix must be an http(s) URL`);
    if (witnesses.some((w) => w.key.vkey === key.vkey))
      throw new Error(`${where}: ${key.name} is listed twice`);
    witnesses.push({ key, url: url.replace(/\/+$/, '') });
  });
  if (witnesses.length > MAX_WITNESSES) throw new Error(`${source}: more than ${MAX_WITNESSES} witnesses`);
  return witnesses;
}
