// Where the CLI writes: results on stdout (exactly one JSON object with --json), everything meant for people on stderr.

export interface CliOutput {
  readonly json: boolean;
  /** True when progress may be drawn: stderr is a TTY and --json is off. */
  readonly interactive: boolean;
  /** True when stderr is a log or a pipe (no TTY, no --json): progress comes as plain lines, a few per step. */
  readonly plainProgress?: boolean;
  /** Terminal width for progress lines. */
  readonly columns: number;
  writeStdout(text: string): void;
  writeStderr(text: string): void;
}

export function createOutput(json: boolean): CliOutput {
  if (typeof json !== 'boolean') throw new TypeError('createOutput: json must be a boolean');
  return {
    json,
    interactive: !json && process.stderr.isTTY === true,
    plainProgress: !json && process.stderr.isTTY !== true,
    get columns() {
      return process.stderr.columns || 80;
    },
    // Looked up on every call so tests can spy on process.stdout.write.
    writeStdout: (text) => {
      process.stdout.write(text);
    },
    writeStderr: (text) => {
      process.stderr.write(text);
    },
  };
}

/** An output that keeps everything in memory: for driving commands from tests or other programs. */
export function createMemoryOutput(json = false): CliOutput & { stdout(): string; stderr(): string } {
  let out = '';
  let err = '';
  return {
    json,
    interactive: false,
    columns: 80,
    writeStdout: (text) => {
      out += text;
    },
    writeStderr: (text) => {
      err += text;
    },
    stdout: () => out,
    stderr: () => err,
  };
}

/** Prints a command's result: one JSON object with --json, otherwise the human lines. */
export function printResult(output: CliOutput, result: object, humanLines: readonly string[]): void {
  if (output.json) {
    output.writeStdout(`${JSON.stringify(result)}\n`);
    return;
  }
  for (const line of humanLines) output.writeStdout(`${line}\n`);
}

/** A status line for people; always on stderr so stdout stays parseable. */
export function printNote(output: CliOutput, line: string): void {
  // On a terminal, first wipe any progress line so the note does not land after it.
  output.writeStderr(`${output.interactive ? '\r\x1b[K' : ''}${line}\n`);
}
