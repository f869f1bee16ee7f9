// `npm run bench:resume`: a 2^16 contribution (mulchain-65533, a 30.9 MB zkey) uploaded to a real coordinator through
// a proxy that resets the upload at 50% or 90% of the file, then finished either by resuming (`ceremony upload`, the
// CLI's own flow) or by sending the whole file again (what a client without resume does); one uncut upload beside.
// Bytes are those the proxy passed on upload connections; time runs from the first PUT to the server's answer.
// The server is `ceremony serve` in a child process (embedded database, temp data dir); it computes the initial
// zkey itself (deterministic, so the chain of contributions cached here extends it).
// Flags: --bench-dir DIR (or CEREMONY_BENCH_DIR: mulchain-65533.r1cs and pot16.ptau), --cache-dir DIR (the initial
// zkey and the five contributions, kept between runs; default <tmp>/ceremony-bench-cache), --json.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { attestationMessage } from '../ceremony/attestation.js';
import type { ContributionView, ParticipantStatus } from '../ceremony/types.js';
import { CoordinatorClient, sleep } from '../cli/client.js';
import * as admin from '../cli/commands/admin.js';
import { runUpload } from '../cli/commands/upload.js';
import { createMemoryOutput } from '../cli/output.js';
import { generateKeyPair, type KeyPair, writeKeyFile } from '../crypto/ed25519.js';
import { toHex } from '../crypto/hex.js';
import { contribute, createInitialZkey } from '../snark/runner.js';
import { readZkeyInfo } from '../snark/zkey-file.js';
import { sha256File } from '../storage/file-hash.js';
import { buildOnce, defaultCacheDir, exists } from './bench-inputs.js';
import { startCutProxy } from './cut-proxy.js';
import { startServerChild } from './transfer-bench.js';

export interface ResumeRun {
  label: string;
  /** Fraction of the file after which the first upload connection was reset; null for the uncut upload. */
  cut: number | null;
  resumed: boolean;
  fileBytes: number;
  /** Bytes into the first upload connection when it was reset (request line and headers included). */
  cutAt: number | null;
  putBytes: number;
  puts: number;
  uploadMs: number;
  /** First PUT to the cut, the cut to the next PUT (the client's look-up), that PUT to the answer; null uncut. */
  phasesMs: { toCut: number; lookUp: number; rest: number } | null;
  loadBefore: number;
  loadAfter: number;
}

const PLAN: { label: string; cut: number | null; resumed: boolean }[] = [
  { label: 'uncut', cut: null, resumed: true },
  { label: 'cut at 50%, resumed (the CLI)', cut: 0.5, resumed: true },
  { label: 'cut at 50%, sent again from byte 0', cut: 0.5, resumed: false },
  { label: 'cut at 90%, resumed (the CLI)', cut: 0.9, resumed: true },
  { label: 'cut at 90%, sent again from byte 0', cut: 0.9, resumed: false },
];
const CEREMONY = 'bench';
const CIRCUIT = 'big';
const base = `/ceremonies/${CEREMONY}`;

/** The initial zkey and `count` contributions on top, each built once into the cache (temp file, then rename). */
export async function cachedChain(
  cacheDir: string,
  r1cs: string,
  ptau: string,
  count: number,
  progress: (message: string) => void,
): Promise<string[]> {
  await mkdir(cacheDir, { recursive: true });
  const name = 'mulchain-65533';
  const build = async (path: string, what: string, write: (temp: string) => Promise<unknown>) => {
    if (await exists(path)) return;
    progress(`resume: ${what} into ${cacheDir} (once)…`);
    await buildOnce(path, async (temp) => {
      await write(temp);
    });
  };
  // The same file as the step bench's zkey_0 (zkey new is deterministic).
  const chain = [join(cacheDir, `${name}.0.zkey`)];
  await build(chain[0]!, 'snarkjs zkey new', (temp) => createInitialZkey(r1cs, ptau, temp));
  for (let i = 1; i <= count; i++) {
    const path = join(cacheDir, `${name}.resume-${i}.zkey`);
    const prev = chain[i - 1]!;
    await build(path, `contribution ${i} of ${count}`, (temp) =>
      contribute(prev, temp, `bench resume ${i}`, randomBytes(32).toString('hex')),
    );
    chain.push(path);
  }
  return chain;
}

