// The page's side of the audit worker: one worker per circuit, ended afterwards with the files it held.
import type { CircuitResults } from '../../verify/final-rules.js';
import type { AuditReply, AuditRequest } from './audit-worker.js';

/** The files a request carries, handed over to the worker rather than copied. */
function transfers(input: AuditRequest): Transferable[] {
  const buffers = [input.zkey, ...('r1cs' in input.inputs ? [input.inputs.r1cs, input.inputs.ptau] : [])];
  for (const bytes of Object.values(input.published)) if (bytes) buffers.push(bytes);
  return buffers.filter((b): b is Uint8Array => b instanceof Uint8Array).map((b) => b.buffer as ArrayBuffer);
}

export function runFinalCircuit(input: AuditRequest): Promise<CircuitResults> {
  const worker = new Worker('/assets/audit-worker.js', { type: 'module', name: 'audit' });
  return new Promise((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<AuditReply>) => {
      worker.terminate();
      const reply = event.data;
      if (reply.ok) resolve(reply.results);
      else
        reject(new Error(`the audit worker could not check ${input.plan.circuit.circuit}: ${reply.error}`));
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(`the audit worker failed: ${event.message}`));
    };
    worker.postMessage(input, transfers(input));
  });
}
