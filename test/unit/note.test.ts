import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateKeyPair, keyPairFromSecret } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import {
  addSignatureLines,
  cosignCheckpoint,
  encodeVerifierKey,
  formatCheckpoint,
  noteKeyId,
  parseCheckpoint,
  parseNote,
  parseVerifierKey,
  signNote,
  verifyCosignature,
  verifyNote,
} from '../../src/transcript/note.js';

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const unb64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));
// Key IDs and signatures recomputed with node:crypto, independently of the code under test.
const refKeyId = (name: string, type: number, publicKey: Uint8Array): string =>
  createHash('sha256')
    .update(Buffer.concat([Buffer.from(name, 'utf8'), Buffer.from([0x0a, type]), publicKey]))
    .digest('hex')
    .slice(0, 8);
const nodeVerifies = (publicKey: Uint8Array, message: string, signature: Uint8Array): boolean => {
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
    format: 'jwk',
  });
  return nodeVerify(null, Buffer.from(message, 'utf8'), key, signature);
};
const replaceAt = (text: string, at: number): string => {
  const ch = text[at] === 'A' ? 'B' : 'A';
  return text.slice(0, at) + ch + text.slice(at + 1);
};

const logKeys = keyPairFromSecret(new Uint8Array(32).fill(7));
const logName = 'ceremony.example/ceremonies/demo';
const root = createHash('sha256').update('root').digest();
const body = formatCheckpoint({ origin: logName, size: 42, rootHash: root });

