// The `ceremony` command line: every command, its flags and usage (docs/PROTOCOL.md section 2), parsed with node:util.
import { type ParseArgsConfig, parseArgs } from 'node:util';

export type FlagValue = string | boolean | (string | boolean)[] | undefined;
export type Flags = Record<string, FlagValue>;
type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** A mistake on the command line: reported in one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

interface CommandSpec {
  usage: string;
  options: OptionSpecs;
  required: readonly string[];
}

const str = { type: 'string' } as const;
const bool = { type: 'boolean' } as const;
const conn = { server: str, key: str, ceremony: str };

export const commandSpecs: Readonly<Record<string, CommandSpec>> = {
  serve: {
    usage:
      'serve [--port 8080] [--host 127.0.0.1] [--data-dir ./data] [--transcripts-dir DATA_DIR/transcripts] ' +
      '[--database-url URL] [--coordinator PUBKEY_HEX]... [--origin HOST] [--heartbeat-interval S] ' +
      '[--heartbeat-grace S] [--log-level LEVEL] [--role all|api|worker] [--log-key FILE|URI] ' +
      '[--witnesses FILE] [--witness-quorum K]',
    options: {
      role: str,
      port: str,
      host: str,
      'data-dir': str,
      'transcripts-dir': str,
      'database-url': str,
      coordinator: { type: 'string', multiple: true },
      origin: str,
      'log-key': str,
      'heartbeat-interval': str,
      'heartbeat-grace': str,
      'log-level': str,
      witnesses: str,
      'witness-quorum': str,
    },
    required: [],
  },
  demo: {
    usage: 'demo [--participants 3] [--dir DIR] [--keep] [--port 0] [--witnesses 0]',
    options: { participants: str, dir: str, keep: bool, port: str, witnesses: str },
    required: [],
  },
  keygen: {
    usage: 'keygen (--out FILE | --pkcs11 URI)',
    options: { out: str, pkcs11: str },
    required: [],
  },
  'admin create': {
    usage:
      'admin create --server URL --key FILE --ceremony ID --title TEXT [--timeout-seconds 600] ' +
      '[--starts-at ISO] [--ends-at ISO] [--open-registration] [--approvals M] [--co-coordinator HEX]...',
    options: {
      ...conn,
      approvals: str,
      'co-coordinator': { type: 'string', multiple: true },
      title: str,
      'timeout-seconds': str,
      'starts-at': str,
      'ends-at': str,
      'open-registration': bool,
    },
    required: ['server', 'key', 'ceremony', 'title'],
  },
  'admin add-circuit': {
    usage: 'admin add-circuit --server URL --key FILE --ceremony ID --name NAME --r1cs FILE --ptau FILE',
    options: { ...conn, name: str, r1cs: str, ptau: str },
    required: ['server', 'key', 'ceremony', 'name', 'r1cs', 'ptau'],
  },
  'admin add-participant': {
    usage: 'admin add-participant --server URL --key FILE --ceremony ID --name TEXT --public-key HEX',
    options: { ...conn, name: str, 'public-key': str },
    required: ['server', 'key', 'ceremony', 'name', 'public-key'],
  },
  'admin open': {
    usage: 'admin open --server URL --key FILE --ceremony ID',
    options: conn,
    required: ['server', 'key', 'ceremony'],
  },
  'admin close': {
    usage: 'admin close --server URL --key FILE --ceremony ID',
    options: conn,
    required: ['server', 'key', 'ceremony'],
  },
  'admin finalize': {
    usage:
      'admin finalize --server URL --key FILE --ceremony ID --beacon HEX --beacon-source TEXT [--iterations-exp 10]',
    options: { ...conn, beacon: str, 'beacon-source': str, 'iterations-exp': str },
    required: ['server', 'key', 'ceremony', 'beacon', 'beacon-source'],
  },
  'admin add-coordinator': {
    usage: 'admin add-coordinator --server URL --key FILE --ceremony ID --public-key HEX',
    options: { ...conn, 'public-key': str },
    required: ['server', 'key', 'ceremony', 'public-key'],
  },
  'admin remove-coordinator': {
    usage: 'admin remove-coordinator --server URL --key FILE --ceremony ID --public-key HEX',
    options: { ...conn, 'public-key': str },
    required: ['server', 'key', 'ceremony', 'public-key'],
  },
  'admin pending': {
    usage: 'admin pending --server URL --key FILE --ceremony ID',
    options: conn,
    required: ['server', 'key', 'ceremony'],
  },
  'admin withdraw': {
    usage: 'admin withdraw --server URL --key FILE --ceremony ID --request HEX',
    options: { ...conn, request: str },
    required: ['server', 'key', 'ceremony', 'request'],
  },
  'admin expire-turn': {
    usage: 'admin expire-turn --server URL --key FILE --ceremony ID --circuit NAME',
    options: { ...conn, circuit: str },
    required: ['server', 'key', 'ceremony', 'circuit'],
  },
  'admin revoke-participant': {
    usage: 'admin revoke-participant --server URL --key FILE --ceremony ID --participant ID',
    options: { ...conn, participant: str },
    required: ['server', 'key', 'ceremony', 'participant'],
  },
  'admin retry-circuit': {
    usage: 'admin retry-circuit --server URL --key FILE --ceremony ID --circuit NAME',
    options: { ...conn, circuit: str },
    required: ['server', 'key', 'ceremony', 'circuit'],
  },
  'admin remove-circuit': {
    usage: 'admin remove-circuit --server URL --key FILE --ceremony ID --circuit NAME',
    options: { ...conn, circuit: str },
    required: ['server', 'key', 'ceremony', 'circuit'],
  },
  'admin rewind': {
    usage: 'admin rewind --server URL --key FILE --ceremony ID --circuit NAME --to INDEX',
    options: { ...conn, circuit: str, to: str },
    required: ['server', 'key', 'ceremony', 'circuit', 'to'],
  },
  'admin backup': {
    usage: 'admin backup --server URL --key FILE --out DIR',
    options: { server: str, key: str, out: str },
    required: ['server', 'key', 'out'],
  },
  restore: {
    usage:
      'restore --from DIR --data-dir DIR [--database-url URL] [--transcripts-dir DIR] [--log-key FILE|URI] [--force]',
    options: {
      from: str,
      'data-dir': str,
      'database-url': str,
      'transcripts-dir': str,
      'log-key': str,
      force: bool,
    },
    required: ['from', 'data-dir'],
  },
  'rotate-log-key': {
    usage:
      'rotate-log-key --data-dir DIR [--database-url URL] [--log-key FILE|URI] --new-log-key FILE|URI --key FILE|URI [--lost-log-key VKEY]',
    options: {
      'data-dir': str,
      'database-url': str,
      'log-key': str,
      'new-log-key': str,
      key: str,
      'lost-log-key': str,
    },
    required: ['data-dir', 'new-log-key', 'key'],
  },
  contribute: {
    usage:
      'contribute --server URL --key FILE --ceremony ID [--entropy TEXT | --entropy-file PATH|-] [--statement TEXT] [--name TEXT] [--receipt-dir ./receipts] [--witness-wait 60]',
    options: {
      ...conn,
      entropy: str,
      'entropy-file': str,
      statement: str,
      name: str,
      'receipt-dir': str,
      'witness-wait': str,
    },
    required: ['server', 'key', 'ceremony'],
  },
  download: {
    usage: 'download --server URL --ceremony ID --circuit NAME --out FILE [--index N]',
    options: { server: str, ceremony: str, circuit: str, out: str, index: str },
    required: ['server', 'ceremony', 'circuit', 'out'],
  },
  upload: {
    usage:
      'upload --server URL --key FILE --ceremony ID --circuit NAME --zkey FILE [--statement TEXT] ' +
      '[--receipt-dir ./receipts]',
    options: { ...conn, circuit: str, zkey: str, statement: str, 'receipt-dir': str },
    required: ['server', 'key', 'ceremony', 'circuit', 'zkey'],
  },
  'witness serve': {
    usage:
      'witness serve --name NAME --key FILE|URI --log [ORIGIN=]VKEY... --data-dir DIR [--host 127.0.0.1] ' +
      '[--port 8090] [--max-body-bytes 32768] [--requests-per-minute 6000] [--max-connections 256] ' +
      '[--max-evidence-bytes 67108864]',
    options: {
      name: str,
      key: str,
      log: { type: 'string', multiple: true },
      'data-dir': str,
      host: str,
      port: str,
      'max-body-bytes': str,
      'requests-per-minute': str,
      'max-connections': str,
      'max-evidence-bytes': str,
    },
    required: ['name', 'key', 'log', 'data-dir'],
  },
  'witness vkey': {
    usage: 'witness vkey --name NAME --key FILE|URI',
    options: { name: str, key: str },
    required: ['name', 'key'],
  },
  verify: {
    usage:
      'verify (--server URL --ceremony ID | --dir PATH [--server URL]) [--checkpoint FILE]... [--receipt FILE]... [--log-key VKEY] ' +
      '[--witness VKEY... [--witness-quorum K]] [--full]',
    options: {
      server: str,
      ceremony: str,
      dir: str,
      checkpoint: { type: 'string', multiple: true },
      receipt: { type: 'string', multiple: true },
      'log-key': str,
      witness: { type: 'string', multiple: true },
      'witness-quorum': str,
      full: bool,
    },
    required: [],
  },
};

