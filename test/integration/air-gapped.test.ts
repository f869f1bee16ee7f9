import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { createMemoryOutput } from '../../src/cli/output.js';
import { decodeEntryLine } from '../../src/transcript/entry.js';
import { call } from '../helpers/api.js';
import { mulchain, setupCeremony, type TestCeremony } from '../helpers/ceremony.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const snarkjsCli = join(createRequire(import.meta.url).resolve('snarkjs'), '../../build/cli.cjs');

describe('contributing on an air-gapped machine', () => {
  let server: TestServer;
  let ceremony: TestCeremony;
  beforeAll(async () => {
    server = await startTestServer();
    ceremony = await setupCeremony(server, { id: 'airgap', circuits: [mulchain], participants: 1 });
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('accepts a zkey made by the plain snarkjs CLI and uploaded with `ceremony upload`', async () => {
    const [alice] = ceremony.participants;
    if (!alice) throw new Error('no participant');
    const current = join(ceremony.workDir, 'current.zkey');
    const mine = join(ceremony.workDir, 'mine.zkey');
    const download = createMemoryOutput(true);
    const downloaded = await main(
      [
        'download',
        '--server',
        server.url,
        '--ceremony',
        'airgap',
        '--circuit',
        'mulchain',
        '--out',
        current,
        '--json',
      ],
      download,
    );
    expect(downloaded, download.stderr()).toBe(0);
    expect(JSON.parse(download.stdout())).toMatchObject({ index: 0 });

    // What an operator runs offline, with nothing of ours installed there.
    await run(process.execPath, [
      snarkjsCli,
      'zkey',
      'contribute',
      current,
      mine,
      '--name=alice offline',
      '-e=some offline entropy',
    ]);

    const upload = createMemoryOutput(true);
    const receiptDir = join(ceremony.workDir, 'receipts');
    const code = await main(
      [
        'upload',
        '--server',
        server.url,
        '--key',
        alice.keyFile,
        '--ceremony',
        'airgap',
        '--circuit',
        'mulchain',
        '--zkey',
        mine,
        '--statement',
        'entropy from dice; machine wiped',
        '--receipt-dir',
        receiptDir,
        '--json',
      ],
      upload,
    );
    expect(code, upload.stderr()).toBe(0);
    const result = JSON.parse(upload.stdout()) as { contributions: { index: number; receipt: string }[] };
    expect(result.contributions.map((c) => c.index)).toEqual([1]);

    const receipt = JSON.parse(await readFile(result.contributions[0]?.receipt ?? '', 'utf8')) as {
      entry: string;
    };
    const entry = decodeEntryLine(receipt.entry).entry;
    expect(entry.type).toBe('contribution.accepted');
    expect(entry.body.statement).toBe('entropy from dice; machine wiped');
    const view = await call<{ circuits: { contributionIndex: number }[] }>(
      server.url,
      'GET',
      '/v1/ceremonies/airgap',
    );
    expect(view.body.circuits[0]?.contributionIndex).toBe(1);
  });
});
