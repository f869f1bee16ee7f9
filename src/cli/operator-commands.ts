// Commands that run a coordinator or its database (serve, demo, restore, rotate-log-key): they need the package's
// migrations, web page and embedded database beside them, so the single-file ceremony.mjs leaves this module out
// (scripts/build-cli.mjs swaps in operator-commands-absent.ts).
import { type Flags, integerFlag, optionalString, requiredString } from './args.js';
import { type CliOutput, printResult } from './output.js';
import { waitForSignal } from './signals.js';

const EXIT_FAILURE = 1;
const SHUTDOWN_HARD_LIMIT_MS = 30_000;

export async function runOperatorCommand(name: string, flags: Flags, out: CliOutput): Promise<number> {
  switch (name) {
    case 'serve':
      return serve(flags, out);
    case 'demo': {
      const participants = integerFlag(flags, 'participants', 3, 1, 100);
      const { runDemo } = await import('./commands/demo.js');
      return runDemo({
        participants,
        json: out.json,
        dir: optionalString(flags, 'dir'),
        keep: flags.keep === true,
        port: integerFlag(flags, 'port', 0, 0, 65535),
        witnesses: integerFlag(flags, 'witnesses', 0, 0, 5),
      });
    }
    case 'restore': {
      const { formatRestore, runRestore } = await import('./commands/restore.js');
      const { loadBlobStoreConfig } = await import('../config.js');
      const result = await runRestore({
        from: requiredString(flags, 'from'),
        dataDir: requiredString(flags, 'data-dir'),
        databaseUrl: optionalString(flags, 'database-url') ?? emptyAsUndefined(process.env.DATABASE_URL),
        transcriptsDir: optionalString(flags, 'transcripts-dir'),
        logKey: await logKeyFlag(flags, 'log-key'),
        blobStore: loadBlobStoreConfig(process.env),
        force: flags.force === true,
      });
      printResult(out, result, formatRestore(result));
      return 0;
    }
    case 'rotate-log-key': {
      const { formatRotation, runRotateLogKey } = await import('./commands/rotate-log-key.js');
      const result = await runRotateLogKey({
        dataDir: requiredString(flags, 'data-dir'),
        databaseUrl: optionalString(flags, 'database-url') ?? emptyAsUndefined(process.env.DATABASE_URL),
        logKey: await logKeyFlag(flags, 'log-key'),
        newKey: requiredString(flags, 'new-log-key'),
        keyFile: requiredString(flags, 'key'),
        lostLogKey: optionalString(flags, 'lost-log-key'),
      });
      printResult(out, result, formatRotation(result));
      return 0;
    }
    default:
      throw new Error(`runOperatorCommand: not an operator command: ${name}`);
  }
}

async function serve(flags: Flags, out: CliOutput): Promise<number> {
  const { loadConfig } = await import('../config.js');
  const { startServer } = await import('../server.js');
  const serveFlags: Record<string, string | string[] | boolean | undefined> = {};
  for (const [key, value] of Object.entries(flags)) {
    if (key !== 'json' && key !== 'help') serveFlags[key] = Array.isArray(value) ? value.map(String) : value;
  }
  const server = await startServer(loadConfig(serveFlags, process.env));
  printResult(out, { url: server.url }, [`ceremony coordinator listening on ${server.url}`]);
  await waitForSignal(out);
  // A second signal, or a close that still hangs well past the grace period, ends the process outright.
  const hardStop = () => process.exit(EXIT_FAILURE);
  process.once('SIGINT', hardStop);
  process.once('SIGTERM', hardStop);
  setTimeout(hardStop, SHUTDOWN_HARD_LIMIT_MS).unref();
  await server.close();
  return 0;
}

/** `--log-key` (else LOG_KEY): a key file or a PKCS#11 URI, never a raw seed. */
async function logKeyFlag(flags: Flags, name: string): Promise<string | undefined> {
  const { checkKeySpec } = await import('../keys/key-spec.js');
  const spec = optionalString(flags, name) ?? emptyAsUndefined(process.env.LOG_KEY);
  return checkKeySpec(spec, `--${name}/LOG_KEY`);
}

function emptyAsUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
