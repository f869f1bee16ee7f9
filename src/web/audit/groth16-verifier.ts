// snarkjs's Groth16 Solidity verifier template as a function of the verification key. scripts/build-web.mjs swaps
// this module for the template compiled by snarkjs's own ejs at build time: snarkjs's browser build leaves ejs out,
// and ejs compiles templates with eval, which the page's Content-Security-Policy refuses.
export function renderGroth16Verifier(_verificationKey: unknown): string {
  throw new Error('renderGroth16Verifier: the web build (scripts/build-web.mjs) compiles the template in');
}
