import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/hex.js';
import {
  decodeEntryLine,
  ENTRY_TYPES,
  encodeEntry,
  formatEntryTime,
  GENESIS_PREV,
  type TranscriptEntry,
} from '../../src/transcript/entry.js';

const first: TranscriptEntry = {
  v: 1,
  ceremony: 'demo',
  seq: 0,
  type: 'ceremony.created',
  time: '2025-01-02T03:04:05.678Z',
  prev: GENESIS_PREV,
  body: {
    title: 'Démo ceremony',
    timeoutSeconds: 600,
    coordinator: 'ab'.repeat(32),
    openRegistration: false,
  },
};

const second = (prev: string): TranscriptEntry => ({
  v: 1,
  ceremony: 'demo',
  seq: 1,
  type: 'contribution.accepted',
  time: '2025-01-02T03:05:00Z',
  prev,
  body: {
    circuit: 'main',
    index: 1,
    verifier: { name: 'snarkjs', version: '0.7.6' },
    statement: 'dice \u{1F3B2}',
  },
});

describe('encodeEntry', () => {
  it('writes the canonical line, its UTF-8 bytes and leaf hash SHA-256(0x00 || bytes)', () => {
    const encoded = encodeEntry(first);
    expect(encoded.line).toBe(
      '{"body":{"coordinator":"' +
        'ab'.repeat(32) +
        '","openRegistration":false,"timeoutSeconds":600,"title":"Démo ceremony"},"ceremony":"demo",' +
        `"prev":"${GENESIS_PREV}","seq":0,"time":"2025-01-02T03:04:05.678Z","type":"ceremony.created","v":1}`,
    );
    expect(Buffer.from(encoded.bytes).toString('utf8')).toBe(encoded.line);
    const expected = createHash('sha256')
      .update(Buffer.from([0]))
      .update(encoded.line, 'utf8')
      .digest('hex');
    expect(toHex(encoded.leafHash)).toBe(expected);
    expect(encoded.entry).toEqual(first);
  });

  it('round-trips through decodeEntryLine, chaining prev to the previous leaf hash', () => {
    const a = encodeEntry(first);
    const b = encodeEntry(second(toHex(a.leafHash)));
    for (const encoded of [a, b]) {
      const decoded = decodeEntryLine(encoded.line);
      expect(decoded.entry).toEqual(encoded.entry);
      expect(toHex(decoded.leafHash)).toBe(toHex(encoded.leafHash));
      expect(decoded.line).toBe(encoded.line);
    }
    expect(decodeEntryLine(b.line).entry.prev).toBe(toHex(a.leafHash));
  });

  it('accepts every entry type and an empty body', () => {
    for (const type of ENTRY_TYPES) {
      expect(
        decodeEntryLine(encodeEntry({ ...first, seq: 3, prev: 'cd'.repeat(32), type, body: {} }).line).entry
          .type,
      ).toBe(type);
    }
  });

  it('returns the entry as its bytes say, not as given', () => {
    const body = { a: undefined, z: -0 } as unknown as TranscriptEntry['body'];
    expect(encodeEntry({ ...first, body }).entry.body).toEqual({ z: 0 });
  });

  it('rejects malformed fields, naming the function', () => {
    const bad: Array<[string, unknown]> = [
      ['v', { ...first, v: 2 }],
      ['ceremony', { ...first, ceremony: '' }],
      ['seq', { ...first, seq: -1 }],
      ['seq', { ...first, seq: 1.5 }],
      ['seq', { ...first, seq: '0' }],
      ['type', { ...first, type: 'ceremony.deleted' }],
      ['time', { ...first, time: '2025-01-02T03:04:05.678+00:00' }],
      ['time', { ...first, time: '2025-01-02 03:04:05Z' }],
      ['time', { ...first, time: '2025-13-02T03:04:05Z' }],
      ['time', { ...first, time: '2025-02-30T03:04:05Z' }],
      ['time', { ...first, time: '2025-01-02T03:04:05.6Z' }],
      ['time', { ...first, time: '2025-01-02T03:04:60Z' }],
      ['prev', { ...first, seq: 1, prev: 'AB'.repeat(32) }],
      ['prev', { ...first, seq: 1, prev: 'ab' }],
      ['prev', { ...first, prev: 'cd'.repeat(32) }],
      ['body', { ...first, body: [] }],
      ['body', { ...first, body: null }],
      ['unknown field', { ...first, extra: true }],
      ['non-finite', { ...first, body: { x: Number.NaN } }],
      ['surrogate', { ...first, body: { x: '\uD800' } }],
      ['plain object', { ...first, body: { at: new Date(0) } }],
    ];
    for (const [what, entry] of bad) {
      expect(() => encodeEntry(entry as TranscriptEntry), what).toThrow(/^encodeEntry: /);
    }
  });
});

describe('decodeEntryLine', () => {
  const line = encodeEntry(second('ef'.repeat(32))).line;

  it('rejects lines that are not byte-identical to the canonical form', () => {
    const variants = [
      line.replace('"ceremony":"demo"', '"ceremony": "demo"'),
      ` ${line}`,
      `${line}\n`,
      `${line}\r`,
      line
        .replace('{"body":{"circuit":"main",', '{"body":{"index":1,"circuit":"main",')
        .replace(',"index":1,', ','),
      `{"ceremony":"demo",${line.slice(1).replace(',"ceremony":"demo"', '')}`,
      line.replace('"main"', '"\\u006dain"'),
      line.replace('\u{1F3B2}', '\\ud83c\\udfb2'),
      line.replace('"index":1', '"index":1.0'),
      line.replace('"index":1', '"index":1e0'),
      line.replace('"seq":1', '"seq":1,"seq":1'),
      JSON.stringify(JSON.parse(line), null, 1),
    ];
    for (const variant of variants) {
      expect(variant).not.toBe(line);
      expect(JSON.parse(variant)).toEqual(JSON.parse(line));
      expect(() => decodeEntryLine(variant), variant).toThrow(
        /decodeEntryLine: line is not in RFC 8785 canonical form/,
      );
    }
  });

  it('rejects non-JSON and non-entries', () => {
    expect(() => decodeEntryLine('{"v":1')).toThrow(/decodeEntryLine: line is not JSON/);
    expect(() => decodeEntryLine('[]')).toThrow(/decodeEntryLine: entry must be an object/);
    expect(() => decodeEntryLine(line.replace('"v":1', '"v":2'))).toThrow(/decodeEntryLine: v must be 1/);
    expect(() => decodeEntryLine(line.replace('contribution.accepted', 'nope'))).toThrow(
      /decodeEntryLine: unknown entry type/,
    );
  });
});

describe('formatEntryTime', () => {
  it('writes toISOString, which encodeEntry accepts', () => {
    const time = formatEntryTime(new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 6)));
    expect(time).toBe('2025-01-02T03:04:05.006Z');
    expect(encodeEntry({ ...first, time }).entry.time).toBe(time);
  });

  it('rejects invalid dates', () => {
    expect(() => formatEntryTime(new Date(Number.NaN))).toThrow(/formatEntryTime/);
    expect(() => formatEntryTime(new Date(Date.UTC(10000, 0, 1)))).toThrow(/formatEntryTime/);
  });
});
