// A coordinator and two of the project's witnesses over real HTTP: every checkpoint gets cosigned in the background,
// the cosignatures are served as signature lines, a witness that is down never blocks an append and catches up, and
// a coordinator that shows a witness another log (a rollback, or a split view under one log key) is refused loudly.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as admin from '../../src/cli/commands/admin.js';
import { runVerify } from '../../src/cli/commands/verify.js';
import { startWitness } from '../../src/cli/commands/witness.js';
import { createMemoryOutput } from '../../src/cli/output.js';
import { generateKeyPair, keyPairFromSecret, writeKeyFile } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { encodeVerifierKey, parseCheckpoint, parseNote } from '../../src/transcript/note.js';
import { encodeCosignerKey, findCosignature, parseCosignerKey } from '../../src/witness/cosigner-key.js';
import { call } from '../helpers/api.js';
import { setupCeremony, type TestCeremony } from '../helpers/ceremony.js';
import { writeLogKeyFile } from '../helpers/log-key-file.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const ORIGIN = 'test.ceremony.local';
const logSeed = new Uint8Array(32).fill(21);
const logVkey = encodeVerifierKey(ORIGIN, keyPairFromSecret(logSeed).publicKey);
type Running = Awaited<ReturnType<typeof startWitness>>;

let dir: string;
let witnessKeys: string[];
const witnesses: (Running | undefined)[] = [];
let server: TestServer;
let ceremony: TestCeremony;

async function runWitness(i: number, port = 0): Promise<Running> {
  const running = await startWitness({
    name: `witness.test/w${i}`,
    key: witnessKeys[i] as string,
    logs: [logVkey],
    dataDir: join(dir, `w${i}`),
    host: '127.0.0.1',
    port,
    limits: {
      maxBodyBytes: 32 * 1024,
      requestsPerMinute: 100_000,
      maxConnections: 64,
      requestTimeoutMs: 10_000,
    },
    maxEvidenceBytes: 1 << 20,
  });
  witnesses[i] = running;
  return running;
}

async function checkpoint(s: TestServer, size?: number): Promise<string> {
  const path = size === undefined ? 'checkpoint' : `checkpoints/${size}`;
  const answer = await call(s.url, 'GET', `/v1/ceremonies/${ceremony.id}/${path}`);
  return answer.body as unknown as string;
}

/** The names of the running witnesses whose valid cosignature the note carries. */
function cosigners(note: string): string[] {
  const { body, signatures } = parseNote(note);
  return (witnesses.filter(Boolean) as Running[])
    .map((w) => parseCosignerKey(w.vkey))
    .filter(
      (key) =>
        findCosignature(
          body,
          signatures.map((sig) => sig.line),
          key,
        ) !== null,
    )
    .map((key) => key.name);
}

async function waitFor<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function addParticipant(s: TestServer, c: TestCeremony, name: string): Promise<void> {
  await admin.addParticipant({
    ...c.adminOptions,
    server: s.url,
    name,
    publicKey: toHex(generateKeyPair().publicKey),
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'witnesses-'));
  witnessKeys = [];
  for (let i = 0; i < 2; i++) {
    const path = join(dir, `witness-${i}.key`);
    await writeKeyFile(path, keyPairFromSecret(new Uint8Array(32).fill(40 + i)));
    witnessKeys.push(path);
  }
  const [w0, w1] = [await runWitness(0), await runWitness(1)];
  const list = join(dir, 'witnesses.txt');
  await writeFile(list, `# two local witnesses\n${w0.vkey} ${w0.url}\n${w1.vkey} ${w1.url}/\n`);
  server = await startTestServer({
    env: {
      LOG_KEY: await writeLogKeyFile(logSeed),
      WITNESSES_FILE: list,
      WITNESS_QUORUM: '2',
      JOB_RETRY_DELAY_MS: '300',
      WITNESS_TIMEOUT_MS: '2000',
    },
  });
  ceremony = await setupCeremony(server, { id: 'witnessed', circuits: [], participants: 1, open: false });
}, 120_000);

