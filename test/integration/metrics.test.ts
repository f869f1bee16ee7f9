// The operator's metrics follow the ceremony: queue length, the turn holding a circuit, turn lengths by outcome,
// rejections by reason, uploads, jobs and publish lag, read from /metrics of a real server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, loginAs } from '../helpers/api.js';
import { mulchain, setupCeremony, type TestCeremony } from '../helpers/ceremony.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** The value of one series in Prometheus text, or undefined when absent. */
function sample(metrics: string, series: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('operator metrics', () => {
  let server: TestServer;
  let ceremony: TestCeremony;
  let tokens: string[];
  let joinedAt: number;
  const scrape = async () => (await call<string>(server.url, 'GET', '/metrics')).body;

  beforeAll(async () => {
    server = await startTestServer();
    ceremony = await setupCeremony(server, { id: 'metered', circuits: [mulchain], participants: 2 });
    tokens = await Promise.all(ceremony.participants.map((p) => loginAs(server.url, p.keys)));
    joinedAt = Date.now();
    for (const token of tokens) {
      const joined = await call(server.url, 'POST', '/v1/ceremonies/metered/queue', { token });
      expect(joined.status).toBe(200);
    }
  }, 120_000);

  afterAll(async () => {
    await server?.destroy();
  });

  it('shows who waits and who holds the circuit', async () => {
    const metrics = await scrape();
    const where = 'ceremony="metered",circuit="mulchain"';
    expect(sample(metrics, `ceremony_queue_waiting{${where}}`)).toBe(1);
    // Seconds since the joins: not negative, and not more than the time that has passed since (not milliseconds,
    // not a timestamp).
    const since = (Date.now() - joinedAt) / 1000 + 1;
    for (const series of [
      `ceremony_queue_oldest_wait_seconds{${where}}`,
      `ceremony_turn_held_seconds{${where},state="active"}`,
    ]) {
      const value = sample(metrics, series);
      expect(value, series).toBeGreaterThanOrEqual(0);
      expect(value, series).toBeLessThanOrEqual(since);
    }
    expect(sample(metrics, `ceremony_turn_overdue_seconds{${where}}`)).toBe(0);
    // The setup job is done, so nothing is queued; the transcript's checkpoints exist.
    expect(metrics).not.toMatch(/^ceremony_jobs\{kind="circuit.setup",state="queued"\}/m);
    expect(sample(metrics, 'ceremony_database_up')).toBe(1);
  });

  it('measures turns by outcome and rejections by reason', async () => {
    const [first, second] = tokens as [string, string];
    const left = await call(server.url, 'DELETE', '/v1/ceremonies/metered/queue', { token: first });
    expect(left.status).toBe(200);
    // The second participant now holds the turn and uploads something that is not a zkey.
    const upload = await call(server.url, 'PUT', '/v1/ceremonies/metered/circuits/mulchain/contribution', {
      token: second,
      body: new Uint8Array(4096).fill(7),
      headers: { 'content-type': 'application/octet-stream', 'x-ceremony-attestation': 'ab'.repeat(64) },
    });
    expect(upload.status).toBe(422);
    expect(upload.body).toMatchObject({ error: { code: 'INVALID_ZKEY' } });

    const metrics = await scrape();
    expect(sample(metrics, 'ceremony_turn_seconds_count{outcome="left"}')).toBe(1);
    expect(sample(metrics, 'ceremony_turn_seconds_count{outcome="rejected"}')).toBe(1);
    expect(sample(metrics, 'ceremony_rejections_total{reason="INVALID_ZKEY"}')).toBe(1);
    expect(sample(metrics, 'ceremony_upload_bytes_sum{kind="zkey"}')).toBe(4096);
    expect(sample(metrics, 'ceremony_upload_seconds_count{kind="zkey"}')).toBe(1);
    // The r1cs and ptau the coordinator uploaded count as blobs.
    expect(sample(metrics, 'ceremony_upload_seconds_count{kind="blob"}')).toBe(2);
    expect(metrics).not.toMatch(/^ceremony_queue_waiting\{ceremony="metered"/m);
  });

  it('reports the published files catching up with the signed log', async () => {
    await server.built.publisher.flush();
    const metrics = await scrape();
    expect(sample(metrics, 'ceremony_publish_lag_entries{ceremony="metered"}')).toBe(0);
    expect(sample(metrics, 'ceremony_publish_lag_seconds{ceremony="metered"}')).toBe(0);
  });
});
