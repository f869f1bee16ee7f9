// The part of snarkjs 0.7.6 this project calls (snarkjs ships no types). Only src/snark/job-process.ts and the
// test helpers call it; everything else goes through src/snark/runner.ts.
declare module 'snarkjs' {
  export interface SnarkjsLogger {
    debug(message: string): void;
    info(message: string): void;
    warn(message: string): void;
    error(message: string): void;
  }

  export interface SnarkjsCurve {
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
      r1csFileName: string,
      ptauFileName: string,
      zkeyFileName: string,
      logger?: SnarkjsLogger,
    ): Promise<boolean>;
    /** Returns the 64-byte contribution hash. An empty entropy makes snarkjs prompt on stdin. */
    function contribute(
      zkeyNameOld: string,
      zkeyNameNew: string,
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
      zkeyName: string,
      logger?: SnarkjsLogger,
    ): Promise<Record<string, unknown>>;
    function exportSolidityVerifier(
      zkeyName: string,
      templates: Record<string, string>,
      logger?: SnarkjsLogger,
    ): Promise<string>;
  }

  export namespace curves {
    function getCurveFromName(name: string): Promise<SnarkjsCurve>;
  }
}
