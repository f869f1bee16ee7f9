// The Web Worker that computes a contribution with snarkjs, off the page's thread. The entropy arrives here and
// goes nowhere else: only the new zkey and its contribution hash are posted back.
import * as snarkjs from 'snarkjs';

export interface ContributeRequest {
  zkey: ArrayBuffer;
  /** Stored in the zkey's contribution record (at most 64 characters, as the CLI stores). */
  name: string;
  entropy: string;
}

export type ContributeReply =
  | { ok: true; zkey: ArrayBuffer; contributionHash: string; ms: number }
  | { ok: false; error: string };

// ffjavascript would start its own thread pool from blob: URLs, which the page's CSP (worker-src 'self') refuses:
// without a Worker constructor it computes on this worker's thread instead.
(globalThis as { Worker?: unknown }).Worker = undefined;

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<ContributeRequest>) => void) | null;
  postMessage(message: ContributeReply, transfer?: Transferable[]): void;
};

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

scope.onmessage = async (event) => {
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