/** A client without resume: the cut upload is sent again whole (offset 0 takes over from the cut one at once). */
async function uploadWithoutResume(url: string, keys: KeyPair, zkey: string): Promise<void> {
  const client = new CoordinatorClient(url);
  await client.login(keys);
  await client.postIdempotentJson(`${base}/queue`);
  let mine: ParticipantStatus['circuits'][number] | undefined;
  for (;;) {
    const me = await client.getJson<ParticipantStatus>(`${base}/me`);
    mine = me.circuits.find((c) => c.circuit === CIRCUIT);
    if (mine?.state === 'active') break;
    if (mine?.state !== 'waiting') throw new Error(`resume bench: the turn is ${mine?.state}`);
    await sleep(200);
  }
  if (mine.latestZkeySha256 === null) throw new Error('resume bench: no current zkey');
  const contributionHash = (await readZkeyInfo(zkey)).contributions.at(-1)?.contributionHash ?? '';
  const fields = {
    ceremony: CEREMONY,
    circuit: CIRCUIT,
    index: mine.latestIndex + 1,
    prevZkeySha256: mine.latestZkeySha256,
    zkeySha256: await sha256File(zkey),
    contributionHash,
  };
  const headers = { 'x-ceremony-attestation': toHex(keys.sign(attestationMessage(fields))) };
  const path = `${base}/circuits/${CIRCUIT}/contribution`;
  await client.uploadFile(path, zkey, headers).then(
    () => {
      throw new Error('resume bench: the upload was not cut');
    },
    () => undefined,
  );
  const filed = await client.uploadFile<{ contributionId: string }>(path, zkey, headers, undefined, 'PUT', 0);
  for (;;) {
    const view = await client.getJson<ContributionView>(`${base}/contributions/${filed.contributionId}`);
    if (view.state === 'accepted') return;
    if (view.state !== 'verifying') throw new Error(`resume bench: contribution ${view.state}`);
    await sleep(500);
  }
}

