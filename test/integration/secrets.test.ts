// A whole ceremony through the built `ceremony` command (serve, keygen, contribute --entropy, finalize), then every
// trace it left (server logs, CLI output, error bodies, database rows, published files and receipts) is searched for
// the participants' private keys, their key files, auth tokens and the entropy text. None may appear.
// Needs `npm run build` first (npm test does it).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as admin from '../../src/cli/commands/admin.js';
import { createMemoryOutput } from '../../src/cli/output.js';
import { generateKeyPair, readKeyFile, sign, writeKeyFile } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { openDatabase } from '../../src/db/database.js';
import { call, loginAs } from '../helpers/api.js';
import { mulchain } from '../helpers/ceremony.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const cli = fileURLToPath(new URL('../../bin/ceremony.js', import.meta.url));

interface Captured {
  stdout: string;
  stderr: string;
}

/** Runs the built CLI to completion, capturing everything it prints. */
function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<Captured & { code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env } });
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (chunk: Buffer) => {
      out.stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out.stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ ...out, code }));
  });
}

/** Every file under `dir`, as latin1 text (so any ASCII secret in a binary file shows too). */
async function readTree(dir: string): Promise<string[]> {
  const texts: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) texts.push(await readFile(join(entry.parentPath, entry.name), 'latin1'));
  }
  return texts;
}

