// Long-running commands (serve, witness serve) wait here for the operator's Ctrl-C or the service manager's stop.
import type { CliOutput } from './output.js';

/** Resolves with the first SIGINT or SIGTERM, after saying so on stderr (not in --json mode). */
export async function waitForSignal(out: CliOutput): Promise<NodeJS.Signals> {
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const stop = (sig: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(sig);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  if (!out.json) out.writeStderr(`${signal}: shutting down\n`);
  return signal;
}
