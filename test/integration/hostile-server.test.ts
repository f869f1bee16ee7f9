// A server that lies: it names a circuit `../../x`. The CLI must stop with a clear error and write nothing outside
// its working folder.

import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runContribute } from '../../src/cli/commands/contribute.js';
import { createMemoryOutput } from '../../src/cli/output.js';
import { generateKeyPair, writeKeyFile } from '../../src/crypto/ed25519.js';

const hostileName = '../../x';

function answer(path: string, method: string): unknown {
  if (path === '/v1/auth/challenge')
    return { nonce: 'ab'.repeat(16), origin: '127.0.0.1', expiresAt: new Date(Date.now() + 60_000) };
  if (path === '/v1/auth/login')
    return { token: 'tok', expiresAt: new Date(Date.now() + 60_000), coordinator: false };
  if (path === '/v1/ceremonies/evil') return { id: 'evil', openRegistration: false };
  if (
    path === '/v1/ceremonies/evil/queue' ||
    path === '/v1/ceremonies/evil/heartbeat' ||
    method === 'DELETE'
  ) {
    return {
      participantId: 'p1',
      name: 'alice',
      publicKey: '00'.repeat(32),
      inQueue: true,
      heartbeatIntervalSeconds: 5,
      circuits: [
        {
          circuit: hostileName,
          state: 'active',
          position: 0,
          deadline: null,
          latestIndex: 0,
          latestZkeySha256: '00'.repeat(32),
          contributionId: null,
          lastRejection: null,
        },
      ],
    };
  }
  return undefined;
}

describe('a hostile server naming a circuit ../../x', () => {
  let server: Server;
  let url: string;
  let work: string;
  const requests: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      req.resume();
      const body = answer(req.url ?? '', req.method ?? '');
      res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body ?? { error: { code: 'NOT_FOUND', message: 'no' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    work = await mkdtemp(join(tmpdir(), 'hostile-server-'));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(work, { recursive: true, force: true });
  });

  it('stops with a clear error before any file is written or downloaded', async () => {
    const keyFile = join(work, 'me.key');
    await writeKeyFile(keyFile, generateKeyPair());
    const failure = await runContribute({
      server: url,
      keyFile,
      ceremony: 'evil',
      receiptDir: join(work, 'receipts'),
      output: createMemoryOutput(),
      pollIntervalMs: 50,
    }).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(failure?.message).toMatch(/named a circuit "\.\.\/\.\.\/x", which is not a safe file name/);
    // Nothing was fetched for that circuit, and nothing landed where `<tmp>/ceremony-…/../../x-0.zkey` points.
    expect(requests.some((r) => r.includes('zkeys'))).toBe(false);
    expect(
      await stat(join(tmpdir(), 'ceremony-a', hostileName + '-0.zkey')).catch(() => undefined),
    ).toBeUndefined();
    expect(await readdir(work)).toEqual(['me.key']);
  });
});
