// Lowercase hex helpers with input checks; every hash and key in the transcript is lowercase hex.
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

const hexPattern = /^(?:[0-9a-f]{2})*$/;

export function toHex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

/** Parses lowercase hex of exactly `length` bytes (any length when omitted). */
export function fromHex(hex: string, length?: number, what = 'value'): Uint8Array {
  if (typeof hex !== 'string' || !hexPattern.test(hex)) {
    throw new TypeError(`fromHex: ${what} must be lowercase hex`);
  }
  if (length !== undefined && hex.length !== length * 2) {
    throw new TypeError(`fromHex: ${what} must be ${length} bytes, got ${hex.length / 2}`);
  }
  return hexToBytes(hex);
}

export function isHex(value: unknown, length?: number): value is string {
  return (
    typeof value === 'string' &&
    hexPattern.test(value) &&
    (length === undefined || value.length === length * 2)
  );
}
