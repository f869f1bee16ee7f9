// A big file up and down through a real coordinator, against `sha256sum` of the same file. The server is
// `ceremony serve` in a child process (embedded database, temp data dir, rate limits off); the client is the CLI's
// CoordinatorClient. Up: `PUT /v1/blobs`, the route `ceremony admin add-circuit` sends a ptau through. Down:
// `GET /v1/ceremonies/:id/circuits/:name/ptau`, the route auditors fetch it from. The file is pot10.ptau with one
// extra section of random bytes (snarkjs skips sections it does not know), so it is a ptau the server accepts for
// a circuit and can serve back.
import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoordinatorClient } from '../cli/client.js';
import { generateKeyPair } from '../crypto/ed25519.js';
import { toHex } from '../crypto/hex.js';
import { exists } from './bench-inputs.js';

/** Wall time, rate, CPU of the server child and of the client (this process), the server's largest VmRSS sample. */
export interface TransferMeasure {
  ms: number;
  mbPerSecond: number;
  serverCpuMs: number;
  clientCpuMs: number;
  /** Write system calls the server made (/proc/<pid>/io syscw): socket and file writes, independent of load. */
  serverWriteCalls: number;
  serverPeakRssBytes: number;
}

export interface TransferBenchRow {
  bytes: number;
  sha256sum: { ms: number; mbPerSecond: number; cpuMs: number };
  upload: TransferMeasure;
  download: TransferMeasure;
  serverRssBeforeBytes: number;
  /** The server's VmHWM (peak resident memory so far) after start-up and login, and at the end. */
  serverHighWaterBeforeBytes: number;
  serverHighWaterBytes: number;
  uploadVsSha256sum: number;
}

const root = fileURLToPath(new URL('../../', import.meta.url));
const PADDING_SECTION = 99;
const CHUNK = 1 << 20;

/** pot10.ptau grown to `bytes` by a trailing section of random bytes; cached, since it takes seconds to write. */
export async function cachedPaddedPtau(cacheDir: string, bytes: number): Promise<string> {
  const path = join(cacheDir, `transfer-${bytes}.ptau`);
  if (await exists(path)) return path;
  const base = await readFile(join(root, 'test', 'fixtures', 'pot10.ptau'));
  const padding = bytes - base.length - 12;
  if (padding < 0) throw new RangeError(`transfer bench: size must be at least ${base.length + 12} bytes`);
  const head = Buffer.from(base);
  head.writeUInt32LE(head.readUInt32LE(8) + 1, 8);
  const section = Buffer.alloc(12);
  section.writeUInt32LE(PADDING_SECTION, 0);
  section.writeBigUInt64LE(BigInt(padding), 4);
  const temp = `${path}.part`;
  await mkdir(cacheDir, { recursive: true });
  const file = await open(temp, 'w');
  try {
    await file.write(head);
    await file.write(section);
    const chunk = Buffer.alloc(CHUNK);
    for (let left = padding; left > 0; left -= CHUNK) {
      const n = Math.min(CHUNK, left);
      randomFillSync(chunk, 0, n);
      await file.write(chunk, 0, n);
    }
  } finally {
    await file.close();
  }
  await rename(temp, path);
  return path;
}

/** VmRSS and VmHWM of a process, in bytes, from /proc (Linux). */
async function memoryOf(pid: number): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** User + system CPU of a process so far (/proc/<pid>/stat, fields 14 and 15, in clock ticks of 10 ms). */
async function cpuMsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function writeCallsOf(pid: number): Promise<number> {
  const io = await readFile(`/proc/${pid}/io`, 'utf8');
  return Number(/^syscw:\s+(\d+)/m.exec(io)?.[1] ?? Number.NaN);
}

const ownCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Samples the server's VmRSS every 50 ms while `work` runs; wall time, CPU of both sides, the largest sample. */
async function sampled<T>(
  pid: number,
  work: () => Promise<T>,
): Promise<{
  value: T;
  ms: number;
  serverCpuMs: number;
  clientCpuMs: number;
  writeCalls: number;
  peak: number;
}> {
  let peak = (await memoryOf(pid)).rss;
  const serverCpu = await cpuMsOf(pid);
  const writeCalls = await writeCallsOf(pid);
  const clientCpu = ownCpuMs();
  const timer = setInterval(() => {
    memoryOf(pid).then(
      (m) => {
        peak = Math.max(peak, m.rss);
      },
      () => undefined,
    );
  }, 50);
  const started = performance.now();
  try {
    const value = await work();
    const ms = performance.now() - started;
    return {
      value,
      ms,
      serverCpuMs: (await cpuMsOf(pid)) - serverCpu,
      clientCpuMs: ownCpuMs() - clientCpu,
      writeCalls: (await writeCallsOf(pid)) - writeCalls,
      peak: Math.max(peak, (await memoryOf(pid)).rss),
    };
  } finally {
    clearInterval(timer);
  }
}

/** `sha256sum` of the file, its wall time and its CPU (bash's `times`: user and system of the finished child). */
function timeSha256sum(path: string): Promise<{ ms: number; cpuMs: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('bash', ['-c', 'sha256sum -- "$1" && times', 'bash', path], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`sha256sum exited with ${code}`));
      const ms = performance.now() - started;
      // `times` prints the shell's user/system, then its children's: "0m1.234s 0m0.056s".
      const children =
        out
          .trimEnd()
          .split('\n')
          .at(-1)
          ?.match(/(\d+)m([\d.]+)s/g) ?? [];
      const cpuMs = children
        .map((t) => /(\d+)m([\d.]+)s/.exec(t))
        .reduce((sum, m) => sum + (m ? (Number(m[1]) * 60 + Number(m[2])) * 1000 : 0), 0);
      resolve({ ms, cpuMs, sha256: out.slice(0, 64) });
    });
  });
}

