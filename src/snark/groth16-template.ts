// The Groth16 Solidity verifier template snarkjs fills in; the single-file ceremony.mjs carries it as text instead
// (scripts/build-cli.mjs swaps this module for one that holds the file's contents).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** snarkjs's package exports hide templates/, so it is found beside the CommonJS entry (build/main.cjs). */
export function groth16TemplatePath(): string {
  const entry = createRequire(import.meta.url).resolve('snarkjs');
  return join(dirname(entry), '..', 'templates', 'verifier_groth16.sol.ejs');
}

export function readGroth16Template(): Promise<string> {
  return readFile(groth16TemplatePath(), 'utf8');
}
