// Keys in a SoftHSM2 token, through the real pkcs11js binding: `keygen --pkcs11` makes a pair whose secret the token
// never gives out, a pair made by OpenSC's pkcs11-tool works as is, every signature verifies under the token's
// public key, and each way a key cannot be used is refused naming the URI, never the PIN.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { createMemoryOutput } from '../../src/cli/output.js';
import { toHex } from '../../src/crypto/hex.js';
import { openTokenSigner } from '../../src/keys/open-signer.js';
import { CK, loadPkcs11Binding } from '../../src/keys/pkcs11-binding.js';
import { acquireModule } from '../../src/keys/pkcs11-module.js';
import { openTokenSession, readKeyProtection } from '../../src/keys/pkcs11-token.js';
import { describeWithSoftHsm, type SoftHsm, startSoftHsm, USER_PIN } from '../helpers/softhsm.js';

const WRONG_PIN = '97531';

describeWithSoftHsm('keys in a PKCS#11 token (SoftHSM2)', () => {
  let hsm: SoftHsm;
  const opened: { close(): void }[] = [];
  const open = async (uri: string, env: Record<string, string> = hsm.env) => {
    const signer = await openTokenSigner(uri, env);
    opened.push(signer);
    return signer;
  };
  const refusal = async (uri: string, env: Record<string, string> = hsm.env) => {
    try {
      (await open(uri, env)).close();
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error(`opened ${uri}`);
  };
  const keygen = async (uri: string) => {
    const out = createMemoryOutput(true);
    const saved = { ...process.env };
    Object.assign(process.env, hsm.env);
    try {
      const code = await main(['keygen', '--pkcs11', uri, '--json'], out);
      return { code, stdout: out.stdout(), stderr: out.stderr() };
    } finally {
      process.env = saved;
    }
  };

  beforeAll(async () => {
    hsm = await startSoftHsm();
    await hsm.initToken('ceremony');
    await hsm.initToken('locked-away');
  });
  afterAll(async () => {
    for (const signer of opened) signer.close();
    await rm(hsm.dir, { recursive: true, force: true });
  });

  it('keygen --pkcs11 makes a sensitive, never extractable pair and prints its public key', async () => {
    const made = await keygen('pkcs11:token=ceremony;object=coordinator');
    expect(made.code).toBe(0);
    const publicKey = (JSON.parse(made.stdout) as { publicKey: string }).publicKey;
    const signer = await open('pkcs11:token=ceremony;object=coordinator');
    expect(toHex(signer.publicKey)).toBe(publicKey);
    // Read back from the token itself: the secret is marked sensitive and can never be read out.
    const module = acquireModule(hsm.modulePath);
    const session = openTokenSession(module, {
      uri: { token: 'ceremony', object: 'coordinator' },
      name: 'coordinator',
      pin: USER_PIN,
    });
    try {
      expect(readKeyProtection(module, session)).toEqual({
        sensitive: true,
        extractable: false,
        alwaysSensitive: true,
        neverExtractable: true,
      });
      expect(() =>
        module.api.C_GetAttributeValue(session.session, session.privateKey, [{ type: 0x11 /* CKA_VALUE */ }]),
      ).toThrow(/CKR_ATTRIBUTE_SENSITIVE/);
    } finally {
      module.api.C_CloseSession(session.session);
      module.release();
    }
    // The same URI again would make a second key of that name: refused, nothing overwritten.
    const again = await keygen('pkcs11:token=ceremony;object=coordinator');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds a key of that name/);
  });

  it('signs inside the token: signatures verify under its public key (strict RFC 8032)', async () => {
    const signer = await open('pkcs11:token=ceremony;object=coordinator');
    for (let i = 0; i < 20; i++) {
      const message = new TextEncoder().encode(`message ${i}`);
      const signature = signer.sign(message);
      expect(ed25519.verify(signature, message, signer.publicKey, { zip215: false })).toBe(true);
    }
    expect('secretKey' in signer).toBe(false);
  });

  it("takes a pair made by OpenSC's pkcs11-tool as is, and its PIN from pin-source", async () => {
    await hsm.makePair('ceremony', 'EC:edwards25519', 'opensc-key', 'a1b2');
    const pinFile = join(hsm.dir, 'pin');
    await writeFile(pinFile, `${USER_PIN}\n`, { mode: 0o600 });
    const signer = await open(
      `pkcs11:token=ceremony;id=%a1%b2?module-path=${hsm.modulePath}&pin-source=file:${pinFile}`,
      {},
    );
    const listed = await hsm.tool(['--token-label', 'ceremony', '--list-objects', '--type', 'pubkey']);
    expect(listed).toContain(toHex(signer.publicKey));
    const message = new TextEncoder().encode('made by pkcs11-tool');
    expect(ed25519.verify(signer.sign(message), message, signer.publicKey, { zip215: false })).toBe(true);
  });

  it('refuses a key that is missing, a token that is absent, a module that is not there, naming the URI', async () => {
    expect(await refusal('pkcs11:token=ceremony;object=nobody')).toBe(
      'pkcs11:token=ceremony;object=nobody: no private key of that name in the token',
    );
    expect(await refusal('pkcs11:token=elsewhere;object=coordinator')).toMatch(
      /^pkcs11:token=elsewhere;object=coordinator: no such token is present/,
    );
    expect(await refusal('pkcs11:token=ceremony;object=coordinator', { PKCS11_PIN: USER_PIN })).toMatch(
      /no PKCS#11 module: add module-path=PATH to the URI or set PKCS11_MODULE/,
    );
    expect(
      await refusal('pkcs11:token=ceremony;object=coordinator?module-path=/nonexistent/libtoken.so', {}),
    ).toMatch(/^pkcs11:token=ceremony;object=coordinator: cannot load the PKCS#11 module \/nonexistent/);
    expect(() => loadPkcs11Binding('pkcs11js-absent')).toThrow(
      /PKCS#11 keys need the optional package pkcs11js-absent.*run 'npm install pkcs11js-absent'/,
    );
  });

  it('refuses a wrong PIN once, naming the token and never the PIN', async () => {
    // A token of its own: no other key of it is logged in in this process (a login holds for the whole token).
    await hsm.makePair('locked-away', 'EC:edwards25519', 'k');
    const message = await refusal('pkcs11:token=locked-away;object=k', { ...hsm.env, PKCS11_PIN: WRONG_PIN });
    expect(message).toMatch(
      /^pkcs11:token=locked-away;object=k: token 'locked-away' refused the PIN \(CKR_PIN_INCORRECT\)/,
    );
    expect(message).not.toContain(WRONG_PIN);
    expect(await refusal('pkcs11:token=locked-away;object=k', { PKCS11_MODULE: hsm.modulePath })).toMatch(
      /no private key of that name in the token \(no PIN was given: set pin-source or PKCS11_PIN\)/,
    );
  });

  it('refuses a key that is not Ed25519, and two halves that are not one pair', async () => {
    await hsm.makePair('ceremony', 'EC:prime256v1', 'p256');
    expect(await refusal('pkcs11:token=ceremony;object=p256')).toMatch(
      /the key is not an Edwards-curve key \(CKK_EC_EDWARDS\)/,
    );
    // Two pairs; the first's public half is relabelled as the second's: the URI then finds a private key and a
    // public key that do not belong together, which only a signature can tell.
    const mixed = 'pkcs11:token=ceremony;object=mixed';
    await keygen(mixed);
    await keygen('pkcs11:token=ceremony;object=other');
    const module = acquireModule(hsm.modulePath);
    try {
      const slot = module.api
        .C_GetSlotList(true)
        .find((s) => module.api.C_GetTokenInfo(s).label.trim() === 'ceremony') as Buffer;
      const session = module.api.C_OpenSession(slot, CK.CKF_SERIAL_SESSION | CK.CKF_RW_SESSION);
      const find = (label: string) => {
        module.api.C_FindObjectsInit(session, [
          { type: CK.CKA_CLASS, value: CK.CKO_PUBLIC_KEY },
          { type: CK.CKA_LABEL, value: label },
        ]);
        const [found] = module.api.C_FindObjects(session, 1);
        module.api.C_FindObjectsFinal(session);
        return found as Buffer;
      };
      const api = module.api as unknown as {
        C_DestroyObject(s: Buffer, o: Buffer): void;
        C_SetAttributeValue(s: Buffer, o: Buffer, t: { type: number; value: string }[]): void;
      };
      try {
        module.api.C_Login(session, CK.CKU_USER, USER_PIN);
      } catch (err) {
        // Keys this file opened keep the token logged in.
        if (!/CKR_USER_ALREADY_LOGGED_IN/.test((err as Error).message)) throw err;
      }
      api.C_DestroyObject(session, find('mixed'));
      api.C_SetAttributeValue(session, find('other'), [{ type: CK.CKA_LABEL, value: 'mixed' }]);
      module.api.C_CloseSession(session);
    } finally {
      module.release();
    }
    expect(await refusal(mixed)).toMatch(/the private and public key objects found are not one pair/);
  });
});
