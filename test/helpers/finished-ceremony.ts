// A real finished ceremony (3 participants, mulchain-1021 + pot10, beacon applied, outputs exported) for audits.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import * as admin from '../../src/cli/commands/admin.js';
import type { KeyPair } from '../../src/crypto/ed25519.js';
import { contributeAs, mulchain, setupCeremony } from './ceremony.js';
import { writeLogKeyFile } from './log-key-file.js';
import { startTestServer, type TestServer } from './server.js';

export interface FinishedCeremony {
  server: TestServer;
  ceremonyId: string;
  publishedDir: string;
  logKeySeedHex: string;
  participants: { participantId: string; name: string; keys: KeyPair }[];
  /** Paths of the receipts each participant saved, by participantId. */
  receipts: Record<string, string[]>;
}

export const FINISHED_BEACON = {
  beaconHex: 'a3c1e1b5f0d2c4e6a8b0c2d4e6f8a0b2c4d6e8f0a2b4c6d8e0f2a4b6c8d0e2f4',
  beaconSource: 'test beacon: a fixed value standing in for a future drand round',
  iterationsExp: 10,
};

export async function makeFinishedCeremony(ceremonyId = 'finished'): Promise<FinishedCeremony> {
  const logKeySeedHex = randomBytes(32).toString('hex');
  const server = await startTestServer({
    env: { LOG_KEY: await writeLogKeyFile(Buffer.from(logKeySeedHex, 'hex')) },
  });
  const ceremony = await setupCeremony(server, { id: ceremonyId, circuits: [mulchain], participants: 3 });
  const receipts: Record<string, string[]> = {};
  for (const p of ceremony.participants) {
    const result = await contributeAs(server, ceremony, p);
    receipts[p.participantId] = result.contributions.map((c) => c.receipt);
  }
  await admin.finalizeCeremony({ ...ceremony.adminOptions, ...FINISHED_BEACON });
  await server.built.publisher.flush();
  return {
    server,
    ceremonyId,
    publishedDir: join(server.config.transcriptsDir, ceremonyId),
    logKeySeedHex,
    participants: ceremony.participants.map(({ participantId, name, keys }) => ({
      participantId,
      name,
      keys,
    })),
    receipts,
  };
}
