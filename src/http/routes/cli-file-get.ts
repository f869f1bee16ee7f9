// GET /cli/ceremony.mjs: the single-file CLI a participant or auditor runs with plain `node`; its SHA-256 is in
// GET /v1/info and on the web page.
import type { FastifyReply } from 'fastify';
import { CeremonyError } from '../../errors.js';
import { CLI_FILE_PATH, type CliFile, loadCliFile } from '../../storage/cli-file.js';
import type { Route } from '../types.js';

export const cliFileGet: Route = (app, s) => {
  let file: Promise<CliFile | undefined> | undefined;
  const load = () => {
    file ??= loadCliFile();
    return file;
  };
  app.addHook('onReady', async () => {
    if ((await load()) === undefined)
      s.log.warn(`the single-file CLI is not built (npm run build): ${CLI_FILE_PATH} answers 404`);
  });
  app.get(
    CLI_FILE_PATH,
    { schema: { tags: ['public'], summary: 'The single-file CLI (ceremony.mjs: run it with node)' } },
    async (request, reply: FastifyReply) => {
      const cli = await load();
      if (cli === undefined)
        throw new CeremonyError('NOT_FOUND', 'this coordinator has no built ceremony.mjs');
      const etag = `"${cli.sha256}"`;
      reply
        .header('Content-Type', 'text/javascript; charset=utf-8')
        .header('Content-Disposition', 'attachment; filename="ceremony.mjs"')
        .header('X-Content-Type-Options', 'nosniff')
        .header('ETag', etag)
        .header('Cache-Control', 'no-cache')
        .header('Vary', 'Accept-Encoding');
      if (request.headers['if-none-match'] === etag) return reply.status(304).send();
      if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? '')))
        return reply.header('Content-Encoding', 'gzip').send(cli.gzipped);
      return reply.send(cli.body);
    },
  );
};
