// Stands in for operator-commands.ts in the single-file ceremony.mjs (scripts/build-cli.mjs): the coordinator's
// commands need the package's migrations, web page and embedded database, which one file does not carry.
import { type Flags, UsageError } from './args.js';
import type { CliOutput } from './output.js';

export async function runOperatorCommand(name: string, _flags: Flags, _out: CliOutput): Promise<number> {
  throw new UsageError(
    `'${name}' runs a coordinator and is not part of the single-file ceremony.mjs; ` +
      'install the ceremony-coordinator package to run it (README, "Coordinator")',
  );
}
