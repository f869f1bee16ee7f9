import { Readable } from 'node:stream';
import * as q from '../../db/queries/transcript.js';
import { fileSource } from '../../storage/fs-blobs.js';
import { CeremonyParams } from '../schemas.js';
import { sendStoredFile } from '../send-file.js';
import type { Route } from '../types.js';

const CONTENT_TYPE = 'application/x-ndjson';

export const transcriptGet: Route = (app, s) =>
  app.get(
    '/v1/ceremonies/:id/transcript',
    {
      schema: {
        tags: ['public'],
        summary:
          'Every transcript entry, one canonical JSON line each, in seq order (application/x-ndjson); ETag and Range',
        params: CeremonyParams,
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      // Entries up to the newest checkpoint (the view's size), so the body never shows a half-written append.
      const { transcriptSize } = await s.board.view(id);
      let file = s.transcripts?.published(id);
      if (file !== undefined && file.size < transcriptSize) {
        // The publish of the change just committed is under way: wait for it rather than send an older file.
        await s.transcripts?.settle(id);
        file = s.transcripts?.published(id);
      }
      if (file !== undefined && file.size >= transcriptSize) {
        // The file is the log's bytes, read at O(1) queries; the tag names its size and root, which only a restore
        // from backup could pair with other bytes, and then the root differs.
        const head = file.size === 0 ? undefined : await q.selectCheckpoint(s.db, id, file.size);
        reply.header('X-Tree-Size', String(file.size));
        return sendStoredFile(request, reply, {
          source: await fileSource(file.path),
          sha256: '',
          etag: `"${file.size}-${head?.root_hash ?? 'empty'}"`,
          length: file.bytes,
          contentType: CONTENT_TYPE,
        }).catch(() => sendFromDatabase(file?.size ?? transcriptSize));
      }
      return sendFromDatabase(transcriptSize);

      // The file is not published yet (first publish after a start, or publishing failed): entries in batches.
      function sendFromDatabase(size: number) {
        async function* lines() {
          for (let from = 0; from < size; ) {
            const batch = await q.selectEntries(s.db, id, from, Math.min(2000, size - from));
            if (batch.length === 0) return;
            yield batch.map((e) => `${e.line}\n`).join('');
            from += batch.length;
          }
        }
        reply.header('Content-Type', CONTENT_TYPE).header('X-Tree-Size', String(size));
        return reply.send(Readable.from(lines()));
      }
    },
  );
