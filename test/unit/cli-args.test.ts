import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { encodeKeyFile, parseKeyFile, readKeyFile } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';

let dir: string;
let stdout: MockInstance;
let stderr: MockInstance;

const written = (spy: MockInstance) => spy.mock.calls.map(([chunk]) => String(chunk)).join('');

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-args-'));
  stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

/** A localhost port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('ceremony argument errors', () => {
  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['keygen'], /keygen: give --out FILE \(a key file\) or --pkcs11 URI/],
    [['keygen', '--out'], /keygen: .*argument missing/],
    [['keygen', '--out', 'x', '--verbose'], /keygen: Unknown option '--verbose'/],
    [['keygen', '--out', 'x', 'extra'], /keygen: Unexpected argument 'extra'/],
    [['admin'], /admin: missing subcommand/],
    [['admin', 'destroy', '--server', 'x'], /unknown command 'admin destroy'/],
    [['admin', 'create', '--server', 'http://x', '--key', 'k', '--ceremony', 'c'], /missing --title/],
    [
      [
        'download',
        '--server',
        'http://x',
        '--ceremony',
        'c',
        '--circuit',
        'm',
        '--out',
        'f',
        '--index',
        'one',
      ],
      /--index must be an integer/,
    ],
    [['verify', '--full'], /verify: give --server URL --ceremony ID, or --dir PATH/],
  ])('%j exits 2 with a one-line reason on stderr', async (argv, reason) => {
    expect(await main(argv)).toBe(2);
    const err = written(stderr);
    expect(err).toMatch(reason);
    expect(err.startsWith('ceremony: ')).toBe(true);
    expect(err.trimEnd().split('\n')).toHaveLength(1);
    expect(written(stdout)).toBe('');
  });

  it('refuses a statement longer than 1,000 characters before contacting any server', async () => {
    const argv = ['contribute', '--server', 'http://127.0.0.1:1', '--key', 'k', '--ceremony', 'c'];
    expect(await main([...argv, '--statement', 'x'.repeat(1001)])).toBe(2);
    expect(written(stderr)).toMatch(/--statement is 1001 characters/);
  });

  it('prints usage for --help and exits 0', async () => {
    expect(await main(['--help'])).toBe(0);
    expect(written(stdout)).toContain('ceremony admin add-circuit --server URL');
    stdout.mockClear();
    expect(await main(['upload', '--help'])).toBe(0);
    expect(written(stdout)).toMatch(/^usage: ceremony upload --server URL .*--zkey FILE/);
  });

  it('names a --server without its scheme as the user wrote it, never an internal class', async () => {
    expect(await main(['verify', '--server', '127.0.0.1:8080', '--ceremony', 'x'])).toBe(2);
    expect(written(stderr)).toBe(
      "ceremony: --server '127.0.0.1:8080' is not an http(s) URL: write it whole, e.g. https://ceremony.example or http://127.0.0.1:8080\n",
    );
    stderr.mockClear();
    expect(
      await main([
        'download',
        '--server',
        'ceremony.example',
        '--ceremony',
        'x',
        '--circuit',
        'c',
        '--out',
        'o',
      ]),
    ).toBe(2);
    expect(written(stderr)).not.toMatch(/CoordinatorClient|HttpLogSource/);
  });

  it('prints usage on stderr for a bare `ceremony` and exits 2', async () => {
    expect(await main([])).toBe(2);
    expect(written(stderr)).toContain('ceremony contribute --server URL');
    expect(written(stdout)).toBe('');
  });
});

describe('ceremony keygen', () => {
  it('writes a 0600 key file and prints its public key', async () => {
    const path = join(dir, 'keys', 'alice.key');
    expect(await main(['keygen', '--out', path])).toBe(0);
    const keys = await readKeyFile(path);
    expect(written(stdout)).toBe(`${toHex(keys.publicKey)}\n`);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('writes the very bytes the web page offers for download, and refuses a key file whose halves disagree', async () => {
    const path = join(dir, 'carol.key');
    expect(await main(['keygen', '--out', path])).toBe(0);
    const text = await readFile(path, 'utf8');
    expect(encodeKeyFile(parseKeyFile(text, 'carol.key'))).toBe(text);
    const other = JSON.parse(encodeKeyFile(parseKeyFile(text, 'x'))) as { publicKey: string };
    other.publicKey = other.publicKey.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    expect(() => parseKeyFile(JSON.stringify(other), 'mixed.key')).toThrow(
      /mixed\.key: public key does not match the secret key/,
    );
  });

  it('prints exactly one JSON object on stdout with --json', async () => {
    const path = join(dir, 'bob.key');
    expect(await main(['keygen', '--out', path, '--json'])).toBe(0);
    const out = written(stdout);
    expect(out.trimEnd().split('\n')).toHaveLength(1);
    const result = JSON.parse(out) as { publicKey: string; keyFile: string };
    expect(result).toEqual({ publicKey: toHex((await readKeyFile(path)).publicKey), keyFile: path });
  });

  it('refuses to overwrite an existing file', async () => {
    const path = join(dir, 'taken.key');
    await writeFile(path, 'precious');
    expect(await main(['keygen', '--out', path])).toBe(1);
    expect(written(stderr)).toMatch(/^ceremony: .*taken\.key already exists; refusing to overwrite/);
    expect(await readFile(path, 'utf8')).toBe('precious');
  });
});

describe('ceremony failures', () => {
  it('exits 1 naming the unreachable server; with --json the error is the one object on stdout', async () => {
    const key = join(dir, 'p.key');
    expect(await main(['keygen', '--out', key])).toBe(0);
    stdout.mockClear();
    stderr.mockClear();
    const server = `http://127.0.0.1:${await closedPort()}`;
    const code = await main(['contribute', '--server', server, '--key', key, '--ceremony', 'c1', '--json']);
    expect(code).toBe(1);
    expect(written(stderr)).toMatch(new RegExp(`^ceremony: cannot reach ${server}: ECONNREFUSED\\n$`));
    expect(JSON.parse(written(stdout))).toEqual({
      error: { code: 'NETWORK', message: `cannot reach ${server}: ECONNREFUSED` },
    });
  });

  it('says why verify cannot reach the server, not only "fetch failed"', async () => {
    const server = `http://127.0.0.1:${await closedPort()}`;
    expect(await main(['verify', '--server', server, '--ceremony', 'c1'])).toBe(1);
    expect(written(stderr)).toContain(`cannot reach ${server} (GET ${server}/v1/ceremonies/c1/`);
    expect(written(stderr)).toContain('ECONNREFUSED');
    expect(written(stderr)).not.toContain('fetch failed');
  });
});
