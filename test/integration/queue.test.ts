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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Status {
  circuits: { circuit: string; state: string; position: number | null; deadline: string | null }[];
}

describe('a queue that participants drop out of at every step', () => {
  let server: TestServer;
  let ceremony: TestCeremony;

  beforeAll(async () => {
    // Short turns and a short heartbeat grace so that every way of dropping out bites within seconds.
    server = await startTestServer({
      env: { HEARTBEAT_INTERVAL_SECONDS: '1', HEARTBEAT_GRACE_SECONDS: '3' },
    });
    ceremony = await setupCeremony(server, {
      id: 'dropouts',
      circuits: [mulchain, affine],
      participants: 5,
      timeoutSeconds: 4,
    });
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('never gets stuck: the honest participant last in line still contributes to every circuit', async () => {
    const [silent, slow, leaver, halfway, honest] = ceremony.participants as TestParticipant[];
    if (!silent || !slow || !leaver || !halfway || !honest) throw new Error('participants missing');
    const tokens = new Map<TestParticipant, string>();
    for (const p of [silent, slow, leaver]) tokens.set(p, await loginAs(server.url, p.keys));
    const status = async (p: TestParticipant, method = 'GET', path = 'me') =>
      (await call<Status>(server.url, method, `/v1/ceremonies/dropouts/${path}`, { token: tokens.get(p) }))
        .body;

    // The silent one joins first and never sends a heartbeat: it holds mulchain until the grace runs out.
    expect((await status(silent, 'POST', 'queue')).circuits[0]?.state).toBe('active');
    // The slow one keeps heartbeating but never uploads: the deadline ends its turn.
    expect((await status(slow, 'POST', 'queue')).circuits[0]?.position).toBe(1);
    const keepAlive = setInterval(() => void status(slow, 'POST', 'heartbeat'), 500);
    // The leaver gives up as soon as its turn comes.
    expect((await status(leaver, 'POST', 'queue')).circuits[0]?.position).toBe(2);
    const leaverDone = (async () => {
      for (;;) {
        const s = await status(leaver, 'POST', 'heartbeat');
        if (s.circuits[0]?.state === 'active') return status(leaver, 'DELETE', 'queue');
        await sleep(300);
      }
    })();
    // The halfway one contributes to mulchain with an air-gapped upload, then drops out before affine.
    const halfwayDone = runUpload({
      server: server.url,
      keyFile: halfway.keyFile,
      ceremony: 'dropouts',
      circuit: 'mulchain',
      zkey: await (async () => {
        const zkey0 = await downloadZkey(
          server.url,
          'dropouts',
          'mulchain',
          0,
          join(ceremony.workDir, 'zkey0.zkey'),
        );
        const out = join(ceremony.workDir, 'halfway.zkey');
        await contribute(zkey0, out, 'halfway', 'entropy');
        return out;
      })(),
      receiptDir: join(ceremony.workDir, 'halfway-receipts'),
      output: createMemoryOutput(),
      pollIntervalMs: 200,
    });
    await sleep(300);
    // The honest one joins last and must get through both circuits.
    const honestDone = contributeAs(server, ceremony, honest);

    const halfwayResult = await halfwayDone;
    expect(halfwayResult.contributions.map((c) => [c.circuit, c.index])).toEqual([['mulchain', 1]]);
    await leaverDone;
    const honestResult = await honestDone;
    clearInterval(keepAlive);
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
      [silent.participantId, 'mulchain', 'heartbeat'],
      [slow.participantId, 'mulchain', 'deadline'],
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
