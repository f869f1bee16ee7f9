// The audit page's Web Worker: one circuit's final.* and outputs.* checks (final-circuit.ts) with snarkjs and the
// @noble/curves re-check, off the page's thread. Its own file: the page that only reads never loads snarkjs.
import * as snarkjs from 'snarkjs';
import type { CircuitResults } from '../../verify/final-rules.js';
import { checkFinalCircuit, type FinalCircuitInput, type Snark } from './final-circuit.js';
import { renderGroth16Verifier } from './groth16-verifier.js';

export type AuditRequest = FinalCircuitInput;
export type AuditReply = { ok: true; results: CircuitResults; ms: number } | { ok: false; error: string };

// ffjavascript would start its own thread pool from blob: URLs, which the page's CSP (worker-src 'self') refuses:
// without a Worker constructor it computes on this worker's thread instead.
(globalThis as { Worker?: unknown }).Worker = undefined;
// src/snark/pok.ts yields between pairings with Node's setImmediate; a zero timeout does the same here.
(globalThis as { setImmediate?: unknown }).setImmediate ??= (fn: () => void) => setTimeout(fn, 0);

// snarkjs's verifyFromR1cs draws random bytes for all of a zkey's points at once (262,128 at 2^16); the Web Crypto
// API gives at most 65,536 a call and throws above, so larger requests are filled one slice at a time.
const MAX_RANDOM_BYTES_PER_CALL = 65_536;
const getRandomValues = crypto.getRandomValues.bind(crypto);
crypto.getRandomValues = <T extends ArrayBufferView>(array: T): T => {
  if (array.byteLength <= MAX_RANDOM_BYTES_PER_CALL) return getRandomValues(array);
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  for (let at = 0; at < bytes.length; at += MAX_RANDOM_BYTES_PER_CALL)
    getRandomValues(bytes.subarray(at, at + MAX_RANDOM_BYTES_PER_CALL));
  return array;
};

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<AuditRequest>) => void) | null;
  postMessage(message: AuditReply): void;
};

// snarkjs reads a fresh in-memory file each time: it may keep a position in the one it was given.
const mem = (bytes: Uint8Array): snarkjs.zKey.MemFile => ({ type: 'mem', data: bytes });

/** Warnings and errors say why a verification failed (as the CLI's child keeps them); the rest is dropped. */
function notesLogger(notes: string[]): snarkjs.SnarkjsLogger {
  return {
    debug() {},
    info() {},
    warn: (message) => notes.push(String(message)),
    error: (message) => notes.push(String(message)),
  };
}

const snark: Snark = {
  async verifyFromR1cs(r1cs, ptau, zkey) {
    const started = performance.now();
    const notes: string[] = [];
    const ok = await snarkjs.zKey.verifyFromR1cs(mem(r1cs), mem(ptau), mem(zkey), notesLogger(notes));
    const ms = performance.now() - started;
    return ok === true ? { ok: true, ms } : { ok: false, reason: notes.join('; ') || undefined, ms };
  },
  exportVerificationKey: (zkey) => snarkjs.zKey.exportVerificationKey(mem(zkey), notesLogger([])),
  // snarkjs's exportSolidityVerifier is this (export, then render the template) with an ejs its browser build lacks.
  exportSolidityVerifier: async (zkey) =>
    renderGroth16Verifier(await snarkjs.zKey.exportVerificationKey(mem(zkey), notesLogger([]))),
};

scope.onmessage = async (event) => {
  const started = performance.now();
  try {
    const results = await checkFinalCircuit(event.data, snark);
    scope.postMessage({ ok: true, results, ms: performance.now() - started });
  } catch (err) {
    scope.postMessage({ ok: false, error: (err as Error).message ?? String(err) });
  }
};