afterAll(async () => {
  await server?.destroy();
  for (const w of witnesses) await w?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('witnesses cosign the log', () => {
  it('every witness cosigns the latest checkpoint in the background; the lines are served on /checkpoint and /checkpoints/:size', async () => {
    const note = await waitFor(
      'both cosignatures',
      () => checkpoint(server),
      (n) => cosigners(n).length === 2,
    );
    const size = parseCheckpoint(parseNote(note).body).size;
    expect(cosigners(await checkpoint(server, size))).toEqual(['witness.test/w0', 'witness.test/w1']);
    const list = await call<{ quorum: number; witnesses: { vkey: string }[] }>(
      server.url,
      'GET',
      '/v1/witnesses',
    );
    expect(list.body.quorum).toBe(2);
    expect(list.body.witnesses.map((w) => w.vkey)).toEqual(witnesses.map((w) => w?.vkey));
  });

  it('a witness that is down never blocks an append; the lag shows until it is back and has caught up', async () => {
    const down = witnesses[1] as Running;
    const port = Number(new URL(down.url).port);
    await down.close();
    witnesses[1] = undefined;
    const before = parseCheckpoint(parseNote(await checkpoint(server)).body).size;
    await addParticipant(server, ceremony, 'late-1');
    await addParticipant(server, ceremony, 'late-2');
    const note = await waitFor(
      'w0 on the new checkpoint',
      () => checkpoint(server),
      (n) => cosigners(n).includes('witness.test/w0'),
    );
    expect(parseCheckpoint(parseNote(note).body).size).toBe(before + 2);
    const metrics = await call(server.url, 'GET', '/metrics');
    expect(String(metrics.body)).toMatch(/ceremony_witness_lag_entries\{ceremony="witnessed"\} 2/);
    const ready = await call<{ witnesses: { lag: Record<string, number> } }>(server.url, 'GET', '/readyz');
    expect(ready.body.witnesses.lag).toEqual({ witnessed: 2 });

    await runWitness(1, port);
    await addParticipant(server, ceremony, 'late-3');
    await waitFor(
      'both on the newest checkpoint',
      () => checkpoint(server),
      (n) => cosigners(n).length === 2,
    );
    const caughtUp = await call(server.url, 'GET', '/metrics');
    expect(String(caughtUp.body)).toMatch(/ceremony_witness_lag_entries\{ceremony="witnessed"\} 0/);
  });

  it('verify --witness … --witness-quorum K passes with K cosignatures, names each witness, and fails while one is missing', async () => {
    const audit = async (quorum: number, keys = witnesses.map((w) => w?.vkey ?? '')) => {
      const output = createMemoryOutput(true);
      await runVerify({
        server: server.url,
        ceremony: ceremony.id,
        witnesses: keys,
        witnessQuorum: quorum,
        full: false,
        json: true,
        output,
      });
      const report = JSON.parse(output.stdout()) as {
        checks: { name: string; status: string; detail: string }[];
      };
      return report.checks.find((c) => c.name === 'witnesses');
    };
    await waitFor(
      'both on the newest checkpoint',
      () => checkpoint(server),
      (n) => cosigners(n).length === 2,
    );
    const both = await audit(2);
    expect(both?.status).toBe('pass');
    expect(both?.detail).toMatch(
      /witness\.test\/w0 cosigned up to size \d+, witness\.test\/w1 cosigned up to size \d+/,
    );
    // A third listed witness that never cosigned: quorum 3 fails and says which one.
    const stranger = encodeCosignerKey('witness.test/absent', generateKeyPair().publicKey);
    const three = await audit(3, [...witnesses.map((w) => w?.vkey ?? ''), stranger]);
    expect(three?.status).toBe('fail');
    expect(three?.detail).toMatch(/has 2 of 3 witness cosignatures.*witness\.test\/absent cosigned nothing/);
    // w1 down, a new entry: the latest checkpoint lacks w1's cosignature until it is back.
    const down = witnesses[1] as Running;
    const port = Number(new URL(down.url).port);
    await down.close();
    witnesses[1] = undefined;
    const keys = [witnesses[0]?.vkey ?? '', down.vkey];
    await addParticipant(server, ceremony, 'late-4');
    await waitFor(
      'w0 on the new checkpoint',
      () => checkpoint(server),
      (n) => cosigners(n).includes('witness.test/w0'),
    );
    expect((await audit(2, keys))?.status).toBe('fail');
    expect((await audit(1, keys))?.status).toBe('pass');
    await runWitness(1, port);
    await addParticipant(server, ceremony, 'late-5');
    await waitFor(
      'w1 back on the newest checkpoint',
      () => checkpoint(server),
      (n) => cosigners(n).length === 2,
    );
    expect((await audit(2))?.status).toBe('pass');
  });

  it('a second coordinator with the same log key that shows another log (rolled back, or split) is refused and says so', async () => {
    const other = await startTestServer({
      env: {
        LOG_KEY: await writeLogKeyFile(logSeed),
        WITNESSES_FILE: join(dir, 'witnesses.txt'),
        WITNESS_QUORUM: '2',
        JOB_RETRY_DELAY_MS: '300',
        WITNESS_TIMEOUT_MS: '2000',
      },
    });
    try {
      type Ready = { witnesses: { refusals: { ceremony: string; reason: string }[] } };
      const readiness = async () => (await call<Ready>(other.url, 'GET', '/readyz')).body;
      const refusalsOf = (b: Ready, id: string) => b.witnesses.refusals.filter((r) => r.ceremony === id);
      // On the first coordinator, a short log 'split' that both witnesses cosign.
      const split = await setupCeremony(server, { id: 'split', circuits: [], participants: 0, open: false });
      const splitHead = await waitFor(
        'split cosigned',
        () => call(server.url, 'GET', '/v1/ceremonies/split/checkpoint').then((a) => String(a.body)),
        (n) => cosigners(n).length === 2,
      );
      void split;
      // The second shows 'witnessed' shorter than the witnesses hold (a restore from an old backup) …
      await setupCeremony(other, { id: 'witnessed', circuits: [], participants: 0, open: false });
      // … and 'split' longer, on another history (a split view under one log key): the proof from their size fails.
      await setupCeremony(other, { id: 'split', circuits: [], participants: 3, open: false });
      const splitSize = parseCheckpoint(parseNote(splitHead).body).size;
      const otherSplit = String((await call(other.url, 'GET', '/v1/ceremonies/split/checkpoint')).body);
      expect(parseCheckpoint(parseNote(otherSplit).body).size).toBeGreaterThan(splitSize);
      const ready = await waitFor(
        'refusals',
        readiness,
        (b) => refusalsOf(b, 'witnessed').length === 2 && refusalsOf(b, 'split').length === 2,
      );
      expect(refusalsOf(ready, 'witnessed')[0]?.reason).toMatch(
        /holds size \d+, more than this log's \d+: the log was rolled back/,
      );
      expect(refusalsOf(ready, 'split')[0]?.reason).toMatch(/answered 422/);
      const metrics = String((await call(other.url, 'GET', '/metrics')).body);
      expect(metrics).toMatch(/ceremony_witness_refusals_total\{witness="witness.test\/w0"\} [1-9]/);
      // Neither witness cosigned the other log, and each kept evidence of what it was shown.
      const shown = String((await call(other.url, 'GET', '/v1/ceremonies/witnessed/checkpoint')).body);
      expect(cosigners(shown)).toEqual([]);
      expect(
        cosigners(String((await call(other.url, 'GET', '/v1/ceremonies/split/checkpoint')).body)),
      ).toEqual([]);
      const evidence = await (await fetch(`${witnesses[0]?.url}/evidence`)).text();
      expect(evidence).toContain('"status":422');
    } finally {
      await other.destroy();
    }
  });
});