const commonOptions: OptionSpecs = { json: bool, help: { type: 'boolean', short: 'h' } };

export interface ParsedCommand {
  /** `help` when no command was given, else a key of `commandSpecs`. */
  name: string;
  flags: Flags;
  help: boolean;
  json: boolean;
}

export function parseCommandLine(argv: readonly string[]): ParsedCommand {
  if (!Array.isArray(argv)) throw new TypeError('parseCommandLine: argv must be an array of strings');
  const [first, second] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    return { name: 'help', flags: {}, help: true, json: false };
  }
  let name = first;
  let rest = argv.slice(1);
  if (first === 'witness') {
    if (second === '--help' || second === '-h')
      return { name: 'witness', flags: {}, help: true, json: false };
    if (second !== 'serve' && second !== 'vkey')
      throw new UsageError('witness: give a subcommand (serve, vkey)');
    name = `witness ${second}`;
    rest = argv.slice(2);
  } else if (first === 'admin') {
    if (second === undefined || second.startsWith('-')) {
      if (second === '--help' || second === '-h')
        return { name: 'admin', flags: {}, help: true, json: false };
      throw new UsageError(
        'admin: missing subcommand (create, add-circuit, add-participant, add-coordinator, remove-coordinator, open, ' +
          'close, finalize, pending, withdraw, expire-turn, revoke-participant, retry-circuit, remove-circuit, backup)',
      );
    }
    name = `admin ${second}`;
    rest = argv.slice(2);
  }
  const spec = commandSpecs[name];
  if (spec === undefined) throw new UsageError(`unknown command '${name}' (run 'ceremony --help')`);
  let values: Flags;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { ...spec.options, ...commonOptions },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    // Node's messages run on with advice about `--`; the first sentence is the reason.
    throw new UsageError(`${name}: ${(err as Error).message.split('. ')[0]}`);
  }
  const help = values.help === true;
  if (!help) {
    for (const flag of spec.required) {
      if (values[flag] === undefined)
        throw new UsageError(`${name}: missing --${flag} (usage: ceremony ${spec.usage})`);
    }
  }
  return { name, flags: values, help, json: values.json === true };
}

