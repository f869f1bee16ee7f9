// HTTP client for the coordinator: challenge–response login, JSON calls, streamed downloads and uploads.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { acceptableOrigin, authMessage } from '../ceremony/auth-message.js';
import { isHex, toHex } from '../crypto/hex.js';
import { assertSigner, type Signer } from '../keys/signer.js';
import { createDurableWriter } from '../storage/durable-writer.js';

// A server never reached is likely a wrong address: fail within seconds.
const FIRST_CONTACT_RETRY_DELAYS_MS = [500, 1500, 4000];
// One that answered before and went away is likely restarting (crash, deploy, database failover): about a minute.
const RETRY_DELAYS_MS = [500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000];
const RETRYABLE_STATUS = new Set([502, 503, 504]);
// A zkey download may be sent on to a presigned object-store URL.
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
// An error answer is read whole only up to this much.
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** An error answer from the coordinator, or a transport failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export type ProgressCallback = (doneBytes: number, totalBytes: number | undefined) => void;

export interface LoginResult {
  token: string;
  expiresAt: string;
  coordinator: boolean;
}

export interface DownloadResult {
  sha256: string;
  size: number;
  /** True when the hash matched an ETag or `expectedSha256`; false when there was nothing to check it against. */
  checked: boolean;
}

export class CoordinatorClient {
  readonly baseUrl: string;
  private token: string | undefined;
  private keys: Signer | undefined;
  /** Whether the server has answered this client at least once. */
  private reached = false;
  /** Told each time the server asks to wait (429 with Retry-After) before the request is sent again. */
  onWait: ((message: string) => void) | undefined;

  constructor(baseUrl: string) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new TypeError(`CoordinatorClient: '${baseUrl}' is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`CoordinatorClient: server URL must be http or https, got ${url.protocol}`);
    }
    // Accept both `http://host` and `http://host/v1`.
    this.baseUrl = url.href.replace(/\/+$/, '').replace(/\/v1$/, '');
  }

