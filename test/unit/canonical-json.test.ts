import { describe, expect, it } from 'vitest';
import { canonicalBytes, canonicalize } from '../../src/transcript/canonical-json.js';

// Builds a double from its IEEE 754 bit pattern, as RFC 8785 Appendix B lists them.
const fromBits = (hex: string): number => {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
};

describe('RFC 8785 examples', () => {
  it('section 3.2.2: the sample object', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    expect(canonicalize(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('section 3.2.3: sorts keys by UTF-16 code units, not code points or UTF-8', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    expect(canonicalize(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis",' +
        '"€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('sorts nested objects and keeps array order', () => {
    expect(canonicalize({ b: [3, { z: 1, a: 2 }, 1], a: { d: null, c: true } })).toBe(
      '{"a":{"c":true,"d":null},"b":[3,{"a":2,"z":1},1]}',
    );
  });

  it('appendix B: number serialization', () => {
    const cases: Array<[string, string]> = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    for (const [bits, expected] of cases) expect(canonicalize(fromBits(bits)), bits).toBe(expected);
    expect(canonicalize([1e21, 1e-7, -0, 1e20, 0.1, 100])).toBe(
      '[1e+21,1e-7,0,100000000000000000000,0.1,100]',
    );
  });

  it('escapes only what JSON requires, with lowercase \\u00xx for other controls', () => {
    expect(canonicalize('"\\\b\f\n\r\t\u0000\u001f\u007f/\u2028é😀')).toBe(
      '"\\"\\\\\\b\\f\\n\\r\\t\\u0000\\u001f\u007f/\u2028é😀"',
    );
  });

  it('canonicalBytes is the UTF-8 of the text', () => {
    expect(Buffer.from(canonicalBytes({ é: '😀' })).toString('hex')).toBe(
      Buffer.from('{"é":"😀"}', 'utf8').toString('hex'),
    );
  });
});

describe('values outside I-JSON are refused', () => {
  it('rejects NaN and infinities', () => {
    expect(() => canonicalize(Number.NaN)).toThrow(/canonicalize: non-finite/);
    expect(() => canonicalize(fromBits('7fffffffffffffff'))).toThrow(/non-finite/);
    expect(() => canonicalize({ x: Number.POSITIVE_INFINITY })).toThrow(/non-finite/);
    expect(() => canonicalize([Number.NEGATIVE_INFINITY])).toThrow(/non-finite/);
  });

  it('rejects lone surrogates in values and keys, accepts paired ones', () => {
    for (const bad of ['\uD800', 'a\uDC00', '\uDBFFx', '\uDC00\uD800']) {
      expect(() => canonicalize(bad)).toThrow(/lone surrogate/);
      expect(() => canonicalize({ [bad]: 1 })).toThrow(/lone surrogate/);
    }
    expect(canonicalize('\uD83D\uDE00')).toBe('"😀"');
  });

  it('rejects values JSON cannot hold instead of serializing them silently', () => {
    expect(() => canonicalize(undefined)).toThrow(/canonicalize/);
    expect(() => canonicalize([undefined])).toThrow(/canonicalize/);
    expect(() => canonicalize(10n)).toThrow(/canonicalize/);
    expect(() => canonicalize(() => 1)).toThrow(/canonicalize/);
    expect(() => canonicalize(new Date(0))).toThrow(/canonicalize: not a plain object/);
    expect(() => canonicalize(new Map([['a', 1]]))).toThrow(/not a plain object/);
    expect(() => canonicalize({ bytes: new Uint8Array(2) })).toThrow(/not a plain object/);
    // A sparse array would otherwise come out as "[,1]".
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point of the test
    expect(() => canonicalize([, 1])).toThrow(/canonicalize/);
  });

  it('drops undefined object members, as JSON.stringify does', () => {
    expect(canonicalize({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(canonicalize(Object.assign(Object.create(null), { b: 1, a: 2 }))).toBe('{"a":2,"b":1}');
  });
});
