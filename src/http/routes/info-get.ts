// GET /v1/info: what a newcomer needs before anything else: where the single-file CLI is and its SHA-256, and the
// origin this coordinator's logins name (the host name to type in --server).
import { Type } from '@sinclair/typebox';
import { CLI_FILE_PATH, type CliFile, loadCliFile } from '../../storage/cli-file.js';
import type { Route } from '../types.js';

const InfoSchema = Type.Object({
  cli: Type.Union([Type.Object({ path: Type.String(), sha256: Type.String() }), Type.Null()]),
  origin: Type.String(),
});

export const infoGet: Route = (app, s) => {
  let file: Promise<CliFile | undefined> | undefined;
  app.get(
    '/v1/info',
    {
      schema: {
        tags: ['public'],
        summary: 'The single-file CLI (path and SHA-256; null when not built) and the login origin',
        response: { 200: InfoSchema },
      },
    },
    async () => {
      file ??= loadCliFile();
      const cli = await file;
      return {
        cli: cli === undefined ? null : { path: CLI_FILE_PATH, sha256: cli.sha256 },
        origin: s.signer.name,
      };
    },
  );
};
