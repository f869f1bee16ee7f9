// `ceremony admin add-coordinator | remove-coordinator | expire-turn | revoke-participant | retry-circuit |
// remove-circuit | rewind`. In a ceremony that needs M approvals, the acts that cannot be undone are signed and sent as one
// approval, and say "pending" until the last of the M arrives.
import type { ApprovalAction, ApprovalArguments } from '../../approvals/approval-message.js';
import type { Signer } from '../../keys/signer.js';
import type { CoordinatorClient } from '../client.js';
import {
  type AdminOptions,
  type CeremonyView,
  ceremonyPath,
  connectCoordinatorSigner,
  formatCeremony,
} from './admin.js';
import { formatPending, readApprovalsRequired, sendApproval } from './admin-approvals.js';

export type Remedy =
  | 'add-coordinator'
  | 'remove-coordinator'
  | 'expire-turn'
  | 'revoke-participant'
  | 'retry-circuit'
  | 'remove-circuit'
  | 'rewind';

export interface RemedyOptions extends AdminOptions {
  circuit?: string;
  participant?: string;
  publicKey?: string;
  /** `rewind`: the index whose zkey becomes current again. */
  to?: number;
}

function required(value: string | undefined, what: string, caller: string): string {
  if (value === undefined || value === '') throw new TypeError(`${caller}: ${what} is required`);
  return encodeURIComponent(value);
}

type Shown = { view: object; lines: string[] };

/** Sends the act as an approval when the ceremony needs more than one; undefined when one coordinator decides. */
async function approvedAct(
  client: CoordinatorClient,
  signer: Signer,
  ceremony: string,
  action: ApprovalAction,
  args: ApprovalArguments,
): Promise<Shown | 'act alone'> {
  if ((await readApprovalsRequired(client, ceremony)) <= 1) return 'act alone';
  const outcome = await sendApproval(client, signer, ceremony, action, args);
  if (outcome.pending) return { view: outcome, lines: formatPending(outcome) };
  return shown(await client.getJson<CeremonyView>(ceremonyPath(ceremony)), [
    `${action} took effect with ${outcome.approvals} of ${outcome.required} approvals (seq ${outcome.seqs.join(', ')})`,
  ]);
}

/** Runs one coordinator remedy; most answer with the ceremony as it is now. */
export async function runRemedy(remedy: Remedy | string, opts: RemedyOptions): Promise<Shown> {
  const { client, signer } = await connectCoordinatorSigner(opts, remedy);
  const base = ceremonyPath(opts.ceremony);
  const circuitPath = () => `${base}/circuits/${required(opts.circuit, 'circuit', remedy)}`;
  switch (remedy) {
    case 'add-coordinator':
    case 'remove-coordinator': {
      const publicKey = required(opts.publicKey, 'public key', remedy).toLowerCase();
      const approved = await approvedAct(client, signer, opts.ceremony, remedy, { publicKey });
      if (approved !== 'act alone') return approved;
      const result =
        remedy === 'add-coordinator'
          ? await client.postJson<{ ceremony: string; publicKey: string }>(`${base}/coordinators`, {
              publicKey,
            })
          : await client.deleteJson<{ ceremony: string; publicKey: string }>(
              `${base}/coordinators/${publicKey}`,
            );
      const what = remedy === 'add-coordinator' ? 'now coordinates' : 'no longer coordinates';
      return { view: result, lines: [`${result.publicKey} ${what} ceremony ${result.ceremony}`] };
    }
    case 'expire-turn':
      return shown(await client.postJson<CeremonyView>(`${circuitPath()}/expire-turn`));
    case 'revoke-participant': {
      const participantId = required(opts.participant, 'participant', remedy);
      const approved = await approvedAct(client, signer, opts.ceremony, remedy, { participantId });
      if (approved !== 'act alone') return approved;
      return shown(await client.postJson<CeremonyView>(`${base}/participants/${participantId}/revoke`));
    }
    case 'retry-circuit':
      return shown(await client.postJson<CeremonyView>(`${circuitPath()}/retry`));
    case 'remove-circuit':
      return shown(await client.deleteJson<CeremonyView>(circuitPath()));
    case 'rewind': {
      if (opts.to === undefined) throw new TypeError('rewind: the index to go back to is required');
      const r = await client.postJson<{ circuit: string; toIndex: number; voidedIndexes: number[] }>(
        `${circuitPath()}/rewind`,
        { toIndex: opts.to },
      );
      const voided = r.voidedIndexes.length > 0 ? r.voidedIndexes.join(', ') : 'none';
      return {
        view: r,
        lines: [`circuit ${r.circuit} is back at contribution ${r.toIndex}; voided: ${voided}`],
      };
    }
    default:
      throw new TypeError(`runRemedy: unknown remedy '${remedy}'`);
  }
}

function shown(view: CeremonyView, before: string[] = []): Shown {
  return { view, lines: [...before, ...formatCeremony(view)] };
}