interface ServerChild {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startServerChild(
  work: string,
  coordinatorKey: string,
  maxBlobBytes: number,
): Promise<ServerChild> {
  const { DATABASE_URL: _ignored, ...env } = process.env;
  const child = spawn(process.execPath, [join(root, 'bin', 'ceremony.js'), 'serve', '--json'], {
    env: {
      ...env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: join(work, 'data'),
      TRANSCRIPTS_DIR: join(work, 'transcripts'),
      COORDINATOR_PUBLIC_KEYS: coordinatorKey,
      CEREMONY_ORIGIN: 'bench.ceremony.local',
      RATE_LIMIT: 'off',
      MAX_BLOB_BYTES: String(Math.max(maxBlobBytes, 4 * 1024 ** 3)),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export async function benchTransfer(
  options: { bytes: number; cacheDir: string; work: string },
  progress: (message: string) => void,
): Promise<TransferBenchRow> {
  progress(`transfer: writing a ${options.bytes}-byte ptau into ${options.cacheDir} (once)…`);
  const file = await cachedPaddedPtau(options.cacheDir, options.bytes);
  const { size } = await stat(file);
  const rate = (ms: number) => size / 1e6 / (ms / 1000);
  const measureOf = (m: Awaited<ReturnType<typeof sampled>>): TransferMeasure => ({
    ms: m.ms,
    mbPerSecond: rate(m.ms),
    serverCpuMs: m.serverCpuMs,
    clientCpuMs: m.clientCpuMs,
    serverWriteCalls: m.writeCalls,
    serverPeakRssBytes: m.peak,
  });
  // Read once so sha256sum, the upload and the page cache start alike.
  const sum = (await timeSha256sum(file)) && (await timeSha256sum(file));
  progress(`transfer: sha256sum ${rate(sum.ms).toFixed(0)} MB/s`);

  const keys = generateKeyPair();
  const server = await startServerChild(options.work, toHex(keys.publicKey), size);
  const downloaded = join(options.work, 'downloaded.ptau');
  try {
    const client = new CoordinatorClient(server.url);
    await client.login(keys);
    const before = await memoryOf(server.pid);
    progress('transfer: upload (PUT /v1/blobs)…');
    const up = await sampled(server.pid, () =>
      client.uploadFile<{ sha256: string; size: number }>('/blobs', file),
    );
    if (up.value.sha256 !== sum.sha256 || up.value.size !== size)
      throw new Error(`transfer bench: the server stored ${up.value.sha256}, sha256sum says ${sum.sha256}`);

    const r1cs = await client.uploadFile<{ sha256: string }>(
      '/blobs',
      join(root, 'test', 'fixtures', 'mulchain-1021.r1cs'),
    );
    await client.postJson('/ceremonies', { id: 'bench', title: 'transfer bench', openRegistration: false });
    await client.postJson('/ceremonies/bench/circuits', {
      name: 'big',
      r1csSha256: r1cs.sha256,
      ptauSha256: up.value.sha256,
    });
    // The initial zkey is computed in the background; let it finish so the download runs alone.
    for (;;) {
      const view = await client.getJson<{ circuits: { name: string; status: string }[] }>(
        '/ceremonies/bench',
      );
      const status = view.circuits.find((c) => c.name === 'big')?.status;
      if (status === 'ready') break;
      if (status !== 'preparing') throw new Error(`transfer bench: circuit is ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    progress('transfer: download (GET …/circuits/big/ptau)…');
    const down = await sampled(server.pid, () =>
      client.downloadToFile(downloaded, '/ceremonies/bench/circuits/big/ptau', sum.sha256),
    );
    const after = await memoryOf(server.pid);
    return {
      bytes: size,
      sha256sum: { ms: sum.ms, mbPerSecond: rate(sum.ms), cpuMs: sum.cpuMs },
      upload: measureOf(up),
      download: measureOf(down),
      serverRssBeforeBytes: before.rss,
      serverHighWaterBeforeBytes: before.hwm,
      serverHighWaterBytes: after.hwm,
      uploadVsSha256sum: sum.ms / up.ms,
    };
  } finally {
    await server.stop();
    await rm(downloaded, { force: true });
  }
}

const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

export function formatTransferTable(row: TransferBenchRow): string[] {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const line = (what: string, m: TransferMeasure) =>
    `| ${what} | ${s(m.ms)} | ${m.mbPerSecond.toFixed(0)} | ${s(m.serverCpuMs)} / ${s(m.clientCpuMs)} | ${m.serverWriteCalls} | ${mb(m.serverPeakRssBytes)} |`;
  return [
    `| ${(row.bytes / 1024 ** 2).toFixed(0)} MiB | wall time | MB/s | CPU: server / client | server write calls | server RSS, largest sample |`,
    '|---|---|---|---|---|---|',
    `| \`sha256sum\` of the file | ${s(row.sha256sum.ms)} | ${row.sha256sum.mbPerSecond.toFixed(0)} | ${s(row.sha256sum.cpuMs)} | | – |`,
    line('upload, `PUT /v1/blobs`', row.upload),
    line('download, `GET …/circuits/:name/ptau`', row.download),
    `| server before the upload: RSS / high-water mark (VmHWM); VmHWM at the end | | | | | ${mb(row.serverRssBeforeBytes)} / ${mb(row.serverHighWaterBeforeBytes)}; ${mb(row.serverHighWaterBytes)} |`,
    '',
    `Upload: ${row.uploadVsSha256sum.toFixed(2)}× the rate of sha256sum (target ≥ 0.9×).`,
  ];
}
