// PKCS#11 URIs (RFC 7512) as `--key` and `LOG_KEY` take them: what names a key, where the module and the PIN come
// from, and what is refused (a PIN in the URI, objects that cannot sign, malformed encodings) without repeating it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describePkcs11Uri, formatPkcs11Id, isPkcs11Uri, parsePkcs11Uri } from '../../src/keys/pkcs11-uri.js';

const refusal = (uri: string) => {
  try {
    parsePkcs11Uri(uri);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`accepted ${uri}`);
};

describe('PKCS#11 URIs', () => {
  it('reads the token, the key, the module and the PIN file', () => {
    expect(
      parsePkcs11Uri(
        'pkcs11:token=ceremony;object=log-key;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin',
      ),
    ).toEqual({
      token: 'ceremony',
      object: 'log-key',
      modulePath: '/usr/lib/softhsm/libsofthsm2.so',
      pinFile: '/run/pin',
    });
    expect(parsePkcs11Uri('pkcs11:object=k?pin-source=file:///etc/token-pin').pinFile).toBe('/etc/token-pin');
    expect(parsePkcs11Uri('pkcs11:object=k?pin-source=file://localhost/p').pinFile).toBe('/p');
  });

  it('percent-decodes values as RFC 7512 shows them (UTF-8 text, ids as bytes)', () => {
    const uri = parsePkcs11Uri(
      'pkcs11:token=Name%20with%20a%20small%20A%20with%20acute:%20%C3%A1;manufacturer=Snake%20Oil,%20Inc.;' +
        'serial=;model=1.0;library-version=3;slot-id=7;id=%01%02%03%Ba%dd%Ca%fe;object=a%25b%3Bc',
    );
    expect(uri.token).toBe('Name with a small A with acute: á');
    expect(uri.manufacturer).toBe('Snake Oil, Inc.');
    expect(uri.serial).toBe('');
    expect(uri.libraryVersion).toEqual({ major: 3, minor: 0 });
    expect(uri.slotId).toBe(7);
    expect(Array.from(uri.id ?? [])).toEqual([1, 2, 3, 0xba, 0xdd, 0xca, 0xfe]);
    expect(uri.object).toBe('a%b;c');
  });

  it('refuses a PIN in the URI without repeating it', () => {
    const message = refusal('pkcs11:object=k?pin-value=31337');
    expect(message).toMatch(/pin-value would put the PIN on the command line/);
    expect(message).not.toContain('31337');
    // A mistyped attribute is not repeated either: it might hold the PIN.
    expect(refusal('pkcs11:object=k?31337')).not.toContain('31337');
  });

  it.each([
    ['pkcs11:token=t', /name the key with object=LABEL or id=/],
    ['pkcs11:object=k;type=cert', /type=cert names no Ed25519 key pair/],
    ['pkcs11:object=k;object=j', /object is given twice/],
    ['pkcs11:object=k;colour=blue', /unknown path attribute 'colour'/],
    ['pkcs11:object=k%2', /'%' not followed by two hex digits/],
    ['pkcs11:object=%ff', /not UTF-8/],
    ['pkcs11:object=k?pin-source=|/bin/cat%20pin', /pin-source must be file:PATH/],
    ['pkcs11:object=k?pin-source=file://other/pin', /another host/],
    ['pkcs11:object=k?module-name=softhsm2', /module-name is not supported/],
    ['pkcs11:object=a b', /spaces or control characters/],
    ['pkcs11:slot-id=x;object=k', /slot-id must be a decimal/],
    ['pkcs11:id=;object=k', /id is empty/],
    ['pkcs:object=k', /expected 'pkcs11:'/],
  ])('refuses %s', (uri, reason) => {
    expect(refusal(uri)).toMatch(reason);
  });

  it('takes vendor attributes (x-…) and ignores them', () => {
    expect(parsePkcs11Uri('pkcs11:object=k;x-colour=blue?x-mode=fast')).toEqual({ object: 'k' });
  });

  it('names a key in messages by its path alone, and that name parses back to the same key', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.uint8Array({ minLength: 1, maxLength: 16 }),
        fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
        (object, id, token) => {
          const uri = { object, id, ...(token === undefined ? {} : { token }) };
          const named = describePkcs11Uri(uri);
          expect(isPkcs11Uri(named)).toBe(true);
          expect(named).not.toContain('?');
          expect(parsePkcs11Uri(named)).toEqual(uri);
        },
      ),
      { seed: 19, numRuns: 300 },
    );
    expect(formatPkcs11Id(Uint8Array.of(0, 255))).toBe('%00%ff');
  });
});
