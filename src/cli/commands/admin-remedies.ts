// `ceremony admin add-coordinator | expire-turn | revoke-participant | retry-circuit | remove-circuit`.
import {
  type AdminOptions,
  type CeremonyView,
  ceremonyPath,
  connectCoordinator,
  formatCeremony,
} from './admin.js';

export type Remedy =
  | 'add-coordinator'
  | 'expire-turn'
  | 'revoke-participant'
  | 'retry-circuit'
  | 'remove-circuit';

export interface RemedyOptions extends AdminOptions {
  circuit?: string;
  participant?: string;
  publicKey?: string;
}

function required(value: string | undefined, what: string, caller: string): string {
  if (value === undefined || value === '') throw new TypeError(`${caller}: ${what} is required`);
  return encodeURIComponent(value);
}

/** Runs one coordinator remedy; every one but add-coordinator answers with the ceremony as it is now. */
export async function runRemedy(
  remedy: Remedy | string,
  opts: RemedyOptions,
): Promise<{ view: object; lines: string[] }> {
  const client = await connectCoordinator(opts, remedy);
  const base = ceremonyPath(opts.ceremony);
  const circuitPath = () => `${base}/circuits/${required(opts.circuit, 'circuit', remedy)}`;
  switch (remedy) {
    case 'add-coordinator': {
      const publicKey = required(opts.publicKey, 'public key', remedy).toLowerCase();
      const added = await client.postJson<{ ceremony: string; publicKey: string }>(`${base}/coordinators`, {
        publicKey,
      });
      return { view: added, lines: [`${added.publicKey} now coordinates ceremony ${added.ceremony}`] };
    }
    case 'expire-turn':
      return shown(await client.postJson<CeremonyView>(`${circuitPath()}/expire-turn`));
    case 'revoke-participant': {
      const participant = required(opts.participant, 'participant', remedy);
      return shown(await client.postJson<CeremonyView>(`${base}/participants/${participant}/revoke`));
    }
    case 'retry-circuit':
      return shown(await client.postJson<CeremonyView>(`${circuitPath()}/retry`));
    case 'remove-circuit':
      return shown(await client.deleteJson<CeremonyView>(circuitPath()));
    default:
      throw new TypeError(`runRemedy: unknown remedy '${remedy}'`);
  }
}

function shown(view: CeremonyView): { view: object; lines: string[] } {
  return { view, lines: formatCeremony(view) };
}
