// `ceremony demo`: the whole job on one machine — a coordinator on the embedded database, N participants,
// the round closed, a beacon applied, the outputs exported, and an independent audit of the result.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../config.js';
import { generateKeyPair, writeKeyFile } from '../../crypto/ed25519.js';
import { toHex } from '../../crypto/hex.js';
import { startServer } from '../../server.js';
import { parseCheckpoint, parseNote } from '../../transcript/note.js';
import { auditCeremony, openSource } from '../../verify/audit.js';
import { formatReport } from '../../verify/report.js';
import { createMemoryOutput, createOutput } from '../output.js';
import * as admin from './admin.js';
import { runContribute } from './contribute.js';
import { startDemoWitnesses, waitForAllCosigned } from './demo-witnesses.js';

const CEREMONY_ID = 'demo';
const names = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy'];
/** The bundled example circuit (examples/circuits), found from this file in src/ or dist/. */
const examples = fileURLToPath(new URL('../../../examples/circuits/', import.meta.url));

export interface DemoOptions {
  participants: number;
  json: boolean;
  /** Where the data dir, keys and published files go (default: a new temp dir). */
  dir?: string;
  /** Print nothing (benchmarks). */
  quiet?: boolean;
  /** Keep the server up after the demo (`--keep`) until SIGINT or SIGTERM, to look at the web page. */
  keep?: boolean;
  /** Port to listen on (`--port`; 0 = any free port). */
  port?: number;
  /** Local witnesses to start (`--witnesses N`); the audit then requires all of them. */
  witnesses?: number;
  /** Runs while the finished ceremony's server is still up (benchmarks audit it with --full). */
  onFinished?: (serverUrl: string) => Promise<void>;
}

