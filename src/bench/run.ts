// `npm run bench`: the figures the README and closing notes quote, measured on this machine.
// - per-contribution verification (verifyFromInit) against `snarkjs zkey verify` from r1cs + ptau, time and peak memory
// - the whole `ceremony demo`, and `ceremony verify --full` on the demo ceremony
// - `ceremony verify` on a 10,000-entry transcript (no zkeys)
// - the incremental step check against verifyFromInit and `zkey verify` (step-bench.ts): 2^10 and 2^12 from the
//   fixtures, 2^14 built into the cache on first use (bench-inputs.ts), 2^16 from --bench-dir
// - a big file up and down through a real server against `sha256sum` (transfer-bench.ts)
// - transcript appends signed by a key file against a key in SoftHSM2, and a start with each (keys-bench.ts)
// - a coordinator's peak and idle memory, first and later start, embedded and PostgreSQL (footprint-bench.ts)
// Flags: --json (one JSON document on stdout), --bench-dir DIR (or CEREMONY_BENCH_DIR: mulchain-65533.r1cs and
// pot16.ptau), --cache-dir DIR (built inputs and zkeys kept between runs; default <tmp>/ceremony-bench-cache),
// --only steps|transfer|keys|footprint (that section alone), --r1cs-verify-max-power N (skip the slow `zkey verify` from
// r1cs + ptau above 2^N; default 16), --transfer-bytes N (default 1 GiB).
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDemo } from '../cli/commands/demo.js';
import { generateKeyPair } from '../crypto/ed25519.js';
import { toHex } from '../crypto/hex.js';
import { contribute, createInitialZkey, verifyFromInit, verifyFromR1cs } from '../snark/runner.js';
import type { JsonValue } from '../transcript/canonical-json.js';
import { type EntryType, encodeEntry, GENESIS_PREV } from '../transcript/entry.js';
import { MemoryTree } from '../transcript/merkle.js';
import { encodeVerifierKey, formatCheckpoint, signNote } from '../transcript/note.js';
import { auditCeremony, openSource } from '../verify/audit.js';
import { cachedMulchainR1cs, cachedPreparedPtau, defaultCacheDir, type PtauBuild } from './bench-inputs.js';
import { benchFootprint, formatFootprintTable } from './footprint-bench.js';
import { benchKeys, formatKeysTable } from './keys-bench.js';
import { type BenchCircuit, benchSteps, formatStepTable } from './step-bench.js';
import { benchTransfer, formatTransferTable } from './transfer-bench.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixtures = join(root, 'test', 'fixtures');
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

interface BenchArgs {
  json: boolean;
  benchDir: string | undefined;
  cacheDir: string;
  only: 'steps' | 'transfer' | 'keys' | 'footprint' | undefined;
  r1csVerifyMaxPower: number;
  transferBytes: number;
}

function positiveInteger(flag: string, raw: string | undefined): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new Error(`bench: ${flag} needs a positive integer, got '${raw}'`);
  return n;
}

function parseBenchArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = {
    json: false,
    benchDir: process.env.CEREMONY_BENCH_DIR,
    cacheDir: defaultCacheDir,
    only: undefined,
    r1csVerifyMaxPower: 16,
    transferBytes: 1024 ** 3,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--json') args.json = true;
    else if (flag === '--bench-dir') args.benchDir = argv[++i];
    else if (flag === '--cache-dir') args.cacheDir = argv[++i] ?? '';
    else if (flag === '--only') {
      const only = argv[++i];
      if (only !== 'steps' && only !== 'transfer' && only !== 'keys' && only !== 'footprint')
        throw new Error(`bench: --only takes steps, transfer, keys or footprint, got '${only}'`);
      args.only = only;
    } else if (flag === '--r1cs-verify-max-power') args.r1csVerifyMaxPower = positiveInteger(flag, argv[++i]);
    else if (flag === '--transfer-bytes') args.transferBytes = positiveInteger(flag, argv[++i]);
    else throw new Error(`bench: unknown flag ${flag}`);
  }
  if (args.cacheDir === '') throw new Error('bench: --cache-dir needs a folder');
  return args;
}

