// Runs a coordinator in its own process (configured by environment variables) so a test can kill it outright.
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/server.js';

const server = await startServer(loadConfig({}, process.env));
process.send?.({ url: server.url });
