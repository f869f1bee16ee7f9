// GET /v1/ceremonies/:id/activity: what the ceremony page draws (queue over time, verification times), read from a
// real ceremony, bounded by ACTIVITY_MAX_ITEMS with the newest kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityView } from '../../src/activity/types.js';
import { affine, contributeAs, setupCeremony, type TestCeremony } from '../helpers/ceremony.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let ceremony: TestCeremony;

beforeAll(async () => {
  server = await startTestServer({ env: { ACTIVITY_MAX_ITEMS: '1' } });
  ceremony = await setupCeremony(server, { id: 'act', circuits: [affine], participants: 2 });
  for (const p of ceremony.participants) await contributeAs(server, ceremony, p);
}, 300_000);

afterAll(async () => {
  await server?.destroy();
});

describe('the activity of a ceremony', () => {
  it('gives the newest turn and upload, with verification time, and says older ones were left out', async () => {
    const response = await fetch(`${server.url}/v1/ceremonies/act/activity`);
    expect(response.status).toBe(200);
    const activity = (await response.json()) as ActivityView;
    expect(activity.truncated).toBe(true);
    expect(activity.turns).toHaveLength(1);
    expect(activity.verifications).toHaveLength(1);
    const [turn] = activity.turns;
    expect(turn).toMatchObject({ circuit: 'affine', state: 'done' });
    expect(Date.parse(turn!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(turn!.queuedAt));
    const [upload] = activity.verifications;
    // The newest upload is the second contribution, accepted, decided after it arrived.
    expect(upload).toMatchObject({ circuit: 'affine', index: 2, state: 'accepted' });
    expect(Date.parse(upload!.decidedAt!)).toBeGreaterThanOrEqual(Date.parse(upload!.uploadedAt));
    expect(upload!.verifyMs).toBeGreaterThanOrEqual(0);
    // Who held a turn is not given: the transcript says who contributed, and no one else's waiting is shown.
    expect(JSON.stringify(activity)).not.toContain(ceremony.participants[0]!.participantId);
  });

  it('answers 404 NOT_FOUND for a ceremony that does not exist', async () => {
    const response = await fetch(`${server.url}/v1/ceremonies/nothing/activity`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });
});
