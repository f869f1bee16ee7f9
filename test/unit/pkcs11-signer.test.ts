// How a key in a token behaves when the token misbehaves: what SoftHSM2 cannot be made to do (answer a signature
// that does not verify, come back holding another key, refuse a PIN it took before) is played by a stand-in token
// (FakeToken below, the few PKCS#11 calls the signer makes); the signer, its session handling and checks are real.
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { CK, type Handle, type Pkcs11Api } from '../../src/keys/pkcs11-binding.js';
import type { ModuleHandle } from '../../src/keys/pkcs11-module.js';
import { openPkcs11Signer, RETRY_MS } from '../../src/keys/pkcs11-signer.js';
import type { KeyLocation } from '../../src/keys/pkcs11-token.js';

const PIN = '1234';
const fail = (name: string) => Object.assign(new Error(`${name}: stand-in token`), { code: 1 });

/** A token with one Ed25519 pair labelled `k`, switchable: away, garbled signatures, changed key or PIN. */
class FakeToken {
  present = true;
  pin = PIN;
  seed = ed25519.utils.randomSecretKey();
  garble = false;
  logins = 0;
  signatures = 0;
  generation = 0;
  private found: Handle[] = [];

  readonly api: Pkcs11Api = {
    load: () => undefined,
    C_Initialize: () => {
      if (!this.present) throw fail('CKR_GENERAL_ERROR');
    },
    C_Finalize: () => undefined,
    C_GetInfo: () => ({
      libraryDescription: 'fake',
      manufacturerID: 'fake',
      libraryVersion: { major: 1, minor: 0 },
    }),
    C_GetSlotList: () => (this.present ? [Buffer.from([1])] : []),
    C_GetSlotInfo: () => ({ slotDescription: 'fake', manufacturerID: 'fake' }),
    C_GetTokenInfo: () => ({ label: 'fake', manufacturerID: 'x', model: 'x', serialNumber: '1', flags: 0 }),
    C_GetMechanismList: () => [CK.CKM_EDDSA],
    C_OpenSession: () => Buffer.from([this.generation]),
    C_CloseSession: () => undefined,
    C_Login: (_s, _t, pin) => {
      this.logins += 1;
      if (pin !== this.pin) throw fail('CKR_PIN_INCORRECT');
    },
    C_FindObjectsInit: (_s, template) => {
      const keyClass = template.find((a) => a.type === CK.CKA_CLASS)?.value;
      this.found = [Buffer.from([keyClass === CK.CKO_PRIVATE_KEY ? 3 : 2])];
    },
    C_FindObjects: () => this.found,
    C_FindObjectsFinal: () => undefined,
    C_GetAttributeValue: (_s, object, template) =>
      template.map(({ type }) => {
        if (type === CK.CKA_KEY_TYPE) return { type, value: Buffer.from([CK.CKK_EC_EDWARDS, 0, 0, 0]) };
        if (type === CK.CKA_EC_PARAMS) return { type, value: Buffer.from('06032b6570', 'hex') };
        if (type === CK.CKA_EC_POINT && object[0] === 2)
          return { type, value: Buffer.concat([Buffer.from([4, 32]), ed25519.getPublicKey(this.seed)]) };
        throw fail('CKR_ATTRIBUTE_TYPE_INVALID');
      }),
    C_SignInit: (session) => {
      if (!this.present || session[0] !== this.generation) throw fail('CKR_SESSION_HANDLE_INVALID');
    },
    C_Sign: (_s, data) => {
      this.signatures += 1;
      const signature = ed25519.sign(data, this.seed);
      if (this.garble) signature[5] = (signature[5] ?? 0) ^ 1;
      return Buffer.from(signature);
    },
    C_GenerateKeyPair: () => {
      throw fail('CKR_FUNCTION_NOT_SUPPORTED');
    },
  };

  readonly module: ModuleHandle = (() => {
    const token = this;
    return {
      path: '/fake/module.so',
      api: token.api,
      get generation() {
        return token.generation;
      },
      ready: true,
      reinitialize() {
        token.api.C_Initialize();
        token.generation += 1;
      },
      release: () => undefined,
    };
  })();
}

const location: KeyLocation = {
  uri: { token: 'fake', object: 'k' },
  name: 'pkcs11:token=fake;object=k',
  pin: PIN,
};
const message = new TextEncoder().encode('checkpoint');

function open(token: FakeToken) {
  let clock = 1_000_000;
  const signer = openPkcs11Signer(token.module, location, () => clock);
  const events: string[] = [];
  signer.onUnavailable = (detail) => events.push(`lost: ${detail}`);
  signer.onRecovered = () => events.push('back');
  return { signer, events, wait: (ms: number) => (clock += ms) };
}

const unavailable = { code: 'UNAVAILABLE', status: 503 };

describe('a key in a token that misbehaves', () => {
  it('never returns a signature that does not verify: 503, and the key is opened anew before the next', () => {
    const token = new FakeToken();
    const { signer, events, wait } = open(token);
    expect(ed25519.verify(signer.sign(message), message, signer.publicKey)).toBe(true);
    token.garble = true;
    expect(() => signer.sign(message)).toThrow(expect.objectContaining(unavailable));
    expect(events).toEqual([
      'lost: pkcs11:token=fake;object=k: the token returned a signature that does not verify under the key',
    ]);
    token.garble = false;
    wait(RETRY_MS);
    expect(ed25519.verify(signer.sign(message), message, signer.publicKey)).toBe(true);
    expect(events.at(-1)).toBe('back');
  });

  it('tries a token that went away at most once a second, and signs again once it is back', () => {
    const token = new FakeToken();
    const { signer, wait } = open(token);
    token.present = false;
    expect(() => signer.sign(message)).toThrow(expect.objectContaining(unavailable));
    const logins = token.logins;
    token.present = true;
    token.generation += 1; // its old sessions died with it
    // Within the second: refused without touching the token.
    expect(() => signer.sign(message)).toThrow(expect.objectContaining(unavailable));
    expect(token.logins).toBe(logins);
    wait(RETRY_MS);
    expect(ed25519.verify(signer.sign(message), message, signer.publicKey)).toBe(true);
    expect(token.logins).toBe(logins + 1);
  });

  it('does not sign with another key that came back under the same name', () => {
    const token = new FakeToken();
    const { signer, events, wait } = open(token);
    token.present = false;
    expect(() => signer.sign(message)).toThrow(expect.objectContaining(unavailable));
    token.present = true;
    token.generation += 1;
    token.seed = ed25519.utils.randomSecretKey();
    const signed = token.signatures;
    wait(RETRY_MS);
    expect(() => signer.sign(message)).toThrow(expect.objectContaining(unavailable));
    expect(token.signatures).toBe(signed);
    expect(events).toHaveLength(1);
  });

  it('never tries a PIN again once the token refused it (tokens lock a PIN after a few failures)', () => {
    const token = new FakeToken();
    const { signer, wait } = open(token);
    token.present = false;
    expect(() => signer.sign(message)).toThrow(expect.objectContaining(unavailable));
    token.present = true;
    token.generation += 1;
    token.pin = '9999';
    wait(RETRY_MS);
    expect(() => signer.sign(message)).toThrow(
      /refused the PIN \(CKR_PIN_INCORRECT\); it is not tried again/,
    );
    const logins = token.logins;
    for (let i = 0; i < 5; i++) {
      wait(RETRY_MS);
      expect(() => signer.sign(message)).toThrow(expect.objectContaining(unavailable));
    }
    expect(token.logins).toBe(logins);
  });
});
