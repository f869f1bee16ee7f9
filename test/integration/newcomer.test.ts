// What the README asks of a participant who never cloned this repository: fetch ceremony.mjs from the coordinator,
// check its SHA-256 against GET /v1/info, then keygen, contribute and verify with plain `node` in an empty directory.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as admin from '../../src/cli/commands/admin.js';
import { readKeyFile } from '../../src/crypto/ed25519.js';
import { call, loginAs } from '../helpers/api.js';
import { setupCeremony, type TestCeremony } from '../helpers/ceremony.js';
import { FINISHED_BEACON } from '../helpers/finished-ceremony.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const LONG = 600_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `node ceremony.mjs ARGS` in `cwd`, with nothing of this repository in reach (no NODE_PATH, HOME in cwd). */
function runCli(cwd: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['ceremony.mjs', ...args],
      { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd }, timeout: LONG },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function buildCli(): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['scripts/build-cli.mjs'], { cwd: root }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    ),
  );
}

describe('a newcomer with only Node and the single-file CLI', () => {
  let server: TestServer;
  let ceremony: TestCeremony;
  let home: string;

  beforeAll(async () => {
    await buildCli();
    home = await mkdtemp(join(tmpdir(), 'ceremony-newcomer-'));
    server = await startTestServer({ env: { REJOIN_COOLDOWN_SECONDS: '15' } });
    ceremony = await setupCeremony(server, {
      id: 'newcomer',
      circuits: [{ name: 'main', r1cs: fixture('mulchain-1021.r1cs'), ptau: fixture('pot10.ptau') }],
      participants: 0,
      openRegistration: true,
    });
  }, LONG);
  afterAll(async () => {
    await server?.destroy();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('downloads ceremony.mjs from the coordinator and finds the SHA-256 GET /v1/info names', async () => {
    const info = (await (await fetch(`${server.url}/v1/info`)).json()) as {
      cli: { path: string; sha256: string } | null;
      origin: string;
    };
    expect(info.cli?.path).toBe('/cli/ceremony.mjs');
    expect(info.origin).toBe('test.ceremony.local');
    const answer = await fetch(`${server.url}${info.cli?.path}`);
    expect(answer.status).toBe(200);
    const body = Buffer.from(await answer.arrayBuffer());
    expect(createHash('sha256').update(body).digest('hex')).toBe(info.cli?.sha256);
    expect(body.equals(await readFile(join(root, 'dist/ceremony.mjs')))).toBe(true);
    await writeFile(join(home, 'ceremony.mjs'), body);
  });

  it(
    'makes a key, contributes under its own name, and verifies the finished ceremony with its receipt',
    async () => {
      expect(await readdir(home)).toEqual(['ceremony.mjs']);
      const keygen = await runCli(home, ['keygen', '--out', 'me.key']);
      expect(keygen.stderr).toContain('me.key (mode 0600)');
      expect(keygen.code).toBe(0);

      // As after Ctrl-C while waiting in line: registered, joined, left; contribute run again meets the cool-down.
      const token = await loginAs(server.url, await readKeyFile(join(home, 'me.key')), {
        ceremony: ceremony.id,
        name: 'New Comer',
      });
      const queue = `/v1/ceremonies/${ceremony.id}/queue`;
      expect((await call(server.url, 'POST', queue, { token })).status).toBe(200);
      expect((await call(server.url, 'DELETE', queue, { token })).status).toBe(200);

      const contribute = await runCli(home, [
        'contribute',
        ...['--server', server.url, '--key', 'me.key', '--ceremony', ceremony.id, '--name', 'New Comer'],
      ]);
      expect(contribute.stderr).not.toMatch(/Error:|fetch failed/);
      expect(contribute.code).toBe(0);
      expect(contribute.stderr).toMatch(/the coordinator asks to wait \d+ s \(.*rejoin cool-down/);
      // Outside a terminal, progress comes as plain lines: each transfer's start and end.
      expect(contribute.stderr).toMatch(/^download main #0: 10% /m);
      expect(contribute.stderr).toMatch(/^upload main #1: .* in \d+:\d\d$/m);
      expect(contribute.stderr).not.toContain('\r');
      const receipts = await readdir(join(home, 'receipts'));
      expect(receipts).toEqual([`${ceremony.id}-main-1.json`]);

      await admin.finalizeCeremony({ ...ceremony.adminOptions, ...FINISHED_BEACON });
      await server.built.publisher.flush();

      const online = await runCli(home, [
        'verify',
        ...[
          '--server',
          server.url,
          '--ceremony',
          ceremony.id,
          '--receipt',
          join('receipts', receipts[0] ?? ''),
        ],
      ]);
      expect(online.stdout).toMatch(/^PASS {2}receipt/m);
      expect(online.stdout).toContain('New Comer');
      expect(online.stdout).toMatch(/^VERIFIED: /m);
      expect(online.code).toBe(0);

      // The published folder as serve writes it, audited offline by the same single file (snarkjs inside it).
      const offline = await runCli(home, [
        'verify',
        '--dir',
        join(server.config.transcriptsDir, ceremony.id),
      ]);
      expect(offline.stdout).toMatch(/^PASS {2}final\.zkey/m);
      expect(offline.stdout).toMatch(/^PASS {2}outputs\.verifier/m);
      expect(offline.code).toBe(0);
    },
    LONG,
  );

  it('says that the coordinator commands are not in the single file, and exits 2', async () => {
    const serve = await runCli(home, ['serve']);
    expect(serve.stderr).toContain(
      "'serve' runs a coordinator and is not part of the single-file ceremony.mjs",
    );
    expect(serve.code).toBe(2);
  });
});

function fixture(name: string): string {
  return join(root, 'test/fixtures', name);
}
