// A contribution upload cut at random points resumes from the bytes the server holds: the CLI sends the file once
// (plus at most 1 MiB again in all), whether it reconnects at once or after a pause, and the contribution is accepted
// with its streamed step check intact.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runContribute } from '../../src/cli/commands/contribute.js';
import { createMemoryOutput } from '../../src/cli/output.js';
import { seededRandom } from '../faults/seeded-random.js';
import { call, loginAs } from '../helpers/api.js';
import { type CircuitSpec, fixture, setupCeremony, type TestCeremony } from '../helpers/ceremony.js';
import { type CuttingProxy, startCuttingProxy } from '../helpers/cutting-proxy.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const MiB = 1024 * 1024;
const big: CircuitSpec = { name: 'big', r1cs: fixture('mulchain-4093.r1cs'), ptau: fixture('pot12.ptau') };

describe('a cut upload resumes', () => {
  let server: TestServer;
  let ceremony: TestCeremony;
  let zkeyBytes: number;
  const proxies: CuttingProxy[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    ceremony = await setupCeremony(server, { id: 'resume', circuits: [big], participants: 3 });
    // The initial zkey; each contribution adds a few hundred bytes to it.
    const initial = await fetch(`${server.url}/v1/ceremonies/resume/circuits/big/zkeys/0`, {
      method: 'HEAD',
    });
    zkeyBytes = Number(initial.headers.get('content-length'));
    expect(zkeyBytes).toBeGreaterThan(MiB);
  }, 600_000);

  afterAll(async () => {
    for (const p of proxies) await p.close();
    await server?.destroy();
  });

  const contributeThrough = async (who: number, pauseMs: number, seed: number) => {
    const random = seededRandom(seed);
    const participant = ceremony.participants[who];
    if (!participant) throw new Error('no participant');
    // Three cuts at random points of what is left of the file, then the rest goes through.
    let held = 0;
    const proxy = await startCuttingProxy(server.url, {
      cutAfter: (n) => {
        if (n >= 3) return undefined;
        const at = Math.floor(random() * (zkeyBytes - held) * 0.9) + 1024;
        held += at - 1024;
        return at;
      },
      pauseMs,
    });
    proxies.push(proxy);
    const output = createMemoryOutput();
    const result = await runContribute({
      server: proxy.url,
      keyFile: participant.keyFile,
      ceremony: ceremony.id,
      receiptDir: join(ceremony.workDir, `receipts-${who}`),
      output,
      pollIntervalMs: 100,
    });
    if (process.env.DEBUG_RESUME) console.log(output.stderr(), output.stdout());
    return { result, proxy, output };
  };

  it('refuses a resume from past the bytes the server holds, and answers the offset only to the turn holder', async () => {
    const carol = ceremony.participants[2];
    if (!carol) throw new Error('no participant');
    const token = await loginAs(server.url, carol.keys);
    const offsetPath = '/v1/ceremonies/resume/circuits/big/contribution/upload';
    const early = await call<{ error: { code: string } }>(server.url, 'GET', offsetPath, { token });
    expect(`${early.status} ${early.body.error.code}`).toBe('409 NOT_YOUR_TURN');
    const joined = await call<{ circuits: { state: string }[] }>(
      server.url,
      'POST',
      '/v1/ceremonies/resume/queue',
      {
        token,
      },
    );
    expect(joined.body.circuits[0]?.state).toBe('active');
    const ahead = await call<{ error: { code: string; message: string } }>(
      server.url,
      'PUT',
      '/v1/ceremonies/resume/circuits/big/contribution',
      {
        token,
        body: Buffer.alloc(1024, 7),
        headers: {
          'content-type': 'application/octet-stream',
          'x-ceremony-attestation': '00'.repeat(64),
          'x-ceremony-upload-offset': '4096',
        },
      },
    );
    expect(`${ahead.status} ${ahead.body.error.code}`).toBe('409 UPLOAD_OFFSET_MISMATCH');
    expect(ahead.body.error.message).toContain('resume from byte 0');
    const held = await call<{ offset: number }>(server.url, 'GET', offsetPath, { token });
    expect(held.body).toEqual({ circuit: 'big', offset: 0 });
    // The turn goes to the next participant at once.
    await call(server.url, 'DELETE', '/v1/ceremonies/resume/queue', { token });
  }, 600_000);

  for (const [who, label, pauseMs] of [
    [0, 'reconnecting at once', 0],
    [1, 'reconnecting after a pause', 3000],
  ] as const) {
    it(`sends the file about once ${label}, and the contribution is accepted`, async () => {
      const seed = Number(process.env.RESUME_SEED ?? Date.now());
      const started = Date.now();
      const { result, proxy, output } = await contributeThrough(who, pauseMs, seed);
      if (process.env.DEBUG_RESUME)
        console.log(
          `${label}: ${proxy.putBytes} bytes passed for a ${zkeyBytes}-byte zkey, cuts ${proxy.cuts.join(', ')}, ` +
            `${Date.now() - started} ms`,
        );
      const [contribution] = result.contributions;
      expect(contribution?.index, `seed ${seed}`).toBe(who + 1);
      expect(proxy.cuts, `seed ${seed}`).toHaveLength(3);
      const view = (await (await fetch(`${server.url}/v1/ceremonies/resume`)).json()) as {
        circuits: { name: string; contributionIndex?: number }[];
      };
      expect(JSON.stringify(view), `seed ${seed}`).toContain('"big"');
      const sizeOfNew = zkeyBytes + 4096;
      // On failure, what the CLI said of each cut and resume tells where the extra bytes went.
      const story = `seed ${seed}, cuts ${proxy.cuts.join(', ')}:\n${output.stdout()}${output.stderr()}`;
      expect(proxy.putBytes, story).toBeLessThanOrEqual(sizeOfNew + MiB);
      expect(proxy.putBytes, `seed ${seed}`).toBeGreaterThan(zkeyBytes / 2);
    }, 600_000);
  }
});