describe('golang.org/x/mod/sumdb/note known answer (PeterNeumann)', () => {
  const text =
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
  const vkey = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
  const signed = `${text}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;
  // The Go signer key PRIVATE+KEY+PeterNeumann+c74f20a3+<base64(0x01 || seed)>.
  const seed = unb64('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz').slice(1);

  it('signs byte for byte like Go and verifies the Go note', () => {
    expect(signNote(text, 'PeterNeumann', keyPairFromSecret(seed))).toBe(signed);
    expect(encodeVerifierKey('PeterNeumann', keyPairFromSecret(seed).publicKey)).toBe(vkey);
    expect(verifyNote(signed, vkey)).toEqual({ body: text });
    expect(() => verifyNote(signed.replace('cryptography', 'cryptographY'), vkey)).toThrow(/bad signature/);
  });
});

describe('key IDs and verifier keys', () => {
  it('key ID is the first 4 bytes of SHA-256(name || 0x0A || type || key)', () => {
    for (const name of ['PeterNeumann', logName, 'witness.example/w1', 'ünïcode/ok']) {
      for (const type of [0x01, 0x04]) {
        expect(toHex(noteKeyId(name, type, logKeys.publicKey))).toBe(refKeyId(name, type, logKeys.publicKey));
      }
    }
  });

  it('round-trips a verifier key', () => {
    const vkey = encodeVerifierKey(logName, logKeys.publicKey);
    expect(vkey).toBe(
      `${logName}+${refKeyId(logName, 1, logKeys.publicKey)}+${b64(Uint8Array.of(1, ...logKeys.publicKey))}`,
    );
    const parsed = parseVerifierKey(vkey);
    expect(parsed.name).toBe(logName);
    expect(toHex(parsed.keyId)).toBe(refKeyId(logName, 1, logKeys.publicKey));
    expect(toHex(parsed.publicKey)).toBe(toHex(logKeys.publicKey));
    expect(parseVerifierKey(`${vkey}\n`).name).toBe(logName);
  });

  it('rejects malformed verifier keys and key names', () => {
    const vkey = encodeVerifierKey(logName, logKeys.publicKey);
    const [name, id, data] = [logName, vkey.split('+')[1]!, vkey.slice(logName.length + 10)];
    const bad = [
      '',
      name,
      `${name}+${id}`,
      `${name}+00000000+${data}`,
      `${name}+${id.slice(1)}+${data}`,
      `other+${id}+${data}`,
      `${name}+${id}+${data.slice(0, -4)}`,
      `${name}+${id}+${b64(Uint8Array.of(4, ...logKeys.publicKey))}`,
      `${name}+${id}+!${data.slice(1)}`,
      `has space+${id}+${data}`,
    ];
    for (const key of bad) expect(() => parseVerifierKey(key), key).toThrow(/parseVerifierKey/);
    // The identity point: a small-order key that would accept forged signatures.
    const weak = Uint8Array.of(1, ...new Uint8Array(31));
    expect(() => parseVerifierKey(`w+${refKeyId('w', 1, weak)}+${b64(Uint8Array.of(1, ...weak))}`)).toThrow(
      /parseVerifierKey/,
    );
    for (const badName of ['', 'a b', 'a+b', 'tab\there', 'nbsp\u00a0', 'nel\u0085']) {
      expect(() => encodeVerifierKey(badName, logKeys.publicKey)).toThrow(/encodeVerifierKey: key name/);
      expect(() => signNote(body, badName, logKeys)).toThrow(/signNote: key name/);
    }
  });
});

describe('checkpoints', () => {
  it('formats the C2SP tlog-checkpoint body and parses it back', () => {
    expect(body).toBe(`${logName}\n42\n${b64(root)}\n`);
    const parsed = parseCheckpoint(body);
    expect(parsed.origin).toBe(logName);
    expect(parsed.size).toBe(42);
    expect(toHex(parsed.rootHash)).toBe(toHex(root));
    expect(parsed.extensions).toBeUndefined();
    const withExtension = formatCheckpoint({ origin: 'o', size: 0, rootHash: root, extensions: ['ext one'] });
    expect(withExtension).toBe(`o\n0\n${b64(root)}\next one\n`);
    expect(parseCheckpoint(withExtension).extensions).toEqual(['ext one']);
  });

  it('rejects malformed bodies', () => {
    const r = b64(root);
    const bad = [
      '',
      `o\n1\n${r}`,
      `o\n1\n`,
      `\n1\n${r}\n`,
      `o\n01\n${r}\n`,
      `o\n-1\n${r}\n`,
      `o\n+1\n${r}\n`,
      `o\n1.0\n${r}\n`,
      `o\n 1\n${r}\n`,
      `o\n1e3\n${r}\n`,
      `o\n9007199254740992\n${r}\n`,
      `o\n1\n${b64(root.subarray(0, 31))}\n`,
      `o\n1\n${r.slice(0, -1)}\n`,
      `o\n1\n${r.slice(0, -2)}F=\n`,
      `o\n1\n${r.replace('=', '')}\n`,
      `o\n1\n${r}\n\n`,
      `o\r\n1\n${r}\n`,
      `o\n1\r\n${r}\n`,
    ];
    for (const text of bad)
      expect(() => parseCheckpoint(text), JSON.stringify(text)).toThrow(/parseCheckpoint/);
  });

  it('refuses to format what it could not parse', () => {
    expect(() => formatCheckpoint({ origin: '', size: 1, rootHash: root })).toThrow(/formatCheckpoint/);
    expect(() => formatCheckpoint({ origin: 'a\nb', size: 1, rootHash: root })).toThrow(/formatCheckpoint/);
    expect(() => formatCheckpoint({ origin: 'o', size: -1, rootHash: root })).toThrow(/formatCheckpoint/);
    expect(() => formatCheckpoint({ origin: 'o', size: 1.5, rootHash: root })).toThrow(/formatCheckpoint/);
    expect(() => formatCheckpoint({ origin: 'o', size: 1, rootHash: root.subarray(1) })).toThrow(
      /formatCheckpoint/,
    );
    expect(() => formatCheckpoint({ origin: 'o', size: 1, rootHash: root, extensions: [''] })).toThrow(
      /formatCheckpoint/,
    );
  });
});

describe('signed notes', () => {
  const vkey = encodeVerifierKey(logName, logKeys.publicKey);
  const note = signNote(body, logName, logKeys);

  it('signs a checkpoint as a C2SP note and verifies it', () => {
    const lines = note.split('\n');
    expect(lines.slice(0, 4)).toEqual([logName, '42', b64(root), '']);
    expect(lines[4]).toMatch(new RegExp(`^\u2014 ${logName} [A-Za-z0-9+/]+=*$`));
    const sig = unb64(lines[4]!.split(' ')[2]!);
    expect(sig).toHaveLength(4 + 64);
    expect(toHex(sig.subarray(0, 4))).toBe(refKeyId(logName, 1, logKeys.publicKey));
    expect(nodeVerifies(logKeys.publicKey, body, sig.subarray(4))).toBe(true);
    expect(verifyNote(note, vkey)).toEqual({ body });
    expect(parseNote(note)).toMatchObject({ body, signatures: [{ name: logName, line: `${lines[4]}\n` }] });
  });

  it('fails when any character of any line is altered', () => {
    const accepted: string[] = [];
    for (let at = 0; at < note.length; at++) {
      if (note[at] === '\n') continue;
      const altered = replaceAt(note, at);
      try {
        verifyNote(altered, vkey);
        accepted.push(`${at}: ${altered}`);
      } catch {
        // expected
      }
    }
    expect(accepted).toEqual([]);
  });

  it('names what failed', () => {
    const [origin, size, rootLine, , sigLine] = note.split('\n');
    expect(() => verifyNote(note.replace(`\n${size}\n`, '\n43\n'), vkey)).toThrow(
      /verifyNote: bad signature/,
    );
    expect(() => verifyNote(note.replace(rootLine!, b64(new Uint8Array(32))), vkey)).toThrow(/bad signature/);
    expect(() => verifyNote(note.replace(`${origin}\n`, 'x\n'), vkey)).toThrow(/bad signature/);
    const forged = `${sigLine!.slice(0, -8)}AAAAAAA=`;
    expect(() => verifyNote(note.replace(sigLine!, forged), vkey)).toThrow(/bad signature/);
    expect(() => verifyNote(note.slice(0, -1), vkey)).toThrow(/verifyNote: malformed note/);
    expect(() => verifyNote(body, vkey)).toThrow(/malformed note/);
  });

  it('fails with another key, even under the same name', () => {
    const other = generateKeyPair();
    expect(() => verifyNote(note, encodeVerifierKey(logName, other.publicKey))).toThrow(
      /no signature by key/,
    );
    expect(() => verifyNote(note, encodeVerifierKey('someone.else', logKeys.publicKey))).toThrow(
      /no signature by key someone\.else/,
    );
    const otherNote = signNote(body, logName, other);
    expect(() => verifyNote(otherNote, vkey)).toThrow(/no signature by key/);
  });

  it('rejects a note holding a good and a bad signature from the same key', () => {
    const goodLine = note.split('\n')[4]!;
    const badLine = `${goodLine.slice(0, -8)}AAAAAAA=`;
    expect(() => verifyNote(addSignatureLines(note, [badLine]), vkey)).toThrow(/bad signature/);
  });

  it('parses strictly', () => {
    const sigLine = note.split('\n')[4]!;
    const bad = [
      body,
      `${body}\n`,
      `${body}${sigLine}\n`,
      `${body}\n${sigLine}`,
      `${body}\n${sigLine.replace('\u2014', '-')}\n`,
      `${body}\n${sigLine.replace(' ', '  ')}\n`,
      `${body}\n${sigLine} \n`,
      `${body}\n\u2014 ${logName} AAAA\n`,
      `${body}\n\u2014 ${logName}\n`,
      `${body}\n${sigLine}\n\n`,
      `${body.replace('\n', '\r\n')}\n${sigLine}\n`,
      `tab\there\n\n${sigLine}\n`,
      `${body}\n${sigLine}\n${'x'.repeat(3)}\n`,
      `${body}\n${`${sigLine}\n`.repeat(101)}`,
    ];
    for (const text of bad) expect(() => parseNote(text), JSON.stringify(text)).toThrow(/parseNote/);
    expect(parseNote(`${body}\n${`${sigLine}\n`.repeat(16)}`).signatures).toHaveLength(16);
  });

  it('keeps blank lines inside the text: the last blank line separates the signatures', () => {
    const text = 'first paragraph\n\nsecond paragraph\n';
    const signed = signNote(text, logName, logKeys);
    expect(parseNote(signed).body).toBe(text);
    expect(verifyNote(signed, vkey).body).toBe(text);
  });

  it('adds signature lines once', () => {
    const witness = generateKeyPair();
    const cosig = cosignCheckpoint(body, 'witness.example/w1', witness, 1_700_000_000);
    const twice = addSignatureLines(addSignatureLines(note, [cosig]), [cosig, cosig.trimEnd()]);
    expect(twice).toBe(`${note}${cosig}`);
    expect(parseNote(twice).signatures.map((s) => s.name)).toEqual([logName, 'witness.example/w1']);
    expect(verifyNote(twice, vkey).body).toBe(body);
    expect(() => addSignatureLines(note, ['- not a signature'])).toThrow(/addSignatureLines/);
  });
});

describe('tlog-cosignature/v1', () => {
  const witness = keyPairFromSecret(new Uint8Array(32).fill(9));
  const name = 'witness.example/w1';
  const time = 1_727_964_367;
  const line = cosignCheckpoint(body, name, witness, time);

  it('has the C2SP layout: keyID(0x04) || u64be timestamp || Ed25519 over the cosigned message', () => {
    expect(line.startsWith(`\u2014 ${name} `)).toBe(true);
    expect(line.endsWith('\n')).toBe(true);
    const bytes = unb64(line.trimEnd().split(' ')[2]!);
    expect(bytes).toHaveLength(4 + 8 + 64);
    expect(toHex(bytes.subarray(0, 4))).toBe(refKeyId(name, 4, witness.publicKey));
    expect(Buffer.from(bytes.subarray(4, 12)).readBigUInt64BE()).toBe(BigInt(time));
    const message = `cosignature/v1\ntime ${time}\n${body}`;
    expect(nodeVerifies(witness.publicKey, message, bytes.subarray(12))).toBe(true);
  });

  it('verifies and returns the timestamp, with or without the final newline', () => {
    expect(verifyCosignature(body, line, name, witness.publicKey)).toEqual({ timestamp: time });
    expect(verifyCosignature(body, line.trimEnd(), name, witness.publicKey)).toEqual({ timestamp: time });
    expect(verifyCosignature(body, line, name, Buffer.from(witness.publicKey))).toEqual({ timestamp: time });
    expect(
      verifyCosignature(body, cosignCheckpoint(body, name, witness, 0), name, witness.publicKey),
    ).toEqual({ timestamp: 0 });
  });

  it('rejects tampering, other checkpoints, other names and other keys', () => {
    const other = generateKeyPair();
    const otherBody = formatCheckpoint({ origin: logName, size: 43, rootHash: root });
    expect(verifyCosignature(otherBody, line, name, witness.publicKey)).toBeNull();
    expect(verifyCosignature(body, line, 'witness.example/w2', witness.publicKey)).toBeNull();
    expect(verifyCosignature(body, line, name, other.publicKey)).toBeNull();
    const accepted: number[] = [];
    const payload = line.trimEnd().split(' ')[2]!;
    const prefix = line.slice(0, line.length - payload.length - 1);
    for (let at = 0; at < payload.length; at++) {
      if (verifyCosignature(body, `${prefix}${replaceAt(payload, at)}\n`, name, witness.publicKey))
        accepted.push(at);
    }
    expect(accepted).toEqual([]);
    // A plain note signature by the same key is not a cosignature.
    const plain = signNote(body, name, witness).split('\n')[4]!;
    expect(verifyCosignature(body, plain, name, witness.publicKey)).toBeNull();
    expect(verifyCosignature(body, 'garbage', name, witness.publicKey)).toBeNull();
  });

  it('asserts its arguments', () => {
    expect(() => cosignCheckpoint('not a checkpoint', name, witness, time)).toThrow(/cosignCheckpoint/);
    expect(() => cosignCheckpoint(body, name, witness, -1)).toThrow(/cosignCheckpoint: timestamp/);
    expect(() => cosignCheckpoint(body, name, witness, 1.5)).toThrow(/cosignCheckpoint: timestamp/);
    expect(() => verifyCosignature(body, line, name, new Uint8Array(31))).toThrow(/verifyCosignature/);
    expect(() => verifyCosignature(`${body}x`, line, name, witness.publicKey)).toThrow(/verifyCosignature/);
  });
});
