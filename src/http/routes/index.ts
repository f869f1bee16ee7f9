// Every route, registered in this order.
import type { Route } from '../types.js';
import { adminBackupCreate } from './admin-backup-create.js';
import { adminBackupDelete } from './admin-backup-delete.js';
import { adminBackupFileGet } from './admin-backup-file-get.js';
import { approvalWithdraw } from './approval-withdraw.js';
import { approvalsList } from './approvals-list.js';
import { approvalsSubmit } from './approvals-submit.js';
import { authChallenge } from './auth-challenge.js';
import { authLogin } from './auth-login.js';
import { authLogout } from './auth-logout.js';
import { blobsPut } from './blobs-put.js';
import { ceremoniesCreate } from './ceremonies-create.js';
import { ceremoniesList } from './ceremonies-list.js';
import { ceremonyActivityGet } from './ceremony-activity-get.js';
import { ceremonyClose } from './ceremony-close.js';
import { ceremonyEvents } from './ceremony-events.js';
import { ceremonyFinalize } from './ceremony-finalize.js';
import { ceremonyGet } from './ceremony-get.js';
import { ceremonyOpen } from './ceremony-open.js';
import { checkpointGet } from './checkpoint-get.js';
import { checkpointsGet } from './checkpoints-get.js';
import { circuitFileGet } from './circuit-file-get.js';
import { circuitRemove } from './circuit-remove.js';
import { circuitRetry } from './circuit-retry.js';
import { circuitRewind } from './circuit-rewind.js';
import { circuitsAdd } from './circuits-add.js';
import { cliFileGet } from './cli-file-get.js';
import { contributionGet } from './contribution-get.js';
import { contributionUpload } from './contribution-upload.js';
import { contributionUploadOffset } from './contribution-upload-offset.js';
import { coordinatorRemove } from './coordinator-remove.js';
import { coordinatorsAdd } from './coordinators-add.js';
import { cosignatureAdd } from './cosignature-add.js';
import { heartbeatPost } from './heartbeat.js';
import { infoGet } from './info-get.js';
import { logKeyGet } from './log-key.js';
import { meGet } from './me-get.js';
import { opsRoutes } from './ops.js';
import { participantRevoke } from './participant-revoke.js';
import { participantsAdd } from './participants-add.js';
import { participantsRegister } from './participants-register.js';
import { proofConsistency } from './proof-consistency.js';
import { proofInclusion } from './proof-inclusion.js';
import { queueJoin } from './queue-join.js';
import { queueLeave } from './queue-leave.js';
import { transcriptGet } from './transcript-get.js';
import { turnExpire } from './turn-expire.js';
import { webPage } from './web-page.js';
import { witnessesGet } from './witnesses-get.js';
import { zkeyGet } from './zkey-get.js';

export const routes: Route[] = [
  opsRoutes,
  authChallenge,
  authLogin,
  authLogout,
  logKeyGet,
  witnessesGet,
  infoGet,
  cliFileGet,
  blobsPut,
  ceremoniesCreate,
  ceremoniesList,
  ceremonyGet,
  ceremonyEvents,
  ceremonyActivityGet,
  ceremonyOpen,
  ceremonyClose,
  ceremonyFinalize,
  circuitsAdd,
  participantsAdd,
  coordinatorsAdd,
  coordinatorRemove,
  approvalsSubmit,
  approvalsList,
  approvalWithdraw,
  participantRevoke,
  turnExpire,
  circuitRetry,
  circuitRewind,
  circuitRemove,
  participantsRegister,
  queueJoin,
  queueLeave,
  meGet,
  heartbeatPost,
  contributionUpload,
  contributionUploadOffset,
  contributionGet,
  cosignatureAdd,
  transcriptGet,
  checkpointGet,
  checkpointsGet,
  proofInclusion,
  proofConsistency,
  zkeyGet,
  circuitFileGet,
  webPage,
  adminBackupCreate,
  adminBackupFileGet,
  adminBackupDelete,
];