async function stepCircuits(
  benchDir: string | undefined,
  cacheDir: string,
  progress: (message: string) => void,
): Promise<{ circuits: BenchCircuit[]; ptau14: PtauBuild; skipped: string | undefined }> {
  const r1cs14 = await cachedMulchainR1cs(cacheDir, 16_381);
  const ptau14 = await cachedPreparedPtau(cacheDir, 14, progress);
  // zkeys cached from an earlier ptau would no longer match this one.
  if (ptau14.builtSeconds !== null) {
    for (const i of [0, 1, 2]) await rm(join(cacheDir, `mulchain-16381.${i}.zkey`), { force: true });
  }
  const circuits: BenchCircuit[] = [
    {
      label: '1,021 constraints (2^10)',
      power: 10,
      r1cs: join(fixtures, 'mulchain-1021.r1cs'),
      ptau: join(fixtures, 'pot10.ptau'),
    },
    {
      label: '4,093 constraints (2^12)',
      power: 12,
      r1cs: join(fixtures, 'mulchain-4093.r1cs'),
      ptau: join(fixtures, 'pot12.ptau'),
    },
    {
      label: '16,381 constraints (2^14)',
      power: 14,
      r1cs: r1cs14,
      ptau: ptau14.path,
    },
  ];
  const big = benchDir
    ? { r1cs: join(benchDir, 'mulchain-65533.r1cs'), ptau: join(benchDir, 'pot16.ptau') }
    : undefined;
  const present =
    big &&
    (await stat(big.r1cs)
      .then(() => stat(big.ptau))
      .then(
        () => true,
        () => false,
      ));
  let skipped: string | undefined;
  if (big && present) circuits.push({ label: '65,533 constraints (2^16)', power: 16, ...big });
  else {
    skipped = benchDir
      ? `2^16 skipped: ${benchDir} lacks mulchain-65533.r1cs or pot16.ptau`
      : '2^16 skipped: give --bench-dir DIR (or CEREMONY_BENCH_DIR) holding mulchain-65533.r1cs and pot16.ptau';
    progress(`bench: ${skipped}`);
  }
  return { circuits, ptau14, skipped };
}

async function benchVerification(work: string, runs: number): Promise<string[]> {
  const lines = [
    '| circuit | zkey | verifyFromInit (ours, per contribution) | snarkjs zkey verify (r1cs + ptau) | ratio |',
    '|---|---|---|---|---|',
  ];
  for (const [r1cs, ptau, label] of [
    ['mulchain-1021.r1cs', 'pot10.ptau', '1,021 constraints (2^10)'],
    ['mulchain-4093.r1cs', 'pot12.ptau', '4,093 constraints (2^12)'],
  ] as const) {
    const init = join(work, `${r1cs}.init.zkey`);
    const next = join(work, `${r1cs}.1.zkey`);
    await createInitialZkey(join(fixtures, r1cs), join(fixtures, ptau), init);
    await contribute(init, next, 'bench', 'bench entropy');
    const fromInit: { ms: number; rss: number }[] = [];
    const fromR1cs: { ms: number; rss: number }[] = [];
    for (let i = 0; i < runs; i++) {
      const a = await verifyFromInit(init, join(fixtures, ptau), next);
      const b = await verifyFromR1cs(join(fixtures, r1cs), join(fixtures, ptau), next);
      if (!a.ok || !b.ok) throw new Error(`bench: ${r1cs} did not verify`);
      fromInit.push({ ms: a.durationMs, rss: a.maxRssBytes });
      fromR1cs.push({ ms: b.durationMs, rss: b.maxRssBytes });
    }
    const ours = median(fromInit.map((x) => x.ms));
    const theirs = median(fromR1cs.map((x) => x.ms));
    lines.push(
      `| ${label} | ${mb((await stat(next)).size)} | ${seconds(ours)}, ${mb(Math.max(...fromInit.map((x) => x.rss)))} | ${seconds(theirs)}, ${mb(Math.max(...fromR1cs.map((x) => x.rss)))} | ${(theirs / ours).toFixed(1)}× |`,
    );
  }
  return lines;
}