  /** Absolute URL of an API path (`/ceremonies/x` → `<base>/v1/ceremonies/x`); absolute URLs pass through. */
  apiUrl(path: string): string {
    if (/^https?:\/\//.test(path)) return path;
    if (!path.startsWith('/')) throw new TypeError(`apiUrl: path must start with '/', got '${path}'`);
    return `${this.baseUrl}/v1${path}`;
  }

  /** Logs in; `register` joins a ceremony open to all in the same step when the server does not know the key. */
  async login(keys: Signer, register?: { ceremony: string; name: string }): Promise<LoginResult> {
    assertSigner('login', keys);
    // Challenge and login retry as a pair: a nonce the server consumed before it went away is useless.
    return this.withRetries(() => this.loginOnce(keys, register));
  }

  private async loginOnce(keys: Signer, register?: { ceremony: string; name: string }): Promise<LoginResult> {
    const publicKey = toHex(keys.publicKey);
    const { nonce, origin } = await this.requestJson<{ nonce: string; origin: string }>(
      'POST',
      '/auth/challenge',
      { publicKey },
      false,
    );
    if (typeof nonce !== 'string' || typeof origin !== 'string')
      throw new ApiError(0, 'BAD_RESPONSE', 'login: the server sent no nonce or origin (ceremony-auth/v2)');
    const signed = acceptableOrigin(this.baseUrl, origin);
    if (signed === undefined) {
      throw new ApiError(
        0,
        'ORIGIN_MISMATCH',
        `login: the server at ${this.baseUrl} asks to sign for origin '${origin}', not its own host name: ` +
          'it may be relaying another server (its operator sets CEREMONY_ORIGIN to the public host name)',
      );
    }
    const signature = toHex(keys.sign(authMessage(signed, nonce)));
    const result = await this.requestJson<LoginResult>(
      'POST',
      '/auth/login',
      { publicKey, nonce, signature, ...(register ? { register } : {}) },
      false,
    );
    this.token = result.token;
    this.keys = keys;
    return result;
  }

  getJson<T>(path: string): Promise<T> {
    return this.requestJson<T>('GET', path);
  }

  postJson<T>(path: string, body: unknown = {}): Promise<T> {
    return this.requestJson<T>('POST', path, body);
  }

  /** A POST the server treats as idempotent (joining the queue): retried like a GET when the server is away. */
  postIdempotentJson<T>(path: string, body: unknown = {}): Promise<T> {
    return this.requestJson<T>('POST', path, body, true, true);
  }

  deleteJson<T>(path: string): Promise<T> {
    return this.requestJson<T>('DELETE', path);
  }

  async getText(path: string): Promise<string> {
    return (await this.send('GET', path, undefined, true)).text();
  }

  /**
   * Streams `url` to `path` through a temp file, hashing in the same pass; checks ETag and `expectedSha256`.
   * The body is read with node's http client (no web stream in between) and written through the durable writer,
   * which has the disk write back while the body arrives instead of in one fsync at the end (docs/BENCHMARKS.md).
   */
  async downloadToFile(
    path: string,
    url: string,
    expectedSha256?: string,
    onProgress?: ProgressCallback,
    mode?: number,
  ): Promise<DownloadResult> {
    if (typeof path !== 'string' || path.length === 0)
      throw new TypeError('downloadToFile: path is required');
    if (expectedSha256 !== undefined && !isHex(expectedSha256, 32)) {
      throw new TypeError('downloadToFile: expectedSha256 must be 64 lowercase hex characters');
    }
    const absolute = this.apiUrl(url);
    return this.withRetries(async () => {
      const { body, etag } = await this.openDownload(absolute);
      const length = Number(body.headers['content-length']);
      const total = Number.isFinite(length) && length > 0 ? length : undefined;
      const hash = createHash('sha256');
      let size = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          size += chunk.length;
          onProgress?.(size, total);
          callback(null, chunk);
        },
      });
      const temp = `${path}.${randomBytes(6).toString('hex')}.part`;
      let bodyError: unknown;
      body.on('error', (err) => {
        bodyError = err;
      });
      try {
        await pipeline(body, meter, createDurableWriter(temp, { mode })).catch((err) => {
          // A connection cut mid-body is a transport failure worth retrying; a disk error is not.
          throw bodyError === undefined ? err : transportError(absolute, bodyError);
        });
        if (total !== undefined && size !== total) {
          throw new ApiError(0, 'NETWORK', `download of ${absolute} ended at ${size} of ${total} bytes`);
        }
        const sha256 = hash.digest('hex');
        if (etag !== undefined && etag !== sha256) {
          throw new ApiError(
            0,
            'HASH_MISMATCH',
            `download of ${absolute}: SHA-256 ${sha256} does not match ETag ${etag}`,
          );
        }
        if (expectedSha256 !== undefined && expectedSha256 !== sha256) {
          throw new ApiError(
            0,
            'HASH_MISMATCH',
            `download of ${absolute}: SHA-256 ${sha256}, expected ${expectedSha256}`,
          );
        }
        await rename(temp, path);
        return { sha256, size, checked: etag !== undefined || expectedSha256 !== undefined };
      } catch (err) {
        body.destroy();
        await rm(temp, { force: true });
        throw err;
      }
    });
  }

  /**
   * The download's response and the SHA-256 the coordinator names in its ETag; waits out a short 429 and logs in
   * again on a 401, as every other call does. A redirect (a presigned object-store URL) is followed here, without
   * the bearer token, and the coordinator's ETag still decides: the store's own ETag is not a SHA-256.
   */
  private async openDownload(absolute: string): Promise<{ body: IncomingMessage; etag: string | undefined }> {
    const url = new URL(absolute);
    const authorized = () =>
      getResponse(url, this.token === undefined ? {} : { authorization: `Bearer ${this.token}` });
    let response = await this.patiently(
      authorized,
      (r) => ({
        status: r.statusCode ?? 0,
        retryAfter: headerOf(r, 'retry-after'),
        discard: () => r.resume(),
      }),
      true,
    );
    this.reached = true;
    const etag = parseEtag(headerOf(response, 'etag') ?? null);
    let target = url;
    for (let hops = 0; REDIRECT_STATUS.has(response.statusCode ?? 0); hops++) {
      response.resume();
      const location = headerOf(response, 'location');
      if (location === undefined)
        throw new ApiError(
          response.statusCode ?? 0,
          'BAD_RESPONSE',
          `redirect without Location from ${target.href}`,
        );
      if (hops === MAX_REDIRECTS)
        throw new ApiError(
          response.statusCode ?? 0,
          'BAD_RESPONSE',
          `more than ${MAX_REDIRECTS} redirects from ${absolute}`,
        );
      target = new URL(location, target);
      if (target.protocol !== 'http:' && target.protocol !== 'https:')
        throw new ApiError(
          response.statusCode ?? 0,
          'BAD_RESPONSE',
          `redirect to ${target.protocol} from ${absolute}`,
        );
      response = await getResponse(target, {});
      if (response.statusCode !== undefined && response.statusCode >= 400) {
        response.resume();
        throw new ApiError(
          response.statusCode,
          RETRYABLE_STATUS.has(response.statusCode) ? `HTTP_${response.statusCode}` : 'DOWNLOAD_FAILED',
          `the redirected download of ${absolute} answered ${response.statusCode}`,
        );
      }
    }
    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300) throw toApiError(status, await readSmallBody(response));
    return { body: response, etag };
  }

  /**
   * Streams a file as the request body (default PUT) and returns the parsed JSON answer; from byte `offset` on
   * when given (a resumed upload: `x-ceremony-upload-offset`).
   */
  async uploadFile<T>(
    url: string,
    path: string,
    headers: Record<string, string> = {},
    onProgress?: ProgressCallback,
    method = 'PUT',
    offset?: number,
  ): Promise<T> {
    const { size } = await stat(path);
    if (offset !== undefined && (!Number.isSafeInteger(offset) || offset < 0 || offset > size))
      throw new RangeError(`uploadFile: offset must be an integer from 0 to ${size}, got ${offset}`);
    const sent = offset === undefined ? headers : { ...headers, 'x-ceremony-upload-offset': String(offset) };
    const stream = () =>
      this.streamUpload(this.apiUrl(url), path, size, sent, method, onProgress, offset ?? 0);
    let answer = await stream();
    if (answer.status === 401 && this.keys !== undefined) {
      await this.login(this.keys);
      answer = await stream();
    }
    if (answer.status < 200 || answer.status >= 300) throw toApiError(answer.status, answer.body);
    return JSON.parse(answer.body) as T;
  }

  private async requestJson<T>(
    method: string,
    path: string,
    body?: unknown,
    relogin = true,
    retry = method === 'GET',
  ): Promise<T> {
    const response = await this.send(method, path, body, relogin, retry);
    const text = await response.text();
    try {
      return (text.length === 0 ? {} : JSON.parse(text)) as T;
    } catch {
      throw new ApiError(
        response.status,
        'BAD_RESPONSE',
        `${method} ${path}: the server's answer is not JSON`,
      );
    }
  }

  /** One request with the bearer token; retries transport failures when `retry` and re-logs in once on 401. */
  private async send(
    method: string,
    path: string,
    body: unknown,
    relogin: boolean,
    retry = method === 'GET',
  ): Promise<Response> {
    const attempt = () => this.fetchOnce(method, path, body, retry);
    const response = await this.patiently(
      retry ? () => this.withRetries(attempt) : attempt,
      (r) => ({
        status: r.status,
        retryAfter: r.headers.get('retry-after'),
        discard: () => r.body?.cancel(),
      }),
      relogin,
    );
    if (!response.ok) throw toApiError(response.status, await response.text());
    return response;
  }

  /**
   * Sends again after a 429 that asks for a short wait (up to three times, waiting as the server asks) and once
   * after a fresh login on a 401; the answer is the caller's to judge.
   */
  private async patiently<R>(
    attempt: () => Promise<R>,
    answer: (r: R) => { status: number; retryAfter: string | null | undefined; discard: () => unknown },
    relogin: boolean,
  ): Promise<R> {
    let response = await attempt();
    for (let waited = 0; answer(response).status === 429 && waited < 3; waited++) {
      const seconds = Number(answer(response).retryAfter);
      if (!Number.isFinite(seconds) || seconds > 60) break;
      await answer(response).discard();
      this.onWait?.(
        `the coordinator asks to wait ${Math.max(1, seconds)} s (a request budget, or the rejoin cool-down ` +
          'after leaving the queue); waiting, then trying again',
      );
      await sleep(Math.max(1, seconds) * 1000);
      response = await attempt();
    }
    if (answer(response).status === 401 && relogin && this.keys !== undefined) {
      await answer(response).discard();
      await this.login(this.keys);
      response = await attempt();
    }
    return response;
  }

  private async fetchOnce(
    method: string,
    path: string,
    body: unknown,
    retryable: boolean,
  ): Promise<Response> {
    const url = this.apiUrl(path);
    const headers: Record<string, string> = {};
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw transportError(url, err);
    }
    this.reached = true;
    if (retryable && RETRYABLE_STATUS.has(response.status)) {
      throw toApiError(response.status, await response.text());
    }
    return response;
  }

  private async withRetries<T>(attempt: () => Promise<T>): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        return await attempt();
      } catch (err) {
        const delay = (this.reached ? RETRY_DELAYS_MS : FIRST_CONTACT_RETRY_DELAYS_MS)[i];
        if (!isTransient(err) || delay === undefined) throw err;
        await sleep(delay);
      }
    }
  }

  private streamUpload(
    url: string,
    path: string,
    size: number,
    headers: Record<string, string>,
    method: string,
    onProgress: ProgressCallback | undefined,
    offset: number,
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const target = new URL(url);
      const requestHeaders: Record<string, string> = {
        ...headers,
        'content-type': 'application/octet-stream',
        'content-length': String(size - offset),
      };
      if (this.token !== undefined) requestHeaders.authorization = `Bearer ${this.token}`;
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      // 1 MiB reads: fewer, larger socket writes than the default 64 KiB.
      const file = createReadStream(path, { highWaterMark: 1 << 20, start: offset });
      let answered = false;
      const req = send(target, { method, headers: requestHeaders }, (res: IncomingMessage) => {
        // The server may answer (e.g. 409 not your turn) before reading the whole body.
        answered = true;
        file.unpipe(req);
        file.destroy();
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', (err) => reject(transportError(url, err)));
      });
      req.on('error', (err) => {
        if (!answered) reject(transportError(url, err));
      });
      let sent = offset;
      file.on('data', (chunk) => {
        sent += chunk.length;
        onProgress?.(sent, size);
      });
      file.on('error', (err) => {
        req.destroy();
        reject(err);
      });
      file.pipe(req);
    });
  }
}

