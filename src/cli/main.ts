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
import { StartRefusedError } from '../storage/data-dir-lock.js';
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
import { waitForSignal } from './signals.js';

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

/** Runs one command line; `output` defaults to the process's stdout and stderr. */
export async function main(argv: string[], output?: CliOutput): Promise<number> {
  let parsed: ParsedCommand;
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    return reportFailure(output ?? createOutput(argv.includes('--json')), err);
  }
  const out = output ?? createOutput(parsed.json);
  if (argv.length === 0) {
    // No command is a mistake (a script that lost its arguments must not pass): usage on stderr, exit 2.
    out.writeStderr(formatHelp(parsed.name));
    return EXIT_USAGE;
  }
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
    case 'demo':
    case 'restore':
    case 'rotate-log-key': {
      // Commands that run a coordinator or its database: absent from the single-file ceremony.mjs.
      const { runOperatorCommand } = await import('./operator-commands.js');
      return runOperatorCommand(name, flags, out);
    }
    case 'verify':
      return verify(flags, out);
    case 'witness vkey': {
      const { printWitnessKey } = await import('./commands/witness.js');
      const result = await printWitnessKey({
        name: requiredString(flags, 'name'),
        key: requiredString(flags, 'key'),
      });
      printResult(out, result, [result.vkey]);
      return 0;
    }
    case 'witness serve':
      return serveWitness(flags, out);
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
        name: nameFlag(flags),
        receiptDir,
        witnessWaitSeconds: integerFlag(flags, 'witness-wait', 60, 0, 86_400),
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
        server: serverFlag(flags),
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
        server: serverFlag(flags),
        keyFile: requiredString(flags, 'key'),
        out: requiredString(flags, 'out'),
        output: out,
      });
      printResult(out, summary, formatBackup(summary));
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
    case 'remove-circuit':
    case 'rewind': {
      const remedies = await import('./commands/admin-remedies.js');
      const result = await remedies.runRemedy(sub, {
        ...opts,
        circuit: optionalString(flags, 'circuit'),
        participant: optionalString(flags, 'participant'),
        publicKey: optionalString(flags, 'public-key'),
        ...(sub === 'rewind' ? { to: integerFlag(flags, 'to', undefined, 0, 2 ** 31 - 1) } : {}),
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
    server: serverFlag(flags),
    keyFile: requiredString(flags, 'key'),
    ceremony: requiredString(flags, 'ceremony'),
  };
}

/** `--name`: the name a participant is listed under for good, so a blank one is a mistake, not a default. */
function nameFlag(flags: Flags): string | undefined {
  const name = displayTextFlag(flags, 'name');
  if (name !== undefined && name.trim() === '')
    throw new UsageError(
      '--name is blank: give the name you will be listed under (it cannot be changed later)',
    );
  return name;
}

/** `--server`: an http(s) URL, checked here so the mistake is named as the user wrote it. */
function serverFlag(flags: Flags): string {
  return checkServerUrl(requiredString(flags, 'server'));
}

function checkServerUrl(server: string): string {
  let url: URL | undefined;
  try {
    url = new URL(server);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new UsageError(
      `--server '${server}' is not an http(s) URL: write it whole, e.g. https://ceremony.example or http://127.0.0.1:8080`,
    );
  return server;
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

async function serveWitness(flags: Flags, out: CliOutput): Promise<number> {
  const witness = await import('./commands/witness.js');
  const limits = witness.DEFAULT_WITNESS_LIMITS;
  const running = await witness.startWitness({
    name: requiredString(flags, 'name'),
    key: requiredString(flags, 'key'),
    logs: stringList(flags, 'log'),
    dataDir: requiredString(flags, 'data-dir'),
    host: optionalString(flags, 'host') ?? '127.0.0.1',
    port: integerFlag(flags, 'port', 8090, 0, 65535),
    limits: {
      maxBodyBytes: integerFlag(flags, 'max-body-bytes', limits.maxBodyBytes, 1024, 1024 * 1024),
      requestsPerMinute: integerFlag(flags, 'requests-per-minute', limits.requestsPerMinute, 1, 10_000_000),
      maxConnections: integerFlag(flags, 'max-connections', limits.maxConnections, 1, 100_000),
      requestTimeoutMs: limits.requestTimeoutMs,
    },
    maxEvidenceBytes: integerFlag(
      flags,
      'max-evidence-bytes',
      witness.DEFAULT_MAX_EVIDENCE_BYTES,
      0,
      Number.MAX_SAFE_INTEGER,
    ),
  });
  printResult(out, { vkey: running.vkey, url: running.url }, [
    running.vkey,
    `witness listening on ${running.url}`,
  ]);
  await waitForSignal(out);
  await running.close();
  return 0;
}

async function verify(flags: Flags, out: CliOutput): Promise<number> {
  const given = optionalString(flags, 'server');
  const server = given === undefined ? undefined : checkServerUrl(given);
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
    receipt: stringList(flags, 'receipt'),
    logKey: optionalString(flags, 'log-key'),
    witnesses: stringList(flags, 'witness'),
    witnessQuorum: integerFlag(flags, 'witness-quorum', undefined, 1, 64),
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
  if (err instanceof StartRefusedError) return err.exitCode;
  return usage ? EXIT_USAGE : EXIT_FAILURE;
}
