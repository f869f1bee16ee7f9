// The coordinator's public read API for the log alone (transcript, checkpoints, log key, proofs): plain fetch,
// so the auditor in the browser reads it with the same code as `ceremony verify`.
import { ceremonyIdPattern } from '../limits.js';
import type { LogSource, SourceHead } from './sources.js';

const SMALL_REQUEST_TIMEOUT_MS = 60_000;
const CHECKPOINT_FETCHES_IN_FLIGHT = 8;
/** Appends may land between reading the transcript and the checkpoint; a few re-reads find a matching pair. */
const HEAD_ATTEMPTS = 3;

export class HttpLogSource implements LogSource {
  readonly label: string;
  readonly ceremonyId: string;
  protected readonly base: string;

  constructor(options: { server: string; ceremony: string }) {
    let url: URL;
    try {
      url = new URL(options?.server);
    } catch {
      throw new TypeError(`HttpLogSource: '${String(options?.server)}' is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`HttpLogSource: server URL must be http or https, got ${url.protocol}`);
    }
    if (typeof options.ceremony !== 'string' || !ceremonyIdPattern.test(options.ceremony)) {
      throw new TypeError(`HttpLogSource: '${String(options.ceremony)}' is not a ceremony id`);
    }
    // Accept both `http://host` and `http://host/v1`.
    this.base = `${url.href.replace(/\/+$/, '').replace(/\/v1$/, '')}/v1`;
    this.ceremonyId = options.ceremony;
    this.label = `${this.base.slice(0, -3)} ceremony ${options.ceremony}`;
  }

  protected ceremonyUrl(path: string): string {
    return `${this.base}/ceremonies/${this.ceremonyId}${path}`;
  }

  /** GET; undefined on 404, an error naming the URL on any other failure. */
  protected async get(url: string, timeout = true): Promise<Response | undefined> {
    let response: Response;
    try {
      response = await fetch(url, timeout ? { signal: AbortSignal.timeout(SMALL_REQUEST_TIMEOUT_MS) } : {});
    } catch (err) {
      // fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, a timeout) is in its cause.
      const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
      const reason = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new Error(`cannot reach ${new URL(url).origin} (GET ${url}): ${String(reason)}`);
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) {
      const text = (await response.text()).slice(0, 200);
      throw new Error(`GET ${url} answered ${response.status}: ${text}`);
    }
    return response;
  }

  protected async getText(url: string): Promise<string | undefined> {
    return (await this.get(url))?.text();
  }

  async readHead(): Promise<SourceHead> {
    let head: SourceHead | undefined;
    for (let attempt = 0; attempt < HEAD_ATTEMPTS; attempt++) {
      const transcript = await this.getText(this.ceremonyUrl('/transcript'));
      if (transcript === undefined)
        throw new Error(`HttpLogSource: no ceremony '${this.ceremonyId}' at ${this.label}`);
      const checkpoint = await this.getText(this.ceremonyUrl('/checkpoint'));
      head = { transcript, checkpoint };
      if (checkpoint === undefined || sizeOfNote(checkpoint) === countLines(transcript)) break;
    }
    return head!;
  }

  async readCheckpoints(knownSize: number): Promise<Map<number, string>> {
    const notes = new Map<number, string>();
    let next = 1;
    const worker = async () => {
      while (next <= knownSize) {
        const size = next++;
        const note = await this.getText(this.ceremonyUrl(`/checkpoints/${size}`));
        if (note !== undefined) notes.set(size, note);
      }
    };
    await Promise.all(Array.from({ length: CHECKPOINT_FETCHES_IN_FLIGHT }, worker));
    return new Map([...notes.entries()].sort((a, b) => a[0] - b[0]));
  }

  async readLogKey(): Promise<string | undefined> {
    return (await this.getText(`${this.base}/log-key`))?.trim();
  }

  async readConsistencyProof(from: number, to: number): Promise<string[] | undefined> {
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 1 || from > to) return undefined;
    const response = await this.get(this.ceremonyUrl(`/proof/consistency?from=${from}&to=${to}`)).catch(
      () => undefined,
    );
    const body = (await response?.json().catch(() => undefined)) as { proof?: unknown } | undefined;
    const proof = body?.proof;
    return Array.isArray(proof) && proof.every((h) => typeof h === 'string')
      ? (proof as string[])
      : undefined;
  }
}

function countLines(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

/** The tree size a checkpoint note states, or -1 when it does not parse (the checks will say why). */
function sizeOfNote(note: string): number {
  const match = /^[^\n]*\n(0|[1-9][0-9]*)\n/.exec(note);
  return match ? Number(match[1]) : -1;
}
