// Streams a stored file (a local file or an object-store blob) with ETag = its SHA-256 (or a tag the caller names)
// and single-range `Range`.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CeremonyError } from '../errors.js';
import type { BlobSource } from '../storage/blob-backend.js';

export async function sendStoredFile(
  request: FastifyRequest,
  reply: FastifyReply,
  file: {
    /** Undefined when the file is not (or no longer) stored: 404. */
    source: BlobSource | undefined;
    sha256: string;
    /** Overrides the ETag made of `sha256` (a file that grows: the caller names the version it sends). */
    etag?: string;
    /** Sends only the first `length` bytes (a file appended to while it is read). */
    length?: number;
    contentType: string;
    downloadName?: string;
    /** Only for URLs whose content can never change (named by hash or index); others revalidate by ETag. */
    immutable?: boolean;
  },
): Promise<FastifyReply> {
  if (file.source === undefined) throw new CeremonyError('NOT_FOUND', 'file is not in the store');
  const size = Math.min(file.source.size, file.length ?? file.source.size);
  const etag = file.etag ?? `"${file.sha256}"`;
  reply
    .header('ETag', etag)
    .header('Accept-Ranges', 'bytes')
    .header('Cache-Control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  reply.header('Content-Type', file.contentType);
  if (file.downloadName) reply.header('Content-Disposition', `attachment; filename="${file.downloadName}"`);
  if (matchesEtag(request.headers['if-none-match'], etag)) return reply.status(304).send();
  const range = request.headers.range;
  if (range !== undefined) {
    const match = /^bytes=(\d*)-(\d*)$/.exec(range);
    let start = match?.[1] ? Number(match[1]) : undefined;
    let end = match?.[2] ? Number(match[2]) : undefined;
    if (start === undefined && end !== undefined) {
      start = Math.max(0, size - end);
      end = size - 1;
    }
    if (!match || start === undefined || start >= size || (end !== undefined && end < start)) {
      return reply
        .status(416)
        .header('Content-Range', `bytes */${size}`)
        .header('Content-Type', 'application/json; charset=utf-8')
        .send({
          error: { code: 'BAD_REQUEST', message: `unsatisfiable range '${range}' for ${size} bytes` },
        });
    }
    const last = Math.min(end ?? size - 1, size - 1);
    reply
      .status(206)
      .header('Content-Range', `bytes ${start}-${last}/${size}`)
      .header('Content-Length', last - start + 1);
    return reply.send(await file.source.open({ start, end: last }));
  }
  reply.header('Content-Length', size);
  if (size === 0) return reply.send('');
  return reply.send(await file.source.open({ start: 0, end: size - 1 }));
}

/** `If-None-Match` may list several tags, weak ones included (RFC 9110 §13.1.2: weak comparison). */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}
