import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runUpload } from '../../src/cli/commands/upload.js';
import { createMemoryOutput } from '../../src/cli/output.js';
import { contribute } from '../../src/snark/runner.js';
import { decodeEntryLine } from '../../src/transcript/entry.js';
import { call, loginAs } from '../helpers/api.js';
import {
  affine,
  contributeAs,
  mulchain,
  setupCeremony,
  type TestCeremony,
  type TestParticipant,
} from '../helpers/ceremony.js';
import { downloadZkey } from '../helpers/contribution.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface Status {
  circuits: { circuit: string; state: string; position: number | null; deadline: string | null }[];
}

// The deadline and heartbeat rules are table-driven on an injected clock in queue-rules.test.ts; this runs real
// participants through real contributions around those who give up.
describe('a queue that participants drop out of', () => {
  let server: TestServer;
  let ceremony: TestCeremony;

  beforeAll(async () => {
    server = await startTestServer();
    ceremony = await setupCeremony(server, {
      id: 'dropouts',
      circuits: [mulchain, affine],
      participants: 3,
      timeoutSeconds: 600,
    });
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('never gets stuck: the honest participant last in line still contributes to every circuit', async () => {
    const [leaver, halfway, honest] = ceremony.participants as TestParticipant[];
    if (!leaver || !halfway || !honest) throw new Error('participants missing');
    const token = await loginAs(server.url, leaver.keys);
    const status = async (method: string, path: string) =>
      (await call<Status>(server.url, method, `/v1/ceremonies/dropouts/${path}`, { token })).body;

    // The leaver gives up as soon as its turn comes.
    expect((await status('POST', 'queue')).circuits[0]?.state).toBe('active');
    expect((await status('DELETE', 'queue')).circuits.map((c) => c.state)).toEqual(['none', 'none']);
    // The halfway one contributes to mulchain with an air-gapped upload, then drops out before affine.
    const zkey0 = await downloadZkey(
      server.url,
      'dropouts',
      'mulchain',
      0,
      join(ceremony.workDir, 'zkey0.zkey'),
    );
    const zkey1 = join(ceremony.workDir, 'halfway.zkey');
    await contribute(zkey0, zkey1, 'halfway', 'entropy');
    const halfwayResult = await runUpload({
      server: server.url,
      keyFile: halfway.keyFile,
      ceremony: 'dropouts',
      circuit: 'mulchain',
      zkey: zkey1,
      receiptDir: join(ceremony.workDir, 'halfway-receipts'),
      output: createMemoryOutput(),
      pollIntervalMs: 200,
    });
    expect(halfwayResult.contributions.map((c) => [c.circuit, c.index])).toEqual([['mulchain', 1]]);
    // The honest one comes last and must get through both circuits.
    const honestResult = await contributeAs(server, ceremony, honest);
    expect(honestResult.contributions.map((c) => [c.circuit, c.index])).toEqual([
      ['mulchain', 2],
      ['affine', 1],
    ]);

    const lines = (await call<string>(server.url, 'GET', '/v1/ceremonies/dropouts/transcript')).body
      .trimEnd()
      .split('\n');
    const expired = lines
      .map((l) => decodeEntryLine(l).entry)
      .filter((e) => e.type === 'turn.expired')
      .map((e) => [e.body.participantId, e.body.circuit, e.body.reason]);
    expect(expired).toEqual([
      [leaver.participantId, 'mulchain', 'left'],
      // The air-gapped upload covers one circuit, so the turn affine handed it at once is given back.
      [halfway.participantId, 'affine', 'left'],
    ]);
    const view = await call<{ queueLength: number; circuits: { currentParticipant: string | null }[] }>(
      server.url,
      'GET',
      '/v1/ceremonies/dropouts',
    );
    expect(view.body.queueLength).toBe(0);
    expect(view.body.circuits.map((c) => c.currentParticipant)).toEqual([null, null]);
  });
});
