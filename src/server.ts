// Starts the coordinator on its port and stops it in bounded time; everything else is built in app.ts.
import { buildApp } from './app.js';
import type { Config } from './config.js';
import type { App } from './http/types.js';
import { EXIT_PORT_IN_USE, StartRefusedError } from './storage/data-dir-lock.js';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: Config): Promise<RunningServer> {
  const { app } = await buildApp(config);
  let url: string;
  try {
    url = await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    // Nothing may stay open (database, jobs, timers), or the process would hang instead of exiting.
    await closeWithin(app, config.shutdownGraceSeconds * 1000);
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new StartRefusedError(
        `port ${config.port} on ${config.host} is in use by another process`,
        EXIT_PORT_IN_USE,
      );
    throw err;
  }
  return { url, close: () => closeWithin(app, config.shutdownGraceSeconds * 1000) };
}

/**
 * Closes the app (uploads aborted, jobs stopped, database closed) without waiting on clients: connections still
 * open after `graceMs` (a request body that never ends, a stalled download) are cut.
 */
export async function closeWithin(app: App, graceMs: number): Promise<void> {
  const cut = setTimeout(() => app.server.closeAllConnections(), graceMs);
  try {
    await app.close();
  } finally {
    clearTimeout(cut);
  }
}
