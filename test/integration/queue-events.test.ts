// `ceremony contribute` waiting in line follows the ceremony's events stream, and falls back to polling when the
// server refuses the stream (its connection bound), still getting its turn.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../src/cli/client.js';
import { runContribute } from '../../src/cli/commands/contribute.js';
import { createMemoryOutput } from '../../src/cli/output.js';
import { affine, setupCeremony, type TestCeremony } from '../helpers/ceremony.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;

beforeAll(async () => {
  // One stream per address: the test holding one open makes the CLI's own refused.
  server = await startTestServer({ env: { EVENTS_MAX_PER_ADDRESS: '1' } });
}, 120_000);

afterAll(async () => {
  await server?.destroy();
});

async function waitForActiveTurn(id: string): Promise<void> {
  for (;;) {
    const view = (await (await fetch(`${server.url}/v1/ceremonies/${id}`)).json()) as {
      circuits: { currentParticipant: string | null }[];
    };
    if (view.circuits[0]?.currentParticipant) return;
    await sleep(50);
  }
}

/** The first participant takes the turn; the second joins while it is held and must wait in line. */
async function contributeInLine(ceremony: TestCeremony) {
  const [first, second] = ceremony.participants;
  const run = (p: NonNullable<typeof first>) => {
    const output = createMemoryOutput();
    const result = runContribute({
      server: server.url,
      keyFile: p.keyFile,
      ceremony: ceremony.id,
      receiptDir: join(ceremony.workDir, `receipts-${p.participantId}`),
      output,
      pollIntervalMs: 100,
    });
    return { output, result };
  };
  const a = run(first!);
  await waitForActiveTurn(ceremony.id);
  const b = run(second!);
  const [ra, rb] = await Promise.all([a.result, b.result]);
  return {
    waited: b.output.stderr(),
    indexes: [...ra.contributions, ...rb.contributions].map((c) => c.index),
  };
}

describe('waiting in the queue', () => {
  it('follows the events stream: the turn comes without falling back to polling', async () => {
    const ceremony = await setupCeremony(server, { id: 'sse', circuits: [affine], participants: 2 });
    const { waited, indexes } = await contributeInLine(ceremony);
    expect(indexes).toEqual([1, 2]);
    expect(waited).toContain('in the queue, 1 turn(s) ahead of you');
    expect(waited).not.toContain('live updates unavailable');
  });

  it('polls instead when the server refuses the stream, and still gets the turn', async () => {
    const ceremony = await setupCeremony(server, { id: 'poll', circuits: [affine], participants: 2 });
    const held = await fetch(`${server.url}/v1/ceremonies/poll/events`);
    expect(held.status).toBe(200);
    try {
      const { waited, indexes } = await contributeInLine(ceremony);
      expect(indexes).toEqual([1, 2]);
      expect(waited).toContain('live updates unavailable (the events stream answered HTTP 429)');
      expect(waited).toContain('contribution #2 accepted');
    } finally {
      await held.body?.cancel();
    }
  });
});
