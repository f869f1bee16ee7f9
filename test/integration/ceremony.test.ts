import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as admin from '../../src/cli/commands/admin.js';
import { verifyFromR1cs } from '../../src/snark/runner.js';
import { readZkeyInfo } from '../../src/snark/zkey-file.js';
import { decodeEntryLine } from '../../src/transcript/entry.js';
import { call } from '../helpers/api.js';
import { affine, contributeAs, mulchain, setupCeremony, type TestCeremony } from '../helpers/ceremony.js';
import { downloadZkey } from '../helpers/contribution.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('a three-participant ceremony over HTTP with two circuits', () => {
  let server: TestServer;
  let ceremony: TestCeremony;
  let results: Awaited<ReturnType<typeof contributeAs>>[];

  beforeAll(async () => {
    server = await startTestServer();
    ceremony = await setupCeremony(server, { id: 'three', circuits: [mulchain, affine], participants: 3 });
    // All three at once: the queue serves one per circuit, in join order, circuits in ceremony order.
    results = await Promise.all(ceremony.participants.map((p) => contributeAs(server, ceremony, p)));
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('accepts one contribution per participant per circuit, chained in order', async () => {
    const view = await call<{ circuits: { name: string; contributionIndex: number }[] }>(
      server.url,
      'GET',
      '/v1/ceremonies/three',
    );
    expect(view.body.circuits.map((c) => [c.name, c.contributionIndex])).toEqual([
      ['mulchain', 3],
      ['affine', 3],
    ]);
    for (const result of results)
      expect(result.contributions.map((c) => c.circuit)).toEqual(['mulchain', 'affine']);
    const indexes = results.flatMap((r) =>
      r.contributions.filter((c) => c.circuit === 'affine').map((c) => c.index),
    );
    expect(indexes.sort()).toEqual([1, 2, 3]);
  });

  it('produces final zkeys that pass snarkjs zkey verify against the r1cs and ptau, with every contribution in order', async () => {
    const dir = ceremony.workDir;
    for (const circuit of [mulchain, affine]) {
      const path = await downloadZkey(
        server.url,
        'three',
        circuit.name,
        'latest',
        join(dir, `${circuit.name}-latest.zkey`),
      );
      const verdict = await verifyFromR1cs(circuit.r1cs, circuit.ptau, path);
      expect(verdict.ok).toBe(true);
      const info = await readZkeyInfo(path);
      const accepted = results
        .flatMap((r) => r.contributions)
        .filter((c) => c.circuit === circuit.name)
        .sort((a, b) => a.index - b.index)
        .map((c) => c.contributionHash);
      expect(info.contributions.map((c) => c.contributionHash)).toEqual(accepted);
    }
  });

  it('logs every step in a hash-chained transcript and hands each participant a receipt for it', async () => {
    const transcript = await call<string>(server.url, 'GET', '/v1/ceremonies/three/transcript');
    expect(transcript.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = transcript.body.trimEnd().split('\n');
    const entries = lines.map((l) => decodeEntryLine(l).entry);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i));
    // Each prev is the RFC 9162 leaf hash (SHA-256 of 0x00 and the line) of the line before; entry 0 has zeros.
    const leafHashOf = (line: string) =>
      createHash('sha256')
        .update(Buffer.from([0]))
        .update(line, 'utf8')
        .digest('hex');
    expect(entries.map((e) => e.prev)).toEqual(['0'.repeat(64), ...lines.slice(0, -1).map(leafHashOf)]);
    const types = entries.map((e) => e.type);
    expect(types.filter((t) => t === 'contribution.accepted')).toHaveLength(6);
    expect(types.slice(0, 3)).toEqual(['ceremony.created', 'circuit.added', 'circuit.added']);
    for (const result of results) {
      for (const c of result.contributions) {
        const receipt = JSON.parse(await readFile(c.receipt, 'utf8')) as { entry: string; seq: number };
        expect(lines[receipt.seq]).toBe(receipt.entry);
      }
    }
  });

  it('serves each zkey with its SHA-256 as ETag, and byte ranges of it', async () => {
    const whole = await fetch(`${server.url}/v1/ceremonies/three/circuits/mulchain/zkeys/2`);
    const bytes = Buffer.from(await whole.arrayBuffer());
    expect(whole.headers.get('etag')).toBe(`"${createHash('sha256').update(bytes).digest('hex')}"`);
    const part = await fetch(`${server.url}/v1/ceremonies/three/circuits/mulchain/zkeys/2`, {
      headers: { range: 'bytes=100-199' },
    });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
    const unsatisfiable = await fetch(`${server.url}/v1/ceremonies/three/circuits/mulchain/zkeys/2`, {
      headers: { range: `bytes=${bytes.length}-` },
    });
    expect(unsatisfiable.status).toBe(416);
    const missing = await call(server.url, 'GET', '/v1/ceremonies/three/circuits/mulchain/zkeys/99');
    expect(missing.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('closes the round and logs it', async () => {
    const transcript = async () =>
      (await call<string>(server.url, 'GET', '/v1/ceremonies/three/transcript')).body.trimEnd().split('\n');
    const treeSize = async () =>
      Number((await call<string>(server.url, 'GET', '/v1/ceremonies/three/checkpoint')).body.split('\n')[1]);
    const before = await transcript();
    expect(await treeSize()).toBe(before.length);
    const closed = await admin.closeCeremony(ceremony.adminOptions);
    expect(closed.state).toBe('closed');
    const after = await transcript();
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.slice(before.length).map((l) => decodeEntryLine(l).entry.type)).toEqual(['ceremony.closed']);
    // The signed checkpoint covers the new entry.
    expect(await treeSize()).toBe(after.length);
    const view = await call<{ state: string }>(server.url, 'GET', '/v1/ceremonies/three');
    expect(view.body.state).toBe('closed');
  });
});