/** The server was away or overloaded (not an answer about the request itself): worth trying again. */
export function isTransient(err: unknown): err is ApiError {
  return (
    err instanceof ApiError &&
    err.code !== 'HASH_MISMATCH' &&
    (err.status === 0 || RETRYABLE_STATUS.has(err.status))
  );
}

/** `"<hex>"` or `W/"<hex>"` → hex; undefined when the header is absent or not a SHA-256. */
export function parseEtag(header: string | null): string | undefined {
  if (header === null) return undefined;
  const value = header.replace(/^W\//, '').replace(/^"|"$/g, '').toLowerCase();
  return isHex(value, 32) ? value : undefined;
}

function toApiError(status: number, text: string): ApiError {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = parsed.error ?? {};
    if (typeof code === 'string')
      return new ApiError(status, code, typeof message === 'string' ? message : code);
  } catch {
    // Not our JSON error body (e.g. a proxy's HTML page): fall through to the status line.
  }
  return new ApiError(status, `HTTP_${status}`, `the server answered HTTP ${status}`);
}

function transportError(url: string, err: unknown): ApiError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.code ?? cause?.message ?? (err as Error).message;
  return new ApiError(0, 'NETWORK', `cannot reach ${new URL(url).origin}: ${reason}`);
}

/** A GET whose body is left to the caller as a Node stream. */
function getResponse(url: URL, headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method: 'GET', headers }, resolve);
    req.on('error', (err) => reject(transportError(url.href, err)));
    req.end();
  });
}

function headerOf(response: IncomingMessage, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** An error answer's text, up to MAX_ERROR_BODY_BYTES; the rest is dropped with the connection. */
async function readSmallBody(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_ERROR_BODY_BYTES) {
        response.destroy();
        break;
      }
      chunks.push(chunk);
    }
  } catch {
    // A cut connection leaves what arrived; the status line still says what went wrong.
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
