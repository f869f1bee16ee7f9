// The command-line client as a newcomer gets it: the single file ceremony.mjs this coordinator serves, run with
// plain `node`. Every command the page shows starts with CLI; the download link and its SHA-256 (GET /v1/info)
// are on the ceremonies list.
import { getJson } from '../api.js';
import { h } from '../dom.js';

export const CLI = 'node ceremony.mjs';

interface Info {
  cli: { path: string; sha256: string } | null;
}

/** The line that fetches the CLI from this coordinator, for the top of a block of commands. */
export function cliFetchLine(): string {
  return `curl -fsSO ${location.origin}/cli/ceremony.mjs   # check its SHA-256 on the ceremonies list`;
}

/** The download link and the SHA-256 to compare with the one the coordinator announced. */
export function cliDownload(): HTMLElement {
  const box = h('p', { id: 'cli-download' }, 'Command-line client: loading…');
  getJson<Info>('/v1/info')
    .then(({ cli }) => {
      box.replaceChildren(
        ...(cli === null
          ? ['This coordinator does not serve the single-file command-line client (it was not built).']
          : [
              'Command-line client (one file, runs with Node.js 20.19 or later): ',
              h('a', { href: cli.path, download: 'ceremony.mjs', id: 'cli-link' }, 'ceremony.mjs'),
              ', SHA-256 ',
              h('code', { id: 'cli-sha256' }, cli.sha256),
              '. Compare it with the one the coordinator announced, then run ',
              h('code', null, `${CLI} --help`),
              '.',
            ]),
      );
    })
    .catch((err: unknown) =>
      box.replaceChildren(`Command-line client: could not load (${(err as Error).message}).`),
    );
  return box;
}
