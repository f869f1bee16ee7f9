// The web page at `/` and its assets, every one served by us under a strict Content-Security-Policy.
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { findWebDir, loadWebAssets, type WebAsset } from '../../storage/web-assets.js';
import type { Route } from '../types.js';

/** Scripts and styles from this origin only; WebAssembly compilation is the one allowance (snarkjs needs it). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const webPage: Route = (app, s) => {
  let assets: Promise<Map<string, WebAsset>> | undefined;
  const dir = findWebDir();
  const load = () => {
    assets ??= dir ? loadWebAssets(dir) : Promise.resolve(new Map());
    return assets;
  };
  app.addHook('onReady', async () => {
    if (!dir) s.log.warn('the web page is not built (npm run build): / answers 503');
    await load();
  });

  const serve = async (path: string, request: FastifyRequest, reply: FastifyReply) => {
    reply
      .header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Referrer-Policy', 'no-referrer')
      .header('Cross-Origin-Opener-Policy', 'same-origin');
    const asset = (await load()).get(path);
    if (!asset) {
      if (path === '/')
        return reply
          .status(503)
          .type('text/plain; charset=utf-8')
          .send('The web page is not built: run `npm run build`.');
      return reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no file ${path}` } });
    }
    reply
      .header('Content-Type', asset.contentType)
      .header('ETag', asset.etag)
      .header('Cache-Control', 'no-cache')
      .header('Vary', 'Accept-Encoding');
    if (request.headers['if-none-match'] === asset.etag) return reply.status(304).send();
    const accepts = String(request.headers['accept-encoding'] ?? '');
    if (/\bgzip\b/.test(accepts)) return reply.header('Content-Encoding', 'gzip').send(asset.gzipped);
    return reply.send(asset.body);
  };

  app.get('/', { schema: { hide: true } }, (request, reply) => serve('/', request, reply));
  app.get(
    '/assets/:file',
    { schema: { hide: true, params: Type.Object({ file: Type.String({ maxLength: 100 }) }) } },
    (request, reply) => serve(`/assets/${request.params.file}`, request, reply),
  );
};
