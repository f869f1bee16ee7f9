// Database failures a client should retry: the server went away (restart, failover), not a fault in the request.
import { CeremonyError } from '../errors.js';

// SQLSTATE class 08 (connection exception), and admin shutdown, crash shutdown, cannot connect now.
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03']);
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);
// node-postgres reports a connection lost mid-query by message only.
const UNAVAILABLE_MESSAGE =
  /Connection terminated|Client has encountered a connection error|Client was closed and is not queryable|terminating connection due to|timeout exceeded when trying to connect/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof CeremonyError) return err.code === 'UNAVAILABLE';
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (code.startsWith('08') || UNAVAILABLE_STATES.has(code) || UNAVAILABLE_SOCKET_CODES.has(code))
      return true;
  }
  return err instanceof Error && UNAVAILABLE_MESSAGE.test(err.message);
}

/** The catalogue's UNAVAILABLE (503) for a database that is away; any other error as it is. */
export function mapDatabaseError(err: unknown): unknown {
  if (err instanceof CeremonyError || !isDatabaseUnavailable(err)) return err;
  return new CeremonyError('UNAVAILABLE', 'the database is unavailable; try again shortly');
}