export async function runDemo(opts: DemoOptions): Promise<number> {
  if (!Number.isInteger(opts.participants) || opts.participants < 1 || opts.participants > 100) {
    throw new RangeError('runDemo: participants must be an integer from 1 to 100');
  }
  const out = createOutput(opts.json);
  const say = (line: string) => {
    if (!opts.json && !opts.quiet) out.writeStderr(`${line}\n`);
  };
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  const dir = opts.dir ? resolve(opts.dir) : await mkdtemp(join(tmpdir(), 'ceremony-demo-'));
  if (opts.dir) {
    await mkdir(dir, { recursive: true });
    if ((await readdir(dir)).length > 0) throw new Error(`demo directory ${dir} is not empty`);
  }
  const keysDir = join(dir, 'keys');
  const coordinator = generateKeyPair();
  const coordinatorKeyFile = join(keysDir, 'coordinator.key');
  await writeKeyFile(coordinatorKeyFile, coordinator);

  const witnesses =
    (opts.witnesses ?? 0) > 0
      ? await startDemoWitnesses(dir, opts.witnesses ?? 0, 'demo.ceremony.local')
      : undefined;
  if (witnesses !== undefined)
    say(`      ${witnesses.vkeys.length} local witnesses: ${witnesses.vkeys.join(', ')}`);
  const config = loadConfig(
    {},
    {
      ...witnesses?.env,
      PORT: String(opts.port ?? 0),
      HOST: '127.0.0.1',
      DATA_DIR: join(dir, 'data'),
      TRANSCRIPTS_DIR: join(dir, 'ceremony-transcripts'),
      COORDINATOR_PUBLIC_KEYS: toHex(coordinator.publicKey),
      CEREMONY_ORIGIN: 'demo.ceremony.local',
      HEARTBEAT_INTERVAL_SECONDS: '2',
      LOG_LEVEL: 'warn',
    },
  );
  say(`[1/6] coordinator on embedded Postgres (PGlite) in ${dir}`);
  const server = await startServer(config).catch(async (err: unknown) => {
    await witnesses?.close();
    throw err;
  });
  const pageUrl = `${server.url}/#/c/${CEREMONY_ID}`;
  say(
    `      web page: ${pageUrl} (live while the demo runs${opts.keep ? ', and after it with --keep' : ''})`,
  );
  try {
    const connection = {
      server: server.url,
      keyFile: coordinatorKeyFile,
      ceremony: CEREMONY_ID,
      output: createMemoryOutput(),
      pollIntervalMs: 200,
    };
    // One login for all the coordinator's commands: a login each would meet the per-key login budget (10 a minute)
    // and wait out its Retry-After, twice, for most of the demo's time.
    const adminOptions = { ...connection, session: await admin.connectCoordinatorSigner(connection, 'demo') };
    await admin.createCeremony({
      ...adminOptions,
      title: 'Demo settlement circuit setup',
      timeoutSeconds: 300,
    });
    say(`[2/6] circuit 'mulchain' (1,021 constraints, bn128 = BN254): computing the initial zkey`);
    const circuit = await admin.addCircuit({
      ...adminOptions,
      name: 'mulchain',
      r1cs: join(examples, 'mulchain-1021.r1cs'),
      ptau: join(examples, 'pot10.ptau'),
    });
    const participants = [];
    for (let i = 0; i < opts.participants; i++) {
      const name = names[i] ?? `operator-${i + 1}`;
      const keys = generateKeyPair();
      const keyFile = join(keysDir, `${name}.key`);
      await writeKeyFile(keyFile, keys);
      const record = await admin.addParticipant({ ...adminOptions, name, publicKey: toHex(keys.publicKey) });
      participants.push({ ...record, keyFile });
    }
    await admin.openCeremony(adminOptions);
    say(
      `[3/6] round open: ${participants.map((p) => p.name).join(', ')} queue up at once and contribute in turn`,
    );
    const results = await Promise.all(
      participants.map(async (p) => {
        const result = await runContribute({
          server: server.url,
          keyFile: p.keyFile,
          ceremony: CEREMONY_ID,
          statement: `${p.name}: demo entropy from crypto.randomBytes, discarded when the process exited`,
          receiptDir: join(dir, 'receipts', p.name),
          output: createMemoryOutput(),
          pollIntervalMs: 200,
        });
        for (const c of result.contributions)
          say(
            `      ${p.name} contributed #${c.index}: ${c.contributionHash.slice(0, 16)}… (receipt ${c.receipt})`,
          );
        return { name: p.name, ...result };
      }),
    );

    await admin.closeCeremony(adminOptions);
    // The beacon must be unknowable before the round closed; a real ceremony names a future drand round or block.
    const closedCheckpoint = await (
      await fetch(`${server.url}/v1/ceremonies/${CEREMONY_ID}/checkpoint`)
    ).text();
    const beaconHex = createHash('sha256').update(closedCheckpoint).digest('hex');
    const beaconSource =
      'demo only: SHA-256 of the checkpoint signed after ceremony.closed (use a future drand round in production)';
    say(
      `[4/6] round closed; beacon ${beaconHex.slice(0, 16)}… applied with 2^10 iterations, outputs exported`,
    );
    await admin.finalizeCeremony({ ...adminOptions, beaconHex, beaconSource, iterationsExp: 10 });

    say(
      `[5/6] auditing the ceremony from its public API alone (snarkjs verify from r1cs + ptau, noble BN254 re-check)`,
    );
    if (witnesses !== undefined) {
      const url = `${server.url}/v1/ceremonies/${CEREMONY_ID}/checkpoint`;
      const all = await waitForAllCosigned(url, witnesses.vkeys);
      say(
        `      witnesses ${all ? 'all cosigned the final checkpoint' : 'did NOT all cosign the final checkpoint within 60 s'}`,
      );
    }
    const source = openSource({ server: server.url, ceremony: CEREMONY_ID });
    const report = await auditCeremony(
      source,
      witnesses === undefined ? {} : { witnesses: witnesses.vkeys, witnessQuorum: witnesses.vkeys.length },
    ).finally(() => source.close());
    const checkpoint = await (await fetch(`${server.url}/v1/ceremonies/${CEREMONY_ID}/checkpoint`)).text();
    const head = parseCheckpoint(parseNote(checkpoint).body);
    const published = join(config.transcriptsDir, CEREMONY_ID);
    await archiveArtifacts(server.url, published, 'mulchain');
    const summary = {
      ok: report.ok,
      ceremony: CEREMONY_ID,
      seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
      dir,
      published,
      circuit: { name: 'mulchain', constraints: circuit.constraints, power: circuit.power },
      transcriptHead: { size: head.size, rootHash: toHex(head.rootHash), origin: head.origin },
      contributions: results.flatMap((r) =>
        r.contributions.map((c) => ({
          name: r.name,
          participantId: r.participantId,
          circuit: c.circuit,
          index: c.index,
          contributionHash: c.contributionHash,
          receipt: c.receipt,
        })),
      ),
      audit: report.checks.map((c) => ({ name: c.name, status: c.status })),
    };
    await opts.onFinished?.(server.url);
    if (opts.quiet) {
      // Benchmarks read the exit code only.
    } else if (opts.json) {
      out.writeStdout(`${JSON.stringify(summary)}\n`);
    } else {
      say(`[6/6] done in ${elapsed()}`);
      const lines = [
        '',
        ...formatReport(report),
        '',
        `transcript head: ${head.size} entries, root ${toHex(head.rootHash)}`,
        `checkpoint (${head.origin}):`,
        ...checkpoint
          .trimEnd()
          .split('\n')
          .map((l) => `  ${l}`),
        '',
        `published files: ${published}`,
        `audit them again, offline: ceremony verify --dir ${published}`,
        `demo finished in ${elapsed()}: ${report.ok ? 'every check passed' : 'SOME CHECKS FAILED'}`,
        opts.keep
          ? `web page: ${pageUrl}  (audit in your browser: ${server.url}/#/c/${CEREMONY_ID}/audit)`
          : 'the demo server stops now; run `ceremony demo --keep` to keep it up and look at the web page',
      ];
      out.writeStdout(`${lines.join('\n')}\n`);
    }
    if (opts.keep) {
      say(`server kept up at ${server.url}; press Ctrl-C to stop it`);
      await waitForStopSignal();
    }
    return report.ok ? 0 : 1;
  } finally {
    await server.close();
    await witnesses?.close();
  }
}

function waitForStopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Copies the final zkey, r1cs and ptau beside the published files, so `verify --dir` needs no server. */
async function archiveArtifacts(server: string, published: string, circuit: string): Promise<void> {
  const files: [string, string][] = [
    ['zkeys/final', 'final.zkey'],
    ['r1cs', 'circuit.r1cs'],
    ['ptau', 'circuit.ptau'],
  ];
  for (const [path, name] of files) {
    const response = await fetch(`${server}/v1/ceremonies/${CEREMONY_ID}/circuits/${circuit}/${path}`);
    if (!response.ok || !response.body)
      throw new Error(`cannot fetch ${path} of ${circuit}: HTTP ${response.status}`);
    await pipeline(
      Readable.fromWeb(response.body as WebReadableStream),
      createWriteStream(join(published, circuit, name)),
    );
  }
}
