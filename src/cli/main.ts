// Entry point of the `ceremony` command (bin/ceremony.js): parse, dispatch, report; returns the exit code.

import { MAX_APPROVALS } from '../approvals/approval-message.js';
import { MAX_STATEMENT_LENGTH } from '../ceremony/attestation.js';
import { isCeremonyError } from '../errors.js';
import {
  MAX_ITERATIONS_EXP,
  MAX_TURN_TIMEOUT_SECONDS,
  MIN_ITERATIONS_EXP,
  MIN_TURN_TIMEOUT_SECONDS,
} from '../limits.js';
import { findUnsafeCharacter } from '../names.js';
import {
  type Flags,
  formatHelp,
  integerFlag,
  optionalString,
  type ParsedCommand,
  parseCommandLine,
  requiredString,
  stringList,
  UsageError,
} from './args.js';
import { ApiError } from './client.js';
import { readEntropy } from './entropy.js';
import { type CliOutput, createOutput, printResult } from './output.js';

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
const SHUTDOWN_HARD_LIMIT_MS = 30_000;

/** Runs one command line; `output` defaults to the process's stdout and stderr. */
export async function main(argv: string[], output?: CliOutput): Promise<number> {
  let parsed: ParsedCommand;
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    return reportFailure(output ?? createOutput(argv.includes('--json')), err);
  }
  const out = output ?? createOutput(parsed.json);
  if (parsed.help) {
    out.writeStdout(formatHelp(parsed.name));
    return 0;
  }
  try {
    return await runCommand(parsed.name, parsed.flags, out);
  } catch (err) {
    return reportFailure(out, err);
  }
}

async function runCommand(name: string, flags: Flags, out: CliOutput): Promise<number> {
  const receiptDir = optionalString(flags, 'receipt-dir') ?? './receipts';
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
      });
    }
    case 'verify':
      return verify(flags, out);
    case 'keygen': {
      const { formatKeygen, runKeygen } = await import('./commands/keygen.js');
      const file = optionalString(flags, 'out');
      const uri = optionalString(flags, 'pkcs11');
      if ((file === undefined) === (uri === undefined))
        throw new UsageError('keygen: give --out FILE (a key file) or --pkcs11 URI (a key made in a token)');
      const result = await runKeygen(uri === undefined ? { out: file as string } : { pkcs11: uri });
      printResult(out, result, formatKeygen(result));
      if (!out.json)
        out.writeStderr(
          result.keyFile === undefined
            ? `made ${result.key} in the token (sensitive, never extractable)\n`
            : `wrote ${result.keyFile} (mode 0600); keep it secret\n`,
        );
      return 0;
    }
    case 'contribute': {
      const opts = {
        ...connection(flags),
        entropy: await readEntropy({
          text: optionalString(flags, 'entropy'),
          file: optionalString(flags, 'entropy-file'),
        }),
        statement: statementFlag(flags),
        name: displayTextFlag(flags, 'name'),
        receiptDir,
        output: out,
      };
      const { runContribute } = await import('./commands/contribute.js');
      const { formatFlowResult } = await import('./participant-flow.js');
      const result = await runContribute(opts);
      printResult(out, result, formatFlowResult(result));
      return 0;
    }
    case 'upload': {
      const opts = {
        ...connection(flags),
        circuit: requiredString(flags, 'circuit'),
        zkey: requiredString(flags, 'zkey'),
        statement: statementFlag(flags),
        receiptDir,
        output: out,
      };
      const { runUpload } = await import('./commands/upload.js');
      const { formatFlowResult } = await import('./participant-flow.js');
      const result = await runUpload(opts);
      printResult(out, result, formatFlowResult(result));
      return 0;
    }
    case 'download': {
      const opts = {
        server: requiredString(flags, 'server'),
        ceremony: requiredString(flags, 'ceremony'),
        circuit: requiredString(flags, 'circuit'),
        out: requiredString(flags, 'out'),
        index: integerFlag(flags, 'index', undefined, 0, Number.MAX_SAFE_INTEGER),
        output: out,
      };
      const { formatDownload, runDownload } = await import('./commands/download.js');
      const summary = await runDownload(opts);
      printResult(out, summary, formatDownload(summary));
      return 0;
    }
    case 'admin backup': {
      const { formatBackup, runBackup } = await import('./commands/backup.js');
      const summary = await runBackup({
        server: requiredString(flags, 'server'),
        keyFile: requiredString(flags, 'key'),
        out: requiredString(flags, 'out'),
        output: out,
      });
      printResult(out, summary, formatBackup(summary));
      return 0;
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
      if (name.startsWith('admin ')) return runAdmin(name.slice('admin '.length), flags, out);
      throw new UsageError(`unknown command '${name}'`);
  }
}