const KEY_NOTE =
  'A key (--key, --log-key) is a key file from keygen or a PKCS#11 URI (pkcs11:token=…;object=…; module from ' +
  'module-path or PKCS11_MODULE, PIN from pin-source=file:PATH or PKCS11_PIN).\n';

export function formatHelp(name: string): string {
  const spec = commandSpecs[name];
  if (spec !== undefined)
    return `usage: ceremony ${spec.usage} [--json]\n${/--(key|log-key) FILE/.test(spec.usage) ? KEY_NOTE : ''}`;
  const names = Object.keys(commandSpecs).filter(
    (n) => (name !== 'admin' || n.startsWith('admin ')) && (name !== 'witness' || n.startsWith('witness ')),
  );
  const lines = names.map((n) => `  ceremony ${commandSpecs[n]?.usage}`);
  return `usage:\n${lines.join('\n')}\n\nEvery command takes --json (one JSON object on stdout) and --help.\n${KEY_NOTE}`;
}

export function optionalString(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new UsageError(`--${name} expects a value`);
  return value;
}

/** Every value of a repeatable flag, in the order given; empty when absent. */
export function stringList(flags: Flags, name: string): string[] {
  const value = flags[name];
  if (value === undefined) return [];
  const values = Array.isArray(value) ? value : [value];
  if (!values.every((v): v is string => typeof v === 'string'))
    throw new UsageError(`--${name} expects a value`);
  return values;
}

export function requiredString(flags: Flags, name: string): string {
  const value = optionalString(flags, name);
  if (value === undefined || value.length === 0) throw new UsageError(`missing --${name}`);
  return value;
}

/** An integer flag within [min, max]; `fallback` when absent. */
export function integerFlag(flags: Flags, name: string, fallback: number, min: number, max: number): number;
export function integerFlag(
  flags: Flags,
  name: string,
  fallback: undefined,
  min: number,
  max: number,
): number | undefined;
export function integerFlag(
  flags: Flags,
  name: string,
  fallback: number | undefined,
  min: number,
  max: number,
): number | undefined {
  const raw = optionalString(flags, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}
