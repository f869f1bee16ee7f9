import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyFromR1cs } from '../../src/snark/runner.js';
import { readZkeyInfo } from '../../src/snark/zkey-file.js';
import { decodeEntryLine } from '../../src/transcript/entry.js';
import { parseCheckpoint, parseNote, verifyNote } from '../../src/transcript/note.js';
import { call } from '../helpers/api.js';
import { mulchain } from '../helpers/ceremony.js';
import {
  FINISHED_BEACON,
  type FinishedCeremony,
  makeFinishedCeremony,
} from '../helpers/finished-ceremony.js';

describe('finalization with a beacon', () => {
  let done: FinishedCeremony;
  beforeAll(async () => {
    done = await makeFinishedCeremony();
  });
  afterAll(async () => {
    await done?.server.destroy();
  });

  it('seals the ceremony: beacon last in the final zkey, which snarkjs verifies', async () => {
    const view = await call<{ state: string; circuits: { finalZkeySha256: string }[] }>(
      done.server.url,
      'GET',
      '/v1/ceremonies/finished',
    );
    expect(view.body.state).toBe('finalized');
    const response = await fetch(`${done.server.url}/v1/ceremonies/finished/circuits/mulchain/zkeys/final`);
    expect(response.headers.get('etag')).toBe(`"${view.body.circuits[0]?.finalZkeySha256}"`);
    const path = join(done.server.dataDir, 'final-check.zkey');
    await writeFile(path, Buffer.from(await response.arrayBuffer()));
    const info = await readZkeyInfo(path);
    expect(info.contributions).toHaveLength(4);
    expect(info.contributions.at(-1)?.type).toBe(1);
    expect(Buffer.from(info.contributions.at(-1)?.beaconHash ?? []).toString('hex')).toBe(
      FINISHED_BEACON.beaconHex,
    );
    expect((await verifyFromR1cs(mulchain.r1cs, mulchain.ptau, path)).ok).toBe(true);
  });

  it('logs the close before the beacon, then beacon.applied and ceremony.finalized', async () => {
    const lines = (await readFile(join(done.publishedDir, 'transcript.jsonl'), 'utf8')).trimEnd().split('\n');
    const types = lines.map((l) => decodeEntryLine(l).entry.type);
    expect(types.slice(-3)).toEqual(['ceremony.closed', 'beacon.applied', 'ceremony.finalized']);
  });

  it('publishes the transcript, every checkpoint, the log key and the outputs', async () => {
    const dir = done.publishedDir;
    const lines = (await readFile(join(dir, 'transcript.jsonl'), 'utf8')).trimEnd().split('\n');
    const checkpoints = (await readdir(join(dir, 'checkpoints'))).map(Number).sort((a, b) => a - b);
    expect(checkpoints).toEqual(lines.map((_, i) => i + 1));
    const logKey = (await readFile(join(dir, 'log-key.pub'), 'utf8')).trim();
    const latest = await readFile(join(dir, 'checkpoint'), 'utf8');
    expect(parseCheckpoint(verifyNote(latest, logKey).body).size).toBe(lines.length);
    const vk = JSON.parse(await readFile(join(dir, 'mulchain', 'verification_key.json'), 'utf8')) as {
      protocol: string;
      curve: string;
    };
    expect(vk).toMatchObject({ protocol: 'groth16', curve: 'bn128' });
    expect(await readFile(join(dir, 'mulchain', 'verifier.sol'), 'utf8')).toContain(
      'contract Groth16Verifier',
    );
  });

  it('publishes the participants\u2019 cosignatures beside the checkpoints they cosigned', async () => {
    const dir = done.publishedDir;
    let cosigned = 0;
    for (const size of await readdir(join(dir, 'checkpoints'))) {
      const note = parseNote(await readFile(join(dir, 'checkpoints', size), 'utf8'));
      cosigned += note.signatures.filter((s) => s.name.startsWith('participant-')).length;
    }
    expect(cosigned).toBe(3);
  });
});
