// RFC 8785 (JSON Canonicalization Scheme) for the values the transcript holds.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Serializes `value` as RFC 8785 canonical JSON: keys sorted by UTF-16 code units, ECMAScript number form. */
export function canonicalize(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalize: non-finite number ${value}`);
      // JSON.stringify of a number is the ECMAScript Number-to-String form RFC 8785 prescribes.
      return JSON.stringify(value);
    case 'string':
      if (loneSurrogate.test(value)) throw new TypeError('canonicalize: string holds a lone surrogate');
      return JSON.stringify(value);
    case 'object': {
      // Array.from visits holes too (as undefined, which throws); map would skip them and emit "[,1]".
      if (Array.isArray(value)) return `[${Array.from(value, (v) => canonicalize(v)).join(',')}]`;
      // A Date, Map or Uint8Array would otherwise serialize silently as its own enumerable keys.
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null)
        throw new TypeError('canonicalize: not a plain object');
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      // Default string order compares UTF-16 code units, which is the order RFC 8785 requires.
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${canonicalize(k)}:${canonicalize(v)}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalize: cannot serialize a ${typeof value}`);
  }
}

/** The canonical bytes of `value` (UTF-8). */
export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalize(value));
}
