// The coordinator's side of M-of-N approvals: sign a request (ceremony-approval/v1), send it, and say whether the
// act took effect or still waits; `admin pending` and `admin withdraw`.
import {
  type ApprovalAction,
  type ApprovalArguments,
  approvalMessage,
} from '../../approvals/approval-message.js';
import type { ApprovalOutcome } from '../../approvals/approvals.js';
import { toHex } from '../../crypto/hex.js';
import type { Signer } from '../../keys/signer.js';
import type { CoordinatorClient } from '../client.js';
import { type AdminOptions, type CeremonyView, ceremonyPath, connectCoordinator } from './admin.js';

// The server's answer, as the domain declares it (a type only: no server code goes into the CLI).
export type { ApprovalOutcome } from '../../approvals/approvals.js';

export interface PendingRequest {
  request: string;
  action: string;
  arguments: Record<string, unknown>;
  proposer: string;
  approvals: { publicKey: string; seq: number }[];
  required: number;
  expiresAt: string;
}

/** How many coordinators must sign the ceremony's acts that cannot be undone (1 for servers that predate it). */
export async function readApprovalsRequired(client: CoordinatorClient, ceremony: string): Promise<number> {
  const view = await client.getJson<CeremonyView>(ceremonyPath(ceremony));
  return typeof view.approvalsRequired === 'number' ? view.approvalsRequired : 1;
}

/** Signs the request with the coordinator's key (file or token) and sends it as one approval. */
export async function sendApproval(
  client: CoordinatorClient,
  signer: Signer,
  ceremony: string,
  action: ApprovalAction,
  args: ApprovalArguments,
): Promise<ApprovalOutcome> {
  const signature = toHex(signer.sign(approvalMessage({ ceremony, action, arguments: args })));
  return client.postJson<ApprovalOutcome>(`${ceremonyPath(ceremony)}/approvals`, {
    action,
    arguments: args,
    signature,
  });
}

/** An answer that says the act still waits for approvals (a ceremony view never has `pending`). */
export function isPendingOutcome(value: object): value is ApprovalOutcome {
  return (value as Partial<ApprovalOutcome>).pending === true;
}

export function formatPending(outcome: ApprovalOutcome): string[] {
  return [
    `pending: ${outcome.approvals} of ${outcome.required} approvals`,
    `  request ${outcome.request} (${outcome.action}) expires ${outcome.expiresAt}`,
    '  another coordinator of the ceremony must run the same command with the same arguments',
  ];
}

export async function listPending(opts: AdminOptions): Promise<PendingRequest[]> {
  const client = await connectCoordinator(opts, 'listPending');
  return client.getJson<PendingRequest[]>(`${ceremonyPath(opts.ceremony)}/approvals`);
}

export function formatPendingList(ceremony: string, list: readonly PendingRequest[]): string[] {
  if (list.length === 0) return [`nothing waits for approvals in ceremony ${ceremony}`];
  return list.flatMap((p) => [
    `request ${p.request}: ${p.action} ${JSON.stringify(p.arguments)}`,
    `  ${p.approvals.length} of ${p.required} approvals (seq ${p.approvals.map((a) => a.seq).join(', ')}), ` +
      `proposed by ${p.proposer}, expires ${p.expiresAt}`,
  ]);
}

export async function withdrawRequest(
  opts: AdminOptions & { request: string },
): Promise<{ request: string; withdrawn: number[] }> {
  if (!/^[0-9a-f]{64}$/.test(opts.request))
    throw new TypeError('withdrawRequest: request must be the 64 hex characters admin pending shows');
  const client = await connectCoordinator(opts, 'withdrawRequest');
  return client.deleteJson(`${ceremonyPath(opts.ceremony)}/approvals/${opts.request}`);
}
