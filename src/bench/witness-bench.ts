// Witnesses (`npm run bench:witness`): append latency with 0, 1 and 3 local witnesses (their calls are off the append
// path, so it should not move), the time from an append to its quorum of cosignatures, and add-checkpoint requests a
// second one witness answers over HTTP (keep-alive, 8 logs in parallel).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../app.js';
import { DEFAULT_WITNESS_LIMITS, startWitness } from '../cli/commands/witness.js';
import { loadConfig } from '../config.js';
import { generateKeyPair, type KeyPair, keyPairFromSecret, sign, writeKeyFile } from '../crypto/ed25519.js';
import { toHex } from '../crypto/hex.js';
import { leafHash, MemoryTree } from '../transcript/merkle.js';
import { encodeVerifierKey, formatCheckpoint, parseNote, signNote } from '../transcript/note.js';
import { findCosignature, parseCosignerKey } from '../witness/cosigner-key.js';
import { formatAddCheckpointRequest } from '../witness/request.js';

const APPENDS = Number(process.env.BENCH_APPENDS ?? 60);
const ORIGIN = 'bench.ceremony.local';
const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)] ?? 0;

async function post(url: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (response.status >= 300) throw new Error(`${url}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

async function login(base: string, keys: KeyPair): Promise<string> {
  const publicKey = toHex(keys.publicKey);
  const { nonce, origin } = (await post(`${base}/v1/auth/challenge`, { publicKey })) as {
    nonce: string;
    origin: string;
  };
  const signature = toHex(
    sign(new TextEncoder().encode(`ceremony-auth/v2\n${origin}\n${nonce}`), keys.secretKey),
  );
  return (await post(`${base}/v1/auth/login`, { publicKey, nonce, signature })).token as string;
}

/** Appends through the API with `witnessCount` witnesses; latency of each append, and append→quorum when witnessed. */
async function measureAppends(witnessCount: number): Promise<{ appendMs: number[]; quorumMs: number[] }> {
  const work = await mkdtemp(join(tmpdir(), 'bench-witness-'));
  const logSeed = new Uint8Array(32).fill(5);
  const logKeyFile = join(work, 'log.key');
  await writeKeyFile(logKeyFile, keyPairFromSecret(logSeed));
  const logVkey = encodeVerifierKey(ORIGIN, keyPairFromSecret(logSeed).publicKey);
  const witnesses = [];
  for (let i = 0; i < witnessCount; i++) {
    const keyFile = join(work, `w${i}.key`);
    await writeKeyFile(keyFile, generateKeyPair());
    witnesses.push(
      await startWitness({
        name: `bench-w${i}`,
        key: keyFile,
        logs: [logVkey],
        dataDir: join(work, `w${i}`),
        host: '127.0.0.1',
        port: 0,
        limits: { ...DEFAULT_WITNESS_LIMITS, requestsPerMinute: 10_000_000 },
        maxEvidenceBytes: 1 << 20,
      }),
    );
  }
  await writeFile(join(work, 'witnesses.txt'), witnesses.map((w) => `${w.vkey} ${w.url}\n`).join(''));
  const coordinator = generateKeyPair();
  const config = loadConfig(
    {},
    {
      PORT: '0',
      DATA_DIR: join(work, 'data'),
      TRANSCRIPTS_DIR: join(work, 'transcripts'),
      COORDINATOR_PUBLIC_KEYS: toHex(coordinator.publicKey),
      CEREMONY_ORIGIN: ORIGIN,
      LOG_KEY: logKeyFile,
      LOG_LEVEL: 'error',
      RATE_LIMIT: 'off',
      ...(witnessCount > 0
        ? { WITNESSES_FILE: join(work, 'witnesses.txt'), WITNESS_QUORUM: String(witnessCount) }
        : {}),
    },
  );
  const built = await buildApp(config);
  const base = await built.app.listen({ host: '127.0.0.1', port: 0 });
  const keys = witnesses.map((w) => parseCosignerKey(w.vkey));
  const appendMs: number[] = [];
  const quorumMs: number[] = [];
  try {
    const token = await login(base, coordinator);
    await post(`${base}/v1/ceremonies`, { id: 'bench', title: 'bench' }, token);
    for (let i = 0; i < APPENDS; i++) {
      const started = performance.now();
      await post(
        `${base}/v1/ceremonies/bench/participants`,
        { name: `p${i}`, publicKey: toHex(generateKeyPair().publicKey) },
        token,
      );
      appendMs.push(performance.now() - started);
      if (witnessCount === 0) continue;
      for (;;) {
        const note = await (await fetch(`${base}/v1/ceremonies/bench/checkpoints/${i + 2}`)).text();
        const { body, signatures } = parseNote(note);
        const lines = signatures.map((s) => s.line);
        if (keys.every((k) => findCosignature(body, lines, k) !== null)) break;
        await new Promise((r) => setTimeout(r, 2));
      }
      quorumMs.push(performance.now() - started);
    }
  } finally {
    await built.app.close();
    for (const w of witnesses) await w.close();
    await rm(work, { recursive: true, force: true });
  }
  return { appendMs, quorumMs };
}

/** add-checkpoint requests a second: 8 logs in parallel, each growing by one entry a request. */
async function measureWitness(): Promise<{ requests: number; perSecond: number }> {
  const work = await mkdtemp(join(tmpdir(), 'bench-witness-'));
  const logKey = keyPairFromSecret(new Uint8Array(32).fill(6));
  const keyFile = join(work, 'w.key');
  await writeKeyFile(keyFile, generateKeyPair());
  const witness = await startWitness({
    name: 'bench-w',
    key: keyFile,
    logs: [encodeVerifierKey(ORIGIN, logKey.publicKey)],
    dataDir: join(work, 'w'),
    host: '127.0.0.1',
    port: 0,
    limits: { ...DEFAULT_WITNESS_LIMITS, requestsPerMinute: 10_000_000 },
    maxEvidenceBytes: 1 << 20,
  });
  const perLog = 250;
  const tree = new MemoryTree();
  for (let i = 0; i < perLog; i++) tree.append(leafHash(Uint8Array.of(i & 255, i >> 8)));
  const bodies = (origin: string) =>
    Array.from({ length: perLog }, (_, i) => {
      const note = signNote(
        formatCheckpoint({ origin, size: i + 1, rootHash: tree.root(i + 1) }),
        ORIGIN,
        logKey,
      );
      return formatAddCheckpointRequest(i, i === 0 ? [] : tree.consistencyProof(i, i + 1), note);
    });
  const logs = Array.from({ length: 8 }, (_, j) => bodies(`${ORIGIN}/ceremonies/b${j}`));
  const started = performance.now();
  await Promise.all(
    logs.map(async (requests) => {
      for (const body of requests) {
        const response = await fetch(`${witness.url}/add-checkpoint`, { method: 'POST', body });
        if (response.status !== 200)
          throw new Error(`witness answered ${response.status}: ${await response.text()}`);
        await response.text();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await witness.close();
  await rm(work, { recursive: true, force: true });
  return { requests: perLog * logs.length, perSecond: (perLog * logs.length) / seconds };
}

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const count of [0, 1, 3]) {
    const { appendMs, quorumMs } = await measureAppends(count);
    rows.push(
      `${count} witness(es): append p50 ${percentile(appendMs, 0.5).toFixed(1)} ms, p95 ${percentile(appendMs, 0.95).toFixed(1)} ms` +
        (quorumMs.length > 0
          ? `; append→quorum (${count} of ${count}) p50 ${percentile(quorumMs, 0.5).toFixed(1)} ms, p95 ${percentile(quorumMs, 0.95).toFixed(1)} ms`
          : ''),
    );
  }
  const witness = await measureWitness();
  rows.push(
    `witness: ${witness.requests} add-checkpoint requests, ${witness.perSecond.toFixed(0)} req/s (8 logs in parallel)`,
  );
  rows.push(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, ${APPENDS} appends per configuration`,
  );
  process.stdout.write(`${rows.join('\n')}\n`);
}

await main();
