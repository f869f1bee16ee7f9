// Extra entropy for `contribute` from a file or stdin, so it need not sit in argv (visible in `ps`, shell history).
import { readFile } from 'node:fs/promises';
import { UsageError } from './args.js';

export const MAX_ENTROPY_BYTES = 1024 * 1024;

/** Reads a whole stream, refusing more than `max` bytes. */
async function readBounded(stream: NodeJS.ReadableStream, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += bytes.length;
    if (size > max) throw new UsageError(`--entropy-file: more than ${max} bytes`);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

/**
 * The entropy text to mix in: `--entropy TEXT` as given, or the bytes of `--entropy-file PATH` (`-` = stdin) as hex,
 * so binary input such as a dice-roll file or `head -c 64 /dev/urandom` keeps every bit.
 */
export async function readEntropy(
  flags: { text?: string | undefined; file?: string | undefined },
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<string | undefined> {
  if (flags.text !== undefined && flags.file !== undefined) {
    throw new UsageError('give --entropy or --entropy-file, not both');
  }
  if (flags.file === undefined) return flags.text;
  const bytes =
    flags.file === '-'
      ? await readBounded(stdin, MAX_ENTROPY_BYTES)
      : await readFile(flags.file).catch((err: NodeJS.ErrnoException) => {
          throw new UsageError(`--entropy-file ${flags.file}: ${err.code ?? err.message}`);
        });
  if (bytes.length === 0) throw new UsageError('--entropy-file: the input is empty');
  if (bytes.length > MAX_ENTROPY_BYTES)
    throw new UsageError(`--entropy-file: more than ${MAX_ENTROPY_BYTES} bytes`);
  return bytes.toString('hex');
}
