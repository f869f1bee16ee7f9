// The one place errors become HTTP answers: catalogue errors as they are, everything else as a bare 500.
import type { FastifyError, FastifyInstance } from 'fastify';
import { isCeremonyError } from '../errors.js';

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    // A refused upload's body is still coming: close the connection rather than read or wait for the rest.
    if (!request.raw.complete) reply.header('connection', 'close');
    if (isCeremonyError(err)) {
      // UNAVAILABLE is a shutdown or a database outage, already reported where it happens.
      if (err.status >= 500 && err.code !== 'UNAVAILABLE') request.log.error({ err }, 'request failed');
      return reply.status(err.status).send({ error: { code: err.code, message: err.message } });
    }
    if (err.validation) {
      return reply.status(400).send({ error: { code: 'BAD_REQUEST', message: err.message } });
    }
    if (err.statusCode === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply
        .status(413)
        .send({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'request body too large' } });
    }
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.status(err.statusCode).send({ error: { code: 'BAD_REQUEST', message: err.message } });
    }
    if (err.code === 'ERR_STREAM_PREMATURE_CLOSE' || err.code === 'ECONNRESET') {
      return reply
        .status(400)
        .send({ error: { code: 'UPLOAD_INCOMPLETE', message: 'the upload ended before its end' } });
    }
    request.log.error({ err }, 'request failed');
    return reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url}` } }),
  );
}