/** Every row of every table, with byte columns shown as hex and base64. */
async function dumpTables(url: string | undefined, dataDir: string): Promise<string[]> {
  const db = await openDatabase({ url, dataDir: join(dataDir, 'pgdata') });
  try {
    const tables = await db.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`,
    );
    const dumps: string[] = [];
    for (const { tablename } of tables) {
      const rows = await db.query(`SELECT * FROM "${tablename}"`);
      dumps.push(
        JSON.stringify(rows, (_key, value: unknown) =>
          value instanceof Uint8Array
            ? `${Buffer.from(value).toString('hex')} ${Buffer.from(value).toString('base64')}`
            : value,
        ),
      );
    }
    expect(tables.map((t) => t.tablename)).toEqual(expect.arrayContaining(['contributions', 'auth_tokens']));
    return dumps;
  } finally {
    await db.close();
  }
}

describe('secrets of a whole ceremony run through the ceremony command', () => {
  let server: ChildProcess | undefined;
  let workDir: string;
  let database: TestDatabase;

  afterAll(async () => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    await database?.drop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('never shows a private key, a key file, a token or the entropy in any log, answer, row or file', async () => {
    workDir = await mkdtemp(join(tmpdir(), 'ceremony-secrets-'));
    database = await createTestDatabase();
    const dataDir = join(workDir, 'data');
    const transcriptsDir = join(workDir, 'published');
    const coordinator = generateKeyPair();
    const coordinatorKeyFile = join(workDir, 'coordinator.key');
    await writeKeyFile(coordinatorKeyFile, coordinator);

    const serverOutput: Captured = { stdout: '', stderr: '' };
    server = spawn(
      process.execPath,
      [
        cli,
        'serve',
        '--port',
        '0',
        '--data-dir',
        dataDir,
        '--transcripts-dir',
        transcriptsDir,
        '--coordinator',
        toHex(coordinator.publicKey),
        '--origin',
        'secrets.ceremony.local',
        '--log-level',
        'trace',
        ...(database.url ? ['--database-url', database.url] : []),
      ],
      {
        env: {
          ...process.env,
          SCHEDULER_INTERVAL_MS: '200',
          HEARTBEAT_INTERVAL_SECONDS: '1',
          RATE_LIMIT: 'off',
        },
      },
    );
    server.stdout?.on('data', (chunk: Buffer) => {
      serverOutput.stdout += chunk.toString('utf8');
    });
    server.stderr?.on('data', (chunk: Buffer) => {
      serverOutput.stderr += chunk.toString('utf8');
    });
    const url = await new Promise<string>((resolve, reject) => {
      const look = () => {
        const found = /listening on (http:\/\/\S+)/.exec(serverOutput.stdout);
        if (found?.[1]) resolve(found[1]);
      };
      server?.stdout?.on('data', look);
      server?.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${serverOutput.stderr}`)));
    });

    // Participants make their keys with the command, as the README tells them.
    const names = ['alice', 'bob'];
    const keygens = await Promise.all(
      names.map((name) => runCli(['keygen', '--out', join(workDir, `${name}.key`)])),
    );
    const keyFiles = names.map((name) => join(workDir, `${name}.key`));
    const keys = await Promise.all(keyFiles.map(readKeyFile));
    const keyFileTexts = await Promise.all(keyFiles.map((f) => readFile(f, 'utf8')));

    const adminOptions: admin.AdminOptions = {
      server: url,
      keyFile: coordinatorKeyFile,
      ceremony: 'secrets',
      output: createMemoryOutput(),
      pollIntervalMs: 100,
    };
    await admin.createCeremony({ ...adminOptions, title: 'Secrets', timeoutSeconds: 300 });
    await admin.addCircuit({ ...adminOptions, ...mulchain });
    for (const [i, name] of names.entries())
      await admin.addParticipant({ ...adminOptions, name, publicKey: toHex(keys[i]!.publicKey) });
    await admin.openCeremony(adminOptions);

    const entropies = names.map((name) => `entropy of ${name} ${randomBytes(16).toString('hex')}`);
    const contributions = await Promise.all(
      names.map((name, i) =>
        runCli([
          'contribute',
          '--server',
          url,
          '--key',
          keyFiles[i]!,
          '--ceremony',
          'secrets',
          '--entropy',
          entropies[i]!,
          '--statement',
          `${name} used a laptop, then wiped it`,
          '--receipt-dir',
          join(workDir, 'receipts'),
        ]),
      ),
    );
    for (const run of contributions) expect(run.code, run.stderr).toBe(0);

    // Tokens the test holds, used for requests the server refuses: their error bodies are searched too.
    const tokens = [
      await loginAs(url, coordinator),
      ...(await Promise.all(keys.map((k) => loginAs(url, k)))),
    ];
    const errorBodies: string[] = [];
    const refused = async (method: string, path: string, options: Parameters<typeof call>[3]) => {
      const answer = await call(url, method, path, options);
      expect(answer.status).toBeGreaterThanOrEqual(400);
      errorBodies.push(JSON.stringify(answer.body));
    };
    await refused('POST', '/v1/auth/login', {
      json: {
        publicKey: toHex(keys[0]!.publicKey),
        nonce: 'no-such-nonce',
        signature: toHex(sign(new Uint8Array(1), keys[0]!.secretKey)),
      },
    });
    await refused('POST', '/v1/auth/challenge', { json: { publicKey: 'zz' } });
    await refused('PUT', '/v1/ceremonies/secrets/circuits/mulchain/contribution', {
      token: tokens[1],
      body: 'not a zkey',
      headers: { 'content-type': 'application/octet-stream', 'x-ceremony-attestation': '00'.repeat(64) },
    });
    await refused('POST', '/v1/ceremonies/secrets/queue', { token: `${tokens[2]}x` });
    await refused('POST', '/v1/ceremonies/secrets/participants', {
      token: tokens[0],
      json: { name: 'mallory', publicKey: toHex(keys[0]!.publicKey) },
    });

    await admin.finalizeCeremony({
      ...adminOptions,
      beaconHex: 'ab'.repeat(32),
      beaconSource: 'test beacon',
      iterationsExp: 10,
    });
    const finalized = await call<{ state: string }>(url, 'GET', '/v1/ceremonies/secrets');
    expect(finalized.body.state).toBe('finalized');

    // Stop the server gracefully so the published files are flushed and the database can be opened here.
    const exited = new Promise((resolve) => server?.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;

    const secrets: [string, string][] = [
      ...keys.flatMap((k, i): [string, string][] => [
        [`${names[i]}'s secret key (hex)`, toHex(k.secretKey)],
        [`${names[i]}'s secret key (base64)`, Buffer.from(k.secretKey).toString('base64')],
        [`${names[i]}'s key file`, keyFileTexts[i]!.trim()],
      ]),
      ['the coordinator secret key (hex)', toHex(coordinator.secretKey)],
      ...tokens.map((t, i): [string, string] => [`token ${i}`, t]),
      ...entropies.map((e, i): [string, string] => [`${names[i]}'s entropy`, e]),
      ...entropies.map((e, i): [string, string] => [
        `${names[i]}'s entropy (hex)`,
        Buffer.from(e, 'utf8').toString('hex'),
      ]),
    ];
    const places: [string, string[]][] = [
      ['server stdout', [serverOutput.stdout]],
      ['server log (stderr)', [serverOutput.stderr]],
      ['keygen output', keygens.flatMap((r) => [r.stdout, r.stderr])],
      ['contribute output', contributions.flatMap((r) => [r.stdout, r.stderr])],
      ['error bodies', errorBodies],
      ['database rows', await dumpTables(database.url, dataDir)],
      ['published files', await readTree(transcriptsDir)],
      ['receipts', await readTree(join(workDir, 'receipts'))],
    ];
    // The capture is real: the server logged at trace level and the participants' contributions were accepted.
    expect(serverOutput.stderr.split('\n').length).toBeGreaterThan(20);
    expect(places.find(([name]) => name === 'published files')?.[1].join('')).toContain(
      'contribution.accepted',
    );

    const leaks: string[] = [];
    for (const [where, texts] of places) {
      for (const [what, secret] of secrets) {
        if (texts.some((t) => t.includes(secret))) leaks.push(`${what} in ${where}`);
      }
    }
    expect(leaks).toEqual([]);
  }, 600_000);
});
