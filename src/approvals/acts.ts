// The acts a quorum of coordinators decides: each checked at every approval (so a request that could never take
// effect is refused at once) and applied in the transaction of the approval that completes the quorum.

import { requireRevocable, revokeParticipantInTx } from '../ceremony/admin.js';
import type { CeremonyRow } from '../ceremony/ceremony-row.js';
import { checkFinalizeInput, requireFinalizable, startFinalization } from '../ceremony/finalize.js';
import {
  deleteCoordinator,
  insertCoordinator,
  requireAddableCoordinator,
  requireRemovableCoordinator,
} from '../ceremony/ownership.js';
import type { Services } from '../ceremony/services.js';
import type { Queryable } from '../db/database.js';
import type {
  ApprovalAction,
  ApprovalArguments,
  CoordinatorArguments,
  FinalizeArguments,
  RevokeArguments,
} from './approval-message.js';

export interface Act {
  check(tx: Queryable, ceremony: CeremonyRow, args: ApprovalArguments): Promise<void>;
  /** Takes effect in the caller's transaction; returns what to do after the commit. */
  apply(
    tx: Queryable,
    s: Services,
    ceremony: CeremonyRow,
    args: ApprovalArguments,
    approvals: number[],
  ): Promise<() => void>;
}

const finalize: Act = {
  async check(tx, ceremony, args) {
    await requireFinalizable(tx, ceremony, checkFinalizeInput(args as FinalizeArguments));
  },
  async apply(tx, s, ceremony, args, approvals) {
    await startFinalization(tx, s, ceremony, checkFinalizeInput(args as FinalizeArguments), approvals);
    return () => s.events.jobQueued();
  },
};

const addCoordinator: Act = {
  check: (tx, ceremony, args) =>
    requireAddableCoordinator(tx, ceremony, (args as CoordinatorArguments).publicKey),
  async apply(tx, s, ceremony, args, approvals) {
    await insertCoordinator(tx, s, ceremony, (args as CoordinatorArguments).publicKey, approvals);
    return () => {};
  },
};

const removeCoordinator: Act = {
  check: (tx, ceremony, args) =>
    requireRemovableCoordinator(tx, ceremony, (args as CoordinatorArguments).publicKey),
  async apply(tx, s, ceremony, args, approvals) {
    const { publicKey } = args as CoordinatorArguments;
    await deleteCoordinator(tx, s, ceremony, publicKey, approvals);
    return () => s.callers.evictKey(publicKey);
  },
};

const revokeParticipant: Act = {
  async check(tx, ceremony, args) {
    await requireRevocable(tx, ceremony, (args as RevokeArguments).participantId);
  },
  async apply(tx, s, ceremony, args, approvals) {
    const { participantId } = args as RevokeArguments;
    const publicKey = await revokeParticipantInTx(tx, s, ceremony, participantId, s.clock(), approvals);
    return () => s.callers.evictKey(publicKey);
  },
};

export const ACTS: Readonly<Record<ApprovalAction, Act>> = {
  finalize,
  'add-coordinator': addCoordinator,
  'remove-coordinator': removeCoordinator,
  'revoke-participant': revokeParticipant,
};
