// The page's contribution upload: one PUT of the zkey (or of its rest, from the byte the server holds), and which of
// its failures a resume can mend. The session (session.ts) decides when to resume, as the CLI's submitUntilFiled.
import type { ContributionView } from '../../ceremony/types.js';
import { ApiError, base64Utf8, parseJson, toApiError } from './worker-client.js';

/** Uploads tried in one turn when the connection keeps breaking; attempts that moved the upload on do not count. */
export const MAX_UPLOAD_ATTEMPTS = 5;

/** The connection broke before the server answered: what reached it may be held, so the upload can go on. */
export class UploadCut extends Error {
  constructor() {
    super('the connection broke during the upload');
    this.name = 'UploadCut';
  }
}

export interface PutOptions {
  url: string;
  token: string | undefined;
  attestation: string;
  statement: string | undefined;
  /** Sends the file from this byte with `x-ceremony-upload-offset`; the whole file, without the header, when absent. */
  offset: number | undefined;
  /** Bytes of the whole file sent so far (counting from byte 0, so a resume shows where it stands). */
  onProgress: (done: number, total: number) => void;
}

/** PUTs the zkey, or its rest from `offset` (XMLHttpRequest: fetch cannot report upload progress). */
export function putZkey(zkey: Blob, opts: PutOptions): Promise<ContributionView> {
  const from = opts.offset ?? 0;
  if (!Number.isSafeInteger(from) || from < 0 || from > zkey.size)
    throw new RangeError(`putZkey: offset must be an integer from 0 to ${zkey.size}, got ${opts.offset}`);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', opts.url);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    if (opts.token !== undefined) xhr.setRequestHeader('authorization', `Bearer ${opts.token}`);
    xhr.setRequestHeader('x-ceremony-attestation', opts.attestation);
    if (opts.statement) xhr.setRequestHeader('x-ceremony-statement', base64Utf8(opts.statement));
    if (opts.offset !== undefined) xhr.setRequestHeader('x-ceremony-upload-offset', String(opts.offset));
    xhr.upload.onprogress = (e) => opts.onProgress(from + e.loaded, zkey.size);
    xhr.onerror = () => reject(new UploadCut());
    xhr.onload = () => {
      const body = parseJson(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as ContributionView);
      else reject(toApiError(xhr.status, body));
    };
    xhr.send(opts.offset === undefined ? zkey : zkey.slice(from));
  });
}

// A gateway's answer while the coordinator restarts: the bytes it took are held as after a cut.
const GATEWAY_STATUS = new Set([502, 503, 504]);

/** A cut, a gateway error, the turn's earlier upload still held, or a resume from the wrong byte: ask and go on. */
export function isResumable(err: unknown): boolean {
  if (err instanceof UploadCut) return true;
  if (!(err instanceof ApiError)) return false;
  return (
    GATEWAY_STATUS.has(err.status) ||
    err.code === 'UPLOAD_IN_PROGRESS' ||
    err.code === 'UPLOAD_OFFSET_MISMATCH'
  );
}
