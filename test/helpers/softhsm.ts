// SoftHSM2 (Debian package `softhsm2`) as the token of PKCS#11 tests: each test file gets a token directory of its
// own in a temp dir (SOFTHSM2_CONF, read by the module at C_Initialize, so set before any key is opened). Without
// SoftHSM2, OpenSC's pkcs11-tool or the pkcs11js binding the tests are skipped with a loud reason, except in CI
// (CI=true), where they fail: CI installs them (.ci/run).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'vitest';
import { loadPkcs11Binding } from '../../src/keys/pkcs11-binding.js';

const run = promisify(execFile);

const MODULE_CANDIDATES = [
  process.env.SOFTHSM2_MODULE,
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
];
const TOOLS = ['/usr/bin/softhsm2-util', '/usr/bin/pkcs11-tool'];

export const SO_PIN = '0000';
export const USER_PIN = '1234';

/** What is missing for the PKCS#11 tests, or undefined when all is here. */
function missing(): string | undefined {
  if (MODULE_CANDIDATES.every((p) => p === undefined || !existsSync(p)))
    return 'the SoftHSM2 module (apt-get install softhsm2)';
  const tool = TOOLS.find((t) => !existsSync(t));
  if (tool !== undefined) return `${tool} (apt-get install softhsm2 opensc)`;
  try {
    loadPkcs11Binding();
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

export const softHsmModule = MODULE_CANDIDATES.find((p) => p !== undefined && existsSync(p)) ?? '';

/** `describe`, or (SoftHSM2 missing) a loud skip outside CI and a failing test in CI. */
export function describeWithSoftHsm(name: string, body: () => void): void {
  const lack = missing();
  if (lack === undefined) {
    describe(name, body);
    return;
  }
  if (process.env.CI) {
    describe(name, () => {
      it('has SoftHSM2, OpenSC and pkcs11js (CI installs them)', () => {
        throw new Error(`PKCS#11 tests cannot run: missing ${lack}`);
      });
    });
    return;
  }
  console.warn(`\n*** SKIPPED: ${name}: missing ${lack} ***\n`);
  describe.skip(name, body);
}

export interface SoftHsm {
  dir: string;
  tokensDir: string;
  modulePath: string;
  /** Environment for openSigner and the CLI: PKCS11_MODULE and PKCS11_PIN of the user PIN. */
  env: { PKCS11_MODULE: string; PKCS11_PIN: string };
  /** Initializes a token labelled `label` with the test PINs. */
  initToken(label: string, pin?: string): Promise<void>;
  /** pkcs11-tool with this module and token store. */
  tool(args: string[]): Promise<string>;
  /** A key pair made by pkcs11-tool (logged in with the user PIN) in token `label`: `--key-type TYPE --label …`. */
  makePair(token: string, keyType: string, label: string, id?: string): Promise<void>;
  /** Moves the token store away (as if the token were unplugged) and returns a function that brings it back. */
  unplug(): Promise<() => Promise<void>>;
}

/** A token store of this test file's own; sets SOFTHSM2_CONF for this process and the children it starts. */
export async function startSoftHsm(): Promise<SoftHsm> {
  const dir = await mkdtemp(join(tmpdir(), 'ceremony-softhsm-'));
  const tokensDir = join(dir, 'tokens');
  await mkdir(tokensDir, { mode: 0o700 });
  const conf = join(dir, 'softhsm2.conf');
  await writeFile(
    conf,
    `directories.tokendir = ${tokensDir}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  process.env.SOFTHSM2_CONF = conf;
  const childEnv = { ...process.env, SOFTHSM2_CONF: conf };
  const tool = async (args: string[]) => {
    const { stdout } = await run('pkcs11-tool', ['--module', softHsmModule, ...args], { env: childEnv });
    return stdout;
  };
  return {
    dir,
    tokensDir,
    modulePath: softHsmModule,
    env: { PKCS11_MODULE: softHsmModule, PKCS11_PIN: USER_PIN },
    async initToken(label, pin = USER_PIN) {
      await run(
        'softhsm2-util',
        ['--init-token', '--free', '--label', label, '--so-pin', SO_PIN, '--pin', pin],
        {
          env: childEnv,
        },
      );
    },
    tool,
    async makePair(token, keyType, label, id) {
      await tool([
        ...['--token-label', token, '--login', '--pin', USER_PIN, '--keypairgen'],
        ...['--key-type', keyType, '--label', label, ...(id === undefined ? [] : ['--id', id])],
      ]);
    },
    async unplug() {
      const away = `${tokensDir}-away`;
      await rename(tokensDir, away);
      return () => rename(away, tokensDir);
    },
  };
}
