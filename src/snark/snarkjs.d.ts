// The part of snarkjs 0.7.6 this project calls (snarkjs ships no types). Only src/snark/job-process.ts,
// src/snark/step-verify/curve.ts and the test helpers call it; everything else goes through runner.ts.
declare module 'snarkjs' {
  export interface SnarkjsLogger {
    debug(message: string): void;
    info(message: string): void;
    warn(message: string): void;
    error(message: string): void;
  }

  /** ffjavascript's WASM group: points are Uint8Array (affine 2·n8 bytes or Jacobian 3·n8, Montgomery LE). */
  export interface SnarkjsGroup {
    readonly zero: Uint8Array;
    readonly g: Uint8Array;
    add(a: Uint8Array, b: Uint8Array): Uint8Array;
    neg(a: Uint8Array): Uint8Array;
    isZero(a: Uint8Array): boolean;
    eq(a: Uint8Array, b: Uint8Array): boolean;
    timesScalar(a: Uint8Array, s: Uint8Array | number): Uint8Array;
    toAffine(a: Uint8Array): Uint8Array;
    /** Reads an affine point in file encoding (little-endian Montgomery). */
    fromRprLEM(bytes: Uint8Array, offset: number): Uint8Array;
    toRprLEM(out: Uint8Array, offset: number, a: Uint8Array): void;
    /** Σ scalarsᵢ·basesᵢ on the worker threads; bases affine LEM, scalars n·k bytes little-endian. */
    multiExpAffine(bases: Uint8Array, scalars: Uint8Array): Promise<Uint8Array>;
    /** On the curve (not a subgroup check); infinity counts as valid. */
    isValid(a: Uint8Array): boolean;
    /** A point sampled as snarkjs does (field elements, a sign bit, then times the cofactor); Jacobian for G2. */
    fromRng(rng: { nextU32(): number; nextU64(): bigint; nextBool(): boolean }): Uint8Array;
  }

  /** ffjavascript's thread manager: the calling thread's own WASM instance and its memory. */
  export interface SnarkjsThreadManager {
    readonly instance: { exports: Record<string, (...args: number[]) => number> };
    readonly memory: WebAssembly.Memory;
    u8: Uint8Array;
    u32: Uint32Array;
    alloc(length: number): number;
  }

  export interface SnarkjsCurve {
    readonly G1: SnarkjsGroup;
    readonly G2: SnarkjsGroup;
    readonly tm: SnarkjsThreadManager;
    /** True when the product of e(g1ᵢ, g2ᵢ) over the pairs is 1. */
    pairingEq(...points: Uint8Array[]): Promise<boolean>;
    terminate(): Promise<void>;
  }

  export namespace zKey {
    /** Returns the circuit hash, or -1 after logging an error (too-small ptau, unprepared ptau, other curve). */
    function newZKey(
      r1csName: string,
      ptauName: string,
      zkeyName: string,
      logger?: SnarkjsLogger,
    ): Promise<Uint8Array | number>;
    function verifyFromInit(
      initFileName: string,
      ptauFileName: string,
      zkeyFileName: string,
      logger?: SnarkjsLogger,
    ): Promise<boolean>;
    function verifyFromR1cs(
      r1csFileName: string | MemFile,
      ptauFileName: string | MemFile,
      zkeyFileName: string | MemFile,
      logger?: SnarkjsLogger,
    ): Promise<boolean>;
    /** fastfile's in-memory file: snarkjs reads `data`, or fills it when writing (the browser's way). */
    interface MemFile {
      type: 'mem';
      data?: Uint8Array;
    }
    /** Returns the 64-byte contribution hash. An empty entropy makes snarkjs prompt on stdin. */
    function contribute(
      zkeyNameOld: string | MemFile,
      zkeyNameNew: string | MemFile,
      name: string,
      entropy: string,
      logger?: SnarkjsLogger,
    ): Promise<Uint8Array>;
    /** Returns the 64-byte contribution hash, or false after logging an error. */
    function beacon(
      zkeyNameOld: string,
      zkeyNameNew: string,
      name: string,
      beaconHashHex: string,
      numIterationsExp: number | string,
      logger?: SnarkjsLogger,
    ): Promise<Uint8Array | false>;
    function exportVerificationKey(
      zkeyName: string | MemFile,
      logger?: SnarkjsLogger,
    ): Promise<Record<string, unknown>>;
    function exportSolidityVerifier(
      zkeyName: string | MemFile,
      templates: Record<string, string>,
      logger?: SnarkjsLogger,
    ): Promise<string>;
  }

  export namespace curves {
    function getCurveFromName(name: string): Promise<SnarkjsCurve>;
  }
}
