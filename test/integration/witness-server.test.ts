// The witness over real HTTP: add-checkpoint's statuses and content types on the wire, the monitoring read, the
// evidence, and its bounds (body size, requests a minute).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWitness } from '../../src/cli/commands/witness.js';
import { main } from '../../src/cli/main.js';
import type { CliOutput } from '../../src/cli/output.js';
import { keyPairFromSecret, writeKeyFile } from '../../src/crypto/ed25519.js';
import { leafHash, MemoryTree } from '../../src/transcript/merkle.js';
import { encodeVerifierKey, formatCheckpoint, signNote } from '../../src/transcript/note.js';
import { formatAddCheckpointRequest } from '../../src/witness/request.js';
import { originHash } from '../../src/witness/store.js';

const logKey = keyPairFromSecret(new Uint8Array(32).fill(3));
const ORIGIN = 'coordinator.test/ceremonies/http';
const tree = new MemoryTree();
for (let i = 0; i < 9; i++) tree.append(leafHash(Uint8Array.of(i)));
const note = (size: number) =>
  signNote(formatCheckpoint({ origin: ORIGIN, size, rootHash: tree.root(size) }), 'coordinator.test', logKey);

let dir: string;
let witness: Awaited<ReturnType<typeof startWitness>>;
let keyFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'witness-http-'));
  keyFile = join(dir, 'witness-key');
  await writeKeyFile(keyFile, keyPairFromSecret(new Uint8Array(32).fill(4)));
  witness = await startWitness({
    name: 'w.test/1',
    key: keyFile,
    logs: [encodeVerifierKey('coordinator.test', logKey.publicKey)],
    dataDir: join(dir, 'data'),
    host: '127.0.0.1',
    port: 0,
    limits: { maxBodyBytes: 4096, requestsPerMinute: 30, maxConnections: 16, requestTimeoutMs: 10_000 },
    maxEvidenceBytes: 1 << 20,
  });
});

afterAll(async () => {
  await witness?.close();
  await rm(dir, { recursive: true, force: true });
});

const post = (body: string) => fetch(`${witness.url}/add-checkpoint`, { method: 'POST', body });

describe('witness over HTTP', () => {
  it('cosigns, answers 409 as text/x.tlog.size, and serves the cosigned checkpoint at /<origin hash>/checkpoint', async () => {
    const first = await post(formatAddCheckpointRequest(0, [], note(4)));
    expect(first.status).toBe(200);
    const cosignature = await first.text();
    expect(cosignature).toMatch(/^— w\.test\/1 [A-Za-z0-9+/]+=*\n$/);
    const conflict = await post(formatAddCheckpointRequest(0, [], note(6)));
    expect(conflict.status).toBe(409);
    expect(conflict.headers.get('content-type')).toBe('text/x.tlog.size');
    expect(await conflict.text()).toBe('4\n');
    const monitored = await fetch(`${witness.url}/${originHash(ORIGIN)}/checkpoint`);
    expect(await monitored.text()).toBe(`${note(4)}${cosignature}`);
    expect((await fetch(`${witness.url}/${originHash('nobody')}/checkpoint`)).status).toBe(404);
    const evidence = await (await fetch(`${witness.url}/evidence`)).text();
    expect(evidence).toContain('"status":409');
  });

  it('refuses a body over its bound with 413 and a GET of add-checkpoint with 405', async () => {
    expect((await post(`old 0\n\n${'x'.repeat(5000)}`)).status).toBe(413);
    expect((await fetch(`${witness.url}/add-checkpoint`)).status).toBe(405);
  });

  it('witness vkey prints the same key the server printed', async () => {
    const out: string[] = [];
    const output: CliOutput = {
      json: true,
      interactive: false,
      columns: 80,
      writeStdout: (text) => out.push(text),
      writeStderr: () => undefined,
    };
    const code = await main(['witness', 'vkey', '--name', 'w.test/1', '--key', keyFile, '--json'], output);
    expect(code).toBe(0);
    expect(JSON.parse(out.join(''))).toEqual({ vkey: witness.vkey });
  });

  it('answers 429 with Retry-After once an address spends its requests a minute', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await fetch(`${witness.url}/vkey`)).status);
    expect(statuses).toContain(429);
    const limited = await fetch(`${witness.url}/vkey`);
    expect(limited.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
  });
});