async function runAdmin(sub: string, flags: Flags, out: CliOutput): Promise<number> {
  const admin = await import('./commands/admin.js');
  const opts = { ...connection(flags), output: out };
  switch (sub) {
    case 'create': {
      const view = await admin.createCeremony({
        ...opts,
        title: requiredString(flags, 'title'),
        timeoutSeconds: integerFlag(
          flags,
          'timeout-seconds',
          undefined,
          MIN_TURN_TIMEOUT_SECONDS,
          MAX_TURN_TIMEOUT_SECONDS,
        ),
        startsAt: optionalString(flags, 'starts-at'),
        endsAt: optionalString(flags, 'ends-at'),
        openRegistration: flags['open-registration'] === true,
        approvals: integerFlag(flags, 'approvals', undefined, 1, MAX_APPROVALS),
        coCoordinators: stringList(flags, 'co-coordinator'),
      });
      printResult(out, view, admin.formatCeremony(view));
      return 0;
    }
    case 'add-circuit': {
      const result = await admin.addCircuit({
        ...opts,
        name: requiredString(flags, 'name'),
        r1cs: requiredString(flags, 'r1cs'),
        ptau: requiredString(flags, 'ptau'),
      });
      printResult(out, result, admin.formatAddCircuit(result));
      return 0;
    }
    case 'add-participant': {
      const record = await admin.addParticipant({
        ...opts,
        name: requiredString(flags, 'name'),
        publicKey: requiredString(flags, 'public-key'),
      });
      printResult(out, record, admin.formatParticipant(record));
      return 0;
    }
    case 'open':
    case 'close': {
      const view = await (sub === 'open' ? admin.openCeremony(opts) : admin.closeCeremony(opts));
      printResult(out, view, admin.formatCeremony(view));
      return 0;
    }
    case 'finalize': {
      const view = await admin.finalizeCeremony({
        ...opts,
        beaconHex: requiredString(flags, 'beacon'),
        beaconSource: requiredString(flags, 'beacon-source'),
        iterationsExp: integerFlag(
          flags,
          'iterations-exp',
          MIN_ITERATIONS_EXP,
          MIN_ITERATIONS_EXP,
          MAX_ITERATIONS_EXP,
        ),
      });
      const { formatPending, isPendingOutcome } = await import('./commands/admin-approvals.js');
      if (isPendingOutcome(view)) printResult(out, view, formatPending(view));
      else printResult(out, view, admin.formatCeremony(view));
      return 0;
    }
    case 'pending': {
      const approvals = await import('./commands/admin-approvals.js');
      const list = await approvals.listPending(opts);
      printResult(
        out,
        { ceremony: opts.ceremony, requests: list },
        approvals.formatPendingList(opts.ceremony, list),
      );
      return 0;
    }
    case 'withdraw': {
      const approvals = await import('./commands/admin-approvals.js');
      const result = await approvals.withdrawRequest({ ...opts, request: requiredString(flags, 'request') });
      printResult(out, result, [
        `request ${result.request} withdrawn (its approvals, seq ${result.withdrawn.join(', ')}, no longer count)`,
      ]);
      return 0;
    }
    case 'add-coordinator':
    case 'remove-coordinator':
    case 'expire-turn':
    case 'revoke-participant':
    case 'retry-circuit':
    case 'remove-circuit': {
      const remedies = await import('./commands/admin-remedies.js');
      const result = await remedies.runRemedy(sub, {
        ...opts,
        circuit: optionalString(flags, 'circuit'),
        participant: optionalString(flags, 'participant'),
        publicKey: optionalString(flags, 'public-key'),
      });
      printResult(out, result.view, result.lines);
      return 0;
    }
    default:
      throw new UsageError(`unknown command 'admin ${sub}'`);
  }
}

function connection(flags: Flags): { server: string; keyFile: string; ceremony: string } {
  return {
    server: requiredString(flags, 'server'),
    keyFile: requiredString(flags, 'key'),
    ceremony: requiredString(flags, 'ceremony'),
  };
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

function statementFlag(flags: Flags): string | undefined {
  const statement = displayTextFlag(flags, 'statement', true);
  if (statement !== undefined && statement.length > MAX_STATEMENT_LENGTH) {
    throw new UsageError(
      `--statement is ${statement.length} characters; at most ${MAX_STATEMENT_LENGTH} are allowed`,
    );
  }
  return statement;
}

/** Text the server would refuse (control characters, bidi overrides) is refused here, before any network work. */
function displayTextFlag(flags: Flags, name: string, multiline = false): string | undefined {
  const text = optionalString(flags, name);
  const bad = text === undefined ? undefined : findUnsafeCharacter(text, multiline);
  if (bad !== undefined) {
    const code = `U+${(bad.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
    throw new UsageError(`--${name} must not contain control characters or bidi overrides (found ${code})`);
  }
  return text;
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
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const stop = (sig: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(sig);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  if (!out.json) out.writeStderr(`${signal}: shutting down\n`);
  // A second signal, or a close that still hangs well past the grace period, ends the process outright.
  const hardStop = () => process.exit(EXIT_FAILURE);
  process.once('SIGINT', hardStop);
  process.once('SIGTERM', hardStop);
  setTimeout(hardStop, SHUTDOWN_HARD_LIMIT_MS).unref();
  await server.close();
  return 0;
}

async function verify(flags: Flags, out: CliOutput): Promise<number> {
  const server = optionalString(flags, 'server');
  const ceremony = optionalString(flags, 'ceremony');
  const dir = optionalString(flags, 'dir');
  if (dir === undefined && (server === undefined || ceremony === undefined)) {
    throw new UsageError('verify: give --server URL --ceremony ID, or --dir PATH');
  }
  const { runVerify } = await import('./commands/verify.js');
  return runVerify({
    server,
    ceremony,
    dir,
    checkpoint: stringList(flags, 'checkpoint'),
    receipt: optionalString(flags, 'receipt'),
    logKey: optionalString(flags, 'log-key'),
    full: flags.full === true,
    json: out.json,
  });
}

/** One line on stderr (and one JSON object on stdout with --json); exit 2 for usage mistakes, else 1. */
function reportFailure(out: CliOutput, err: unknown): number {
  const usage = err instanceof UsageError;
  const code = err instanceof ApiError || isCeremonyError(err) ? err.code : usage ? 'USAGE' : 'FAILED';
  const message = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
  const shown = err instanceof ApiError && err.status > 0 ? `${message} (${err.code})` : message;
  out.writeStderr(`ceremony: ${shown}\n`);
  if (out.json && !usage) out.writeStdout(`${JSON.stringify({ error: { code, message } })}\n`);
  return usage ? EXIT_USAGE : EXIT_FAILURE;
}
