// `ceremony download`: fetches a circuit's current (or a given) zkey, e.g. to contribute on an air-gapped machine.
import { resolve } from 'node:path';
import { readZkeyInfo } from '../../snark/zkey-file.js';
import { CoordinatorClient, type DownloadResult } from '../client.js';
import { type CliOutput, printNote } from '../output.js';
import { createProgress } from '../progress.js';

export interface DownloadOptions {
  server: string;
  ceremony: string;
  circuit: string;
  out: string;
  /** Contribution index (0 = initial); the newest accepted zkey when absent. */
  index?: number;
  output: CliOutput;
}

export interface DownloadSummary {
  ceremony: string;
  circuit: string;
  index: number;
  path: string;
  sha256: string;
  size: number;
}

export async function runDownload(opts: DownloadOptions): Promise<DownloadSummary> {
  if (typeof opts?.circuit !== 'string' || opts.circuit === '')
    throw new TypeError('runDownload: circuit is required');
  if (opts.index !== undefined && (!Number.isSafeInteger(opts.index) || opts.index < 0)) {
    throw new RangeError(`runDownload: index must be a non-negative integer, got ${opts.index}`);
  }
  const client = new CoordinatorClient(opts.server);
  const path = resolve(opts.out);
  const which = opts.index === undefined ? 'latest' : String(opts.index);
  const url = `/ceremonies/${encodeURIComponent(opts.ceremony)}/circuits/${encodeURIComponent(opts.circuit)}/zkeys/${which}`;
  const bar = createProgress(opts.output).transfer(`download ${opts.circuit} ${which}`);
  let downloaded: DownloadResult;
  try {
    // downloadToFile checks the SHA-256 against the ETag the server sends.
    downloaded = await client.downloadToFile(path, url, undefined, (done, total) => bar.update(done, total));
  } finally {
    bar.finish();
  }
  if (!downloaded.checked)
    printNote(opts.output, 'warning: the server sent no ETag; the SHA-256 is unchecked');
  // The file itself tells which contribution it ends with, so `latest` cannot race with a new acceptance.
  const info = await readZkeyInfo(path);
  const index = info.contributions.filter((c) => c.type === 0).length;
  if (opts.index !== undefined && index !== opts.index) {
    throw new Error(`zkey ${opts.index} of circuit ${opts.circuit} holds ${index} contribution(s)`);
  }
  return {
    ceremony: opts.ceremony,
    circuit: opts.circuit,
    index,
    path,
    sha256: downloaded.sha256,
    size: downloaded.size,
  };
}

export function formatDownload(summary: DownloadSummary): string[] {
  return [
    `saved ${summary.circuit} zkey #${summary.index} to ${summary.path}`,
    `  sha256: ${summary.sha256}`,
    `  index: ${summary.index}`,
  ];
}