/** A synthetic, correctly chained and signed log of `n` entries, published as `verify --dir` reads it. */
async function writeSyntheticLog(dir: string, n: number): Promise<void> {
  const key = generateKeyPair();
  const tree = new MemoryTree();
  const lines: string[] = [];
  let prev = GENESIS_PREV;
  for (let seq = 0; seq < n; seq++) {
    const type: EntryType = seq === 0 ? 'ceremony.created' : 'turn.expired';
    const body: { [key: string]: JsonValue } =
      seq === 0
        ? {
            title: 'bench',
            timeoutSeconds: 600,
            coordinator: toHex(key.publicKey),
            registration: 'open',
            startsAt: null,
            endsAt: null,
          }
        : { circuit: 'main', participantId: `p${seq}`, reason: 'deadline' };
    const encoded = encodeEntry({
      v: 1,
      ceremony: 'bench',
      seq,
      type,
      time: new Date(1_700_000_000_000 + seq * 1000).toISOString(),
      prev,
      body,
    });
    lines.push(encoded.line);
    tree.append(encoded.leafHash);
    prev = toHex(encoded.leafHash);
  }
  const note = signNote(
    formatCheckpoint({ origin: 'bench.local/ceremonies/bench', size: n, rootHash: tree.root() }),
    'bench.local',
    key,
  );
  await writeFile(join(dir, 'transcript.jsonl'), lines.map((l) => `${l}\n`).join(''));
  await writeFile(join(dir, 'checkpoint'), note);
  await writeFile(join(dir, 'log-key.pub'), `${encodeVerifierKey('bench.local', key.publicKey)}\n`);
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const work = await mkdtemp(join(tmpdir(), 'ceremony-bench-'));
  const out: string[] = [
    `# Benchmarks (${new Date().toISOString().slice(0, 10)}, ${process.version}, ${cpus().length} cores)`,
    '',
  ];
  const document: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    cores: cpus().length,
    loadAverageAtStart: loadavg(),
  };
  const progress = (message: string) => process.stderr.write(`${message}\n`);
  const emit = () => {
    document.markdown = out.join('\n');
    process.stdout.write(args.json ? `${JSON.stringify(document, null, 2)}\n` : `${out.join('\n')}\n`);
  };
  try {
    if (args.only === undefined || args.only === 'steps') {
      const { circuits, ptau14, skipped } = await stepCircuits(args.benchDir, args.cacheDir, progress);
      document.ptau14BuiltSeconds = ptau14.builtSeconds;
      document.skipped = skipped === undefined ? [] : [skipped];
      const steps = await benchSteps(
        circuits,
        {
          runs: 3,
          mbPerSecond: 100,
          cacheDir: args.cacheDir,
          withR1csVerify: (power) => power <= args.r1csVerifyMaxPower,
        },
        progress,
      );
      document.stepVerification = steps;
      document.loadAverageAfterSteps = loadavg();
      out.push(
        '## Verifying one contribution: incremental step check against snarkjs (same files, child processes)',
        '',
        ...formatStepTable(steps),
        ...(skipped === undefined ? [] : ['', skipped]),
        '',
      );
    }
    if (args.only === undefined || args.only === 'transfer') {
      document.loadAverageBeforeTransfer = loadavg();
      const transfer = await benchTransfer(
        { bytes: args.transferBytes, cacheDir: args.cacheDir, work },
        progress,
      );
      document.transfer = transfer;
      document.loadAverageAfterTransfer = loadavg();
      out.push(
        `## ${(transfer.bytes / 1024 ** 3).toFixed(2)} GiB up and down through the server, against sha256sum`,
        '',
        ...formatTransferTable(transfer),
        '',
      );
    }
    if (args.only === undefined || args.only === 'keys') {
      document.loadAverageBeforeKeys = loadavg();
      const keys = await benchKeys({ appendsPerRound: 500, rounds: 3 }, progress);
      document.keys = keys;
      out.push(
        '## Keys in a token: a key file against a key in SoftHSM2',
        '',
        ...(typeof keys === 'string' ? [`Skipped: ${keys}.`] : formatKeysTable(keys)),
        '',
      );
    }
    if (args.only === undefined || args.only === 'footprint') {
      const footprint = await benchFootprint({ work, idleSeconds: 10 }, progress);
      document.footprint = footprint;
      out.push(
        "## A coordinator's memory: peak and idle RSS of `ceremony serve`",
        '',
        ...(typeof footprint === 'string' ? [`Skipped: ${footprint}.`] : formatFootprintTable(footprint)),
        '',
      );
    }
    if (args.only !== undefined) {
      emit();
      return;
    }

    progress('verification: verifyFromInit against snarkjs zkey verify…');
    out.push(
      '## Verifying one contribution (median of 3, peak RSS of the child process)',
      '',
      ...(await benchVerification(work, 3)),
      '',
    );

    progress('ceremony demo (3 participants) and verify --full on it…');
    let fullMs = 0;
    let fullOk = false;
    const demoStarted = Date.now();
    const code = await runDemo({
      participants: 3,
      json: true,
      quiet: true,
      dir: join(work, 'demo'),
      onFinished: async (url) => {
        const started = Date.now();
        const source = openSource({ server: url, ceremony: 'demo' });
        const report = await auditCeremony(source, { full: true }).finally(() => source.close());
        fullMs = Date.now() - started;
        fullOk = report.ok;
      },
    });
    const demoMs = Date.now() - demoStarted - fullMs;
    out.push('## Whole ceremonies', '', '| what | time |', '|---|---|');
    out.push(
      `| \`ceremony demo\` (3 participants, beacon, finalize, audit) | ${seconds(demoMs)} (exit ${code}) |`,
    );
    out.push(
      `| \`ceremony verify --full\` on the demo ceremony | ${seconds(fullMs)} (${fullOk ? 'all checks pass' : 'FAILED'}) |`,
    );

    progress('verify on a 10,000-entry transcript…');
    const logDir = join(work, 'log');
    await mkdir(logDir);
    await writeSyntheticLog(logDir, 10_000);
    const started = Date.now();
    const source = openSource({ dir: logDir });
    const report = await auditCeremony(source).finally(() => source.close());
    const logMs = Date.now() - started;
    const logChecks = report.checks.filter(
      (c) => c.name.startsWith('entries.') || c.name.startsWith('checkpoint.'),
    );
    out.push(
      `| \`ceremony verify --dir\` on a 10,000-entry transcript (no zkeys) | ${seconds(logMs)} (${logChecks.map((c) => `${c.name} ${c.status}`).join(', ')}) |`,
    );
    emit();
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
