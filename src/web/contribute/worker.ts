// The Web Worker that computes a contribution with snarkjs, off the page's thread. The entropy arrives here and
// goes nowhere else: only the new zkey and its contribution hash are posted back.
import * as snarkjs from 'snarkjs';

export interface ContributeRequest {
  kind?: 'contribute';
  zkey: ArrayBuffer;
  /** Stored in the zkey's contribution record (at most 64 characters, as the CLI stores). */
  name: string;
  entropy: string;
}

export type ContributeReply =
  | { ok: true; zkey: ArrayBuffer; contributionHash: string; ms: number }
  | { ok: false; error: string };

/** The audit's final.zkey check: snarkjs `zkey verify` of the final zkey against its r1cs and ptau. */
export interface VerifyRequest {
  kind: 'verify';
  zkey: ArrayBuffer;
  r1cs: ArrayBuffer;
  ptau: ArrayBuffer;
}

export type VerifyReply = { ok: true; verified: boolean; ms: number } | { ok: false; error: string };

// ffjavascript would start its own thread pool from blob: URLs, which the page's CSP (worker-src 'self') refuses:
// without a Worker constructor it computes on this worker's thread instead.
(globalThis as { Worker?: unknown }).Worker = undefined;

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<ContributeRequest | VerifyRequest>) => void) | null;
  postMessage(message: ContributeReply | VerifyReply, transfer?: Transferable[]): void;
};

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** snarkjs logs what fails through the logger it is given; the verdict alone comes back. */
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function verify(request: VerifyRequest): Promise<void> {
  const started = performance.now();
  try {
    const mem = (b: ArrayBuffer): snarkjs.zKey.MemFile => ({ type: 'mem', data: new Uint8Array(b) });
    const verified = await snarkjs.zKey.verifyFromR1cs(
      mem(request.r1cs),
      mem(request.ptau),
      mem(request.zkey),
      quiet,
    );
    scope.postMessage({ ok: true, verified: verified === true, ms: performance.now() - started });
  } catch (err) {
    scope.postMessage({ ok: false, error: (err as Error).message ?? String(err) });
  }
}

scope.onmessage = async (event) => {
  if (event.data.kind === 'verify') return verify(event.data);
  const { zkey, name, entropy } = event.data;
  const started = performance.now();
  try {
    if (typeof entropy !== 'string' || entropy.length === 0) throw new Error('contribute: no entropy');
    const out: { type: 'mem'; data?: Uint8Array } = { type: 'mem' };
    const hash = await snarkjs.zKey.contribute(
      { type: 'mem', data: new Uint8Array(zkey) },
      out,
      name.slice(0, 64),
      entropy,
    );
    if (!out.data) throw new Error('contribute: snarkjs wrote no zkey');
    const data = out.data.slice();
    scope.postMessage(
      {
        ok: true,
        zkey: data.buffer,
        contributionHash: hex(new Uint8Array(hash)),
        ms: performance.now() - started,
      },
      [data.buffer],
    );
  } catch (err) {
    scope.postMessage({ ok: false, error: (err as Error).message ?? String(err) });
  }
};
