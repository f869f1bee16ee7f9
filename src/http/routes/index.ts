// Every route, registered in this order.
import type { Route } from '../types.js';
import { authChallenge } from './auth-challenge.js';
import { authLogin } from './auth-login.js';
import { blobsPut } from './blobs-put.js';
import { ceremoniesCreate } from './ceremonies-create.js';
import { ceremoniesList } from './ceremonies-list.js';
import { ceremonyClose } from './ceremony-close.js';
import { ceremonyEvents } from './ceremony-events.js';
import { ceremonyFinalize } from './ceremony-finalize.js';
import { ceremonyGet } from './ceremony-get.js';
import { ceremonyOpen } from './ceremony-open.js';
import { checkpointGet } from './checkpoint-get.js';
import { checkpointsGet } from './checkpoints-get.js';
import { circuitFileGet } from './circuit-file-get.js';
import { circuitsAdd } from './circuits-add.js';
import { contributionGet } from './contribution-get.js';
import { contributionUpload } from './contribution-upload.js';
import { cosignatureAdd } from './cosignature-add.js';
import { heartbeatPost } from './heartbeat.js';
import { logKeyGet } from './log-key.js';
import { meGet } from './me-get.js';
import { opsRoutes } from './ops.js';
import { participantsAdd } from './participants-add.js';
import { participantsRegister } from './participants-register.js';
import { proofConsistency } from './proof-consistency.js';
import { proofInclusion } from './proof-inclusion.js';
import { queueJoin } from './queue-join.js';
import { queueLeave } from './queue-leave.js';
import { transcriptGet } from './transcript-get.js';
import { webPage } from './web-page.js';
import { zkeyGet } from './zkey-get.js';

export const routes: Route[] = [
  opsRoutes,
  authChallenge,
  authLogin,
  logKeyGet,
  blobsPut,
  ceremoniesCreate,
  ceremoniesList,
  ceremonyGet,
  ceremonyEvents,
  ceremonyOpen,
  ceremonyClose,
  ceremonyFinalize,
  circuitsAdd,
  participantsAdd,
  participantsRegister,
  queueJoin,
  queueLeave,
  meGet,
  heartbeatPost,
  contributionUpload,
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
];