export async function benchResume(
  options: { benchDir: string; cacheDir: string; work: string },
  progress: (message: string) => void,
): Promise<ResumeRun[]> {
  const r1cs = join(options.benchDir, 'mulchain-65533.r1cs');
  const ptau = join(options.benchDir, 'pot16.ptau');
  const chain = await cachedChain(options.cacheDir, r1cs, ptau, PLAN.length, progress);
  const coordinator = generateKeyPair();
  const server = await startServerChild(options.work, toHex(coordinator.publicKey), 0);
  try {
    const coordinatorKeyFile = join(options.work, 'coordinator.key');
    await writeKeyFile(coordinatorKeyFile, coordinator);
    const adminOptions = {
      server: server.url,
      keyFile: coordinatorKeyFile,
      ceremony: CEREMONY,
      output: createMemoryOutput(),
    };
    await admin.createCeremony({ ...adminOptions, title: 'resume bench', timeoutSeconds: 3600 });
    progress('resume: the server computes the initial zkey (snarkjs zkey new at 2^16)…');
    const added = await admin.addCircuit({ ...adminOptions, name: CIRCUIT, r1cs, ptau });
    if (added.initialZkeySha256 !== (await sha256File(chain[0]!)))
      throw new Error(`resume bench: the server's initial zkey is not the cached ${chain[0]}`);
    const participants: { keys: KeyPair; keyFile: string }[] = [];
    for (const [i] of PLAN.entries()) {
      const keys = generateKeyPair();
      const keyFile = join(options.work, `participant-${i + 1}.key`);
      await writeKeyFile(keyFile, keys);
      await admin.addParticipant({
        ...adminOptions,
        name: `bench-${i + 1}`,
        publicKey: toHex(keys.publicKey),
      });
      participants.push({ keys, keyFile });
    }
    await admin.openCeremony(adminOptions);

    const runs: ResumeRun[] = [];
    for (const [i, step] of PLAN.entries()) {
      const zkey = chain[i + 1]!;
      const who = participants[i]!;
      const fileBytes = (await stat(zkey)).size;
      const proxy = await startCutProxy(
        server.url,
        step.cut === null ? undefined : Math.floor(fileBytes * step.cut),
      );
      progress(`resume: ${step.label}…`);
      const loadBefore = loadavg()[0]!;
      try {
        if (step.resumed)
          await runUpload({
            server: proxy.url,
            keyFile: who.keyFile,
            ceremony: CEREMONY,
            circuit: CIRCUIT,
            zkey,
            receiptDir: join(options.work, `receipts-${i + 1}`),
            output: createMemoryOutput(),
            pollIntervalMs: 500,
          });
        else await uploadWithoutResume(proxy.url, who.keys, zkey);
      } finally {
        await proxy.close();
      }
      if (proxy.firstPutAt === undefined || proxy.lastPutAnswerAt === undefined)
        throw new Error(`resume bench: ${step.label}: no upload passed the proxy`);
      runs.push({
        ...step,
        fileBytes,
        cutAt: proxy.cutAt ?? null,
        putBytes: proxy.putBytes,
        puts: proxy.puts,
        uploadMs: proxy.lastPutAnswerAt - proxy.firstPutAt,
        phasesMs:
          proxy.cutTime === undefined || proxy.nextPutAt === undefined
            ? null
            : {
                toCut: proxy.cutTime - proxy.firstPutAt,
                lookUp: proxy.nextPutAt - proxy.cutTime,
                rest: proxy.lastPutAnswerAt - proxy.nextPutAt,
              },
        loadBefore,
        loadAfter: loadavg()[0]!,
      });
    }
    return runs;
  } finally {
    await server.stop();
  }
}

export function formatResumeTable(runs: ResumeRun[]): string[] {
  const n = (x: number) => x.toLocaleString('en-US');
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  return [
    '| upload of the 2^16 zkey | PUT requests | bytes passed | × file | time, first PUT → answer | of which: to the cut / look-up / rest | load average (1 min) |',
    '|---|---|---|---|---|---|---|',
    ...runs.map(
      (r) =>
        `| ${r.label}${r.cutAt === null ? '' : ` (reset at byte ${n(r.cutAt)})`} | ${r.puts} | ${n(r.putBytes)} | ${(r.putBytes / r.fileBytes).toFixed(2)} | ${s(r.uploadMs)} | ${r.phasesMs === null ? '' : `${s(r.phasesMs.toCut)} / ${s(r.phasesMs.lookUp)} / ${s(r.phasesMs.rest)}`} | ${r.loadBefore.toFixed(1)} → ${r.loadAfter.toFixed(1)} |`,
    ),
    '',
    `File: ${n(runs[0]?.fileBytes ?? 0)} bytes.`,
  ];
}

async function main(argv: string[]): Promise<void> {
  let benchDir = process.env.CEREMONY_BENCH_DIR;
  let cacheDir = defaultCacheDir;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--bench-dir') benchDir = argv[++i];
    else if (flag === '--cache-dir') cacheDir = argv[++i] ?? cacheDir;
    else if (flag === '--json') json = true;
    else throw new Error(`bench:resume: unknown flag '${flag}'`);
  }
  if (benchDir === undefined || !(await exists(join(benchDir, 'mulchain-65533.r1cs'))))
    throw new Error(
      'bench:resume: give --bench-dir DIR (or CEREMONY_BENCH_DIR) holding mulchain-65533.r1cs and pot16.ptau',
    );
  const work = await mkdtemp(join(tmpdir(), 'ceremony-resume-bench-'));
  const progress = (message: string) => process.stderr.write(`${message}\n`);
  try {
    const runs = await benchResume({ benchDir, cacheDir, work }, progress);
    if (json) process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), runs }, null, 2)}\n`);
    else process.stdout.write(`${formatResumeTable(runs).join('\n')}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`)
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  });
