// A witness killed (SIGKILL) while it cosigns a stream of checkpoints, then started again on the same data dir: it
// holds at least the newest checkpoint it answered 200 for, never less, and goes on from there. The stale lock of the
// killed process does not keep it from starting.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { keyPairFromSecret, writeKeyFile } from '../../src/crypto/ed25519.js';
import { leafHash, MemoryTree } from '../../src/transcript/merkle.js';
import { encodeVerifierKey, formatCheckpoint, signNote } from '../../src/transcript/note.js';
import { formatAddCheckpointRequest } from '../../src/witness/request.js';

const cli = fileURLToPath(new URL('../helpers/cli-child.ts', import.meta.url));
const logKey = keyPairFromSecret(new Uint8Array(32).fill(11));
const ORIGIN = 'crash.test/ceremonies/c';
const tree = new MemoryTree();
for (let i = 0; i < 400; i++) tree.append(leafHash(Uint8Array.of(i & 255, i >> 8)));
const request = (old: number, size: number) =>
  formatAddCheckpointRequest(
    old,
    old === 0 ? [] : tree.consistencyProof(old, size),
    signNote(formatCheckpoint({ origin: ORIGIN, size, rootHash: tree.root(size) }), 'crash.test', logKey),
  );

let dir: string;
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function startChild(keyFile: string): Promise<{ child: ChildProcess; url: string }> {
  const args = ['--import', 'tsx', cli, 'witness', 'serve', '--json', '--name', 'crash-w', '--key', keyFile];
  args.push(
    '--log',
    encodeVerifierKey('crash.test', logKey.publicKey),
    '--data-dir',
    join(dir, 'data'),
    '--port',
    '0',
  );
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line !== undefined) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`witness exited with ${code}`)));
  });
  return { child, url };
}

describe('witness crash', () => {
  it('after a SIGKILL mid-stream it holds at least the last size it cosigned, and continues from it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'witness-crash-'));
    const keyFile = join(dir, 'witness.key');
    await writeKeyFile(keyFile, keyPairFromSecret(new Uint8Array(32).fill(12)));
    const first = await startChild(keyFile);
    let cosigned = 0;
    let sent = 0;
    const stream = (async () => {
      for (let size = 1; size <= 400; size++) {
        sent = size;
        const response = await fetch(`${first.url}/add-checkpoint`, {
          method: 'POST',
          body: request(size - 1, size),
        });
        if (response.status !== 200) return;
        cosigned = size;
      }
    })().catch(() => undefined);
    while (cosigned < 20) await new Promise((r) => setTimeout(r, 10));
    first.child.kill('SIGKILL');
    await stream;

    const second = await startChild(keyFile);
    const answer = await fetch(`${second.url}/add-checkpoint`, { method: 'POST', body: request(0, 1) });
    expect(answer.status).toBe(409);
    const held = Number((await answer.text()).trim());
    // Never less than an answered cosignature; at most the one in flight when it died.
    expect(held).toBeGreaterThanOrEqual(cosigned);
    expect(held).toBeLessThanOrEqual(sent);
    const next = await fetch(`${second.url}/add-checkpoint`, {
      method: 'POST',
      body: request(held, held + 1),
    });
    expect(next.status).toBe(200);
    second.child.kill('SIGTERM');
  }, 120_000);
});
