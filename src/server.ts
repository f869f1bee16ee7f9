// Starts the coordinator on its port; everything else is built in app.ts.
import { buildApp } from './app.js';
import type { Config } from './config.js';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: Config): Promise<RunningServer> {
  const { app } = await buildApp(config);
  const url = await app.listen({ host: config.host, port: config.port });
  return { url, close: () => app.close() };
}
