// The participant's loop shared by `contribute` and `upload`: queue, wait for the turn, produce a zkey, attest,
// upload, wait for the verdict, check and save the receipt, cosign the checkpoint.
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attestationMessage, MAX_STATEMENT_LENGTH } from '../ceremony/attestation.js';
import type { ContributionView, ParticipantCircuitStatus, ParticipantStatus } from '../ceremony/types.js';
import { toHex } from '../crypto/hex.js';
import type { Signer } from '../keys/signer.js';
import { readZkeyInfo } from '../snark/zkey-file.js';
import { sha256File } from '../storage/file-hash.js';
import { UsageError } from './args.js';
import { ApiError, CoordinatorClient, isTransient, sleep } from './client.js';
import { type CliOutput, printNote } from './output.js';
import { createProgress, type Progress } from './progress.js';
import {
  leaveRemainingTurns,
  pollThroughOutages,
  selectCircuits,
  startHeartbeat,
  waitForTurn,
} from './queue-wait.js';
import { checkReceipt, cosignReceipt, receiptPath, saveReceipt } from './receipt.js';
import { DEFAULT_WITNESS_WAIT_SECONDS, waitForWitnessQuorum } from './witness-wait.js';

/** Everything the zkey producer needs for one turn. */
export interface Turn {
  ceremony: string;
  circuit: string;
  /** Index the new contribution will get (latestIndex + 1). */
  index: number;
  latestIndex: number;
  latestZkeySha256: string;
  deadline: string | null;
  participantName: string;
  /** A private temp directory, removed when the flow ends. */
  workDir: string;
  client: CoordinatorClient;
  output: CliOutput;
  progress: Progress;
}

/** Returns the path of the new zkey for this turn. */
export type ProduceZkey = (turn: Turn) => Promise<string>;

export interface ParticipantFlowOptions {
  server: string;
  keys: Signer;
  ceremony: string;
  /** Only this circuit (upload); every circuit of the ceremony in order when absent (contribute). */
  circuit?: string;
  statement?: string;
  /** Name to register under when the ceremony is open to all and this key is not registered yet. */
  name?: string;
  receiptDir: string;
  output: CliOutput;
  produceZkey: ProduceZkey;
  /** Extra advice appended to a rejection with this code (e.g. "download again"). */
  adviseOnRejection?: (code: string) => string | undefined;
  pollIntervalMs?: number;
  /** How long to wait for the witness quorum on the receipt's checkpoint (`--witness-wait`); 0 skips. */
  witnessWaitSeconds?: number;
}

export interface ContributionResult {
  circuit: string;
  index: number;
  zkeySha256: string;
  contributionHash: string;
  /** Path of the saved receipt. */
  receipt: string;
}

export interface ParticipantFlowResult {
  ceremony: string;
  participantId: string;
  contributions: ContributionResult[];
}

interface FlowContext {
  opts: ParticipantFlowOptions;
  client: CoordinatorClient;
  base: string;
  status: ParticipantStatus;
  workDir: string;
  progress: Progress;
  /** True until an upload is in verification: leaving then would cut short our own verdict. */
  leaveOnFailure: boolean;
}

export async function runParticipantFlow(opts: ParticipantFlowOptions): Promise<ParticipantFlowResult> {
  if (typeof opts?.ceremony !== 'string' || opts.ceremony === '')
    throw new TypeError('runParticipantFlow: ceremony is required');
  if (typeof opts.produceZkey !== 'function')
    throw new TypeError('runParticipantFlow: produceZkey is required');
  if (opts.statement !== undefined && opts.statement.length > MAX_STATEMENT_LENGTH) {
    throw new RangeError(`runParticipantFlow: statement longer than ${MAX_STATEMENT_LENGTH} characters`);
  }
  const client = new CoordinatorClient(opts.server);
  client.onWait = (message) => printNote(opts.output, message);
  const base = `/ceremonies/${encodeURIComponent(opts.ceremony)}`;
  await logInAndRegister(client, base, opts);
  const status = await client.postIdempotentJson<ParticipantStatus>(`${base}/queue`);
  const heartbeat = startHeartbeat(client, base, status.heartbeatIntervalSeconds);
  const workDir = await mkdtemp(join(tmpdir(), 'ceremony-'));
  const ctx: FlowContext = {
    opts,
    client,
    base,
    status,
    workDir,
    progress: createProgress(opts.output),
    leaveOnFailure: true,
  };
  // Ctrl-C gives the turn back at once instead of holding the queue until the heartbeat grace runs out.
  const onInterrupt = () => {
    heartbeat.stop();
    printNote(opts.output, 'interrupted: leaving the queue');
    const leave = ctx.leaveOnFailure
      ? client.deleteJson(`${base}/queue`).catch(() => undefined)
      : Promise.resolve();
    void leave.finally(() => rm(workDir, { recursive: true, force: true }).finally(() => process.exit(130)));
  };
  process.once('SIGINT', onInterrupt);
  try {
    const contributions: ContributionResult[] = [];
    for (const circuit of selectCircuits(status, opts.circuit)) {
      const result = await serveCircuit(ctx, circuit);
      if (result !== undefined) contributions.push(result);
    }
    if (opts.circuit !== undefined) await leaveRemainingTurns(ctx);
    return { ceremony: opts.ceremony, participantId: status.participantId, contributions };
  } catch (err) {
    if (ctx.leaveOnFailure) await client.deleteJson(`${base}/queue`).catch(() => undefined);
    throw err;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    heartbeat.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * Logs in. In a ceremony open to all, a key the server does not know registers under `--name` in the same step,
 * and a key known from elsewhere registers here after logging in.
 */
async function logInAndRegister(
  client: CoordinatorClient,
  base: string,
  opts: ParticipantFlowOptions,
): Promise<void> {
  const ceremony = await client.getJson<{ openRegistration?: boolean }>(base);
  if (ceremony.openRegistration !== true) {
    await client.login(opts.keys);
    return;
  }
  const name = opts.name;
  if (name === undefined) {
    // A name is for good: none is made up. A key already registered needs none (a rejoin).
    try {
      await client.login(opts.keys);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'FORBIDDEN')
        throw new UsageError(
          `ceremony '${opts.ceremony}' is open to all and does not know this key yet: give --name TEXT, ` +
            'the name you will be listed under (it cannot be changed later)',
        );
      throw err;
    }
    return;
  }
  await client.login(opts.keys, { ceremony: opts.ceremony, name });
  try {
    await client.postJson(`${base}/register`, { name });
    printNote(opts.output, `registered as ${name}`);
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 'PARTICIPANT_EXISTS')) throw err;
  }
}

async function serveCircuit(ctx: FlowContext, circuit: string): Promise<ContributionResult | undefined> {
  const { opts } = ctx;
  const current = await waitForTurn(ctx, circuit);
  if (current.state === 'done') return pickUpEarlier(ctx, circuit, current.contributionId);
  if (current.state === 'verifying' && current.contributionId !== null) {
    // A previous run uploaded and stopped before the verdict: pick the verdict up.
    ctx.leaveOnFailure = false;
    return finishContribution(ctx, circuit, await waitForVerdict(ctx, circuit, current.contributionId));
  }
  ctx.leaveOnFailure = true;
  const turn = describeTurn(ctx, current);
  printNote(
    opts.output,
    `circuit ${circuit}: your turn (contribution #${turn.index}${deadlineText(turn.deadline)})`,
  );
  const zkeyPath = await opts.produceZkey(turn);
  const { zkeySha256, contributionHash } = await inspectZkey(ctx, turn, zkeyPath);
  const fields = {
    ceremony: opts.ceremony,
    circuit,
    index: turn.index,
    prevZkeySha256: turn.latestZkeySha256,
    zkeySha256,
    contributionHash,
    ...(opts.statement === undefined ? {} : { statement: opts.statement }),
  };
  const attestation = toHex(opts.keys.sign(attestationMessage(fields)));
  const contributionId = await submitUntilFiled(ctx, turn, zkeyPath, attestation);
  ctx.leaveOnFailure = false;
  const view = await waitForVerdict(ctx, circuit, contributionId);
  return finishContribution(ctx, circuit, view, { zkeySha256, contributionHash });
}

/**
 * A circuit this key already contributed to. An earlier run may have stopped after the server accepted the upload
 * but before it saved the receipt (a cut connection, a restart): the receipt is fetched and saved now, so a run that
 * ends well always leaves the participant their receipt.
 */
async function pickUpEarlier(
  ctx: FlowContext,
  circuit: string,
  contributionId: string | null,
): Promise<ContributionResult | undefined> {
  const { opts } = ctx;
  if (contributionId === null) {
    printNote(opts.output, `circuit ${circuit}: already contributed`);
    return undefined;
  }
  const view = await pollThroughOutages<ContributionView>(
    ctx.client,
    `${ctx.base}/contributions/${encodeURIComponent(contributionId)}`,
    opts.output,
  );
  const saved = view.receipt === null ? undefined : receiptPath(opts.receiptDir, view.receipt);
  if (saved !== undefined && (await exists(saved))) {
    printNote(opts.output, `circuit ${circuit}: already contributed (#${view.index}); receipt in ${saved}`);
    return undefined;
  }
  ctx.leaveOnFailure = false;
  printNote(opts.output, `circuit ${circuit}: already contributed (#${view.index}); fetching the receipt`);
  return finishContribution(ctx, circuit, view);
}

function describeTurn(ctx: FlowContext, current: ParticipantCircuitStatus): Turn {
  if (current.latestZkeySha256 === null)
    throw new Error(`circuit ${current.circuit}: the server sent no latest zkey hash`);
  return {
    ceremony: ctx.opts.ceremony,
    circuit: current.circuit,
    index: current.latestIndex + 1,
    latestIndex: current.latestIndex,
    latestZkeySha256: current.latestZkeySha256,
    deadline: current.deadline,
    participantName: ctx.status.name,
    workDir: ctx.workDir,
    client: ctx.client,
    output: ctx.opts.output,
    progress: ctx.progress,
  };
}

/** Hashes the new zkey and reads its last contribution; refuses files that cannot be the next contribution. */
async function inspectZkey(ctx: FlowContext, turn: Turn, zkeyPath: string) {
  const zkeySha256 = await sha256File(zkeyPath);
  const info = await readZkeyInfo(zkeyPath);
  const last = info.contributions.at(-1);
  const advice = ctx.opts.adviseOnRejection?.('ZKEY_NOT_EXTENDING');
  if (zkeySha256 === turn.latestZkeySha256) {
    throw new Error(
      `${zkeyPath} is the current zkey of circuit ${turn.circuit} unchanged: contribute to it first`,
    );
  }
  if (info.contributions.length !== turn.index || last === undefined || last.type !== 0) {
    throw new Error(
      `${zkeyPath} holds ${info.contributions.length} contribution(s), but contribution #${turn.index} to circuit ` +
        `${turn.circuit} needs a zkey with ${turn.index}${advice === undefined ? '' : `: ${advice}`}`,
    );
  }
  return { zkeySha256, contributionHash: last.contributionHash };
}

// Uploads tried in one turn when the connection keeps breaking before the server answers.
const MAX_UPLOAD_ATTEMPTS = 5;

/** A cut upload (or one the server still holds, or a resume from the wrong byte) goes on from the server's bytes. */
function isResumable(err: unknown): err is ApiError {
  return (
    isTransient(err) ||
    (err instanceof ApiError && (err.code === 'UPLOAD_IN_PROGRESS' || err.code === 'UPLOAD_OFFSET_MISMATCH'))
  );
}

/**
 * Uploads; when the connection broke, asks what became of it: filed (wait for it) or not (resume from the bytes the
 * server holds, taking over its claim). Attempts that moved the upload on do not count against the limit.
 */
async function submitUntilFiled(ctx: FlowContext, turn: Turn, zkeyPath: string, attestation: string) {
  let offset: number | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return await submitContribution(ctx, turn, zkeyPath, attestation, offset);
    } catch (err) {
      if (!isResumable(err) || attempt >= MAX_UPLOAD_ATTEMPTS) throw err;
      const status = await pollThroughOutages<ParticipantStatus>(
        ctx.client,
        `${ctx.base}/me`,
        ctx.opts.output,
      );
      const mine = status.circuits.find((c) => c.circuit === turn.circuit);
      // Filed before the cut: verifying still, or already accepted while we were away.
      if ((mine?.state === 'verifying' || mine?.state === 'done') && mine.contributionId !== null)
        return mine.contributionId;
      if (mine?.state !== 'active' || mine.latestIndex !== turn.latestIndex) throw err;
      const held = await ctx.client.getJson<{ offset: number }>(
        `${ctx.base}/circuits/${encodeURIComponent(turn.circuit)}/contribution/upload`,
      );
      if (offset === undefined || held.offset > offset) attempt = 0;
      offset = held.offset;
      printNote(
        ctx.opts.output,
        `circuit ${turn.circuit}: the upload was cut (${err.message}); resuming from byte ${offset}`,
      );
    }
  }
}

async function submitContribution(
  ctx: FlowContext,
  turn: Turn,
  zkeyPath: string,
  attestation: string,
  offset: number | undefined,
): Promise<string> {
  const { opts } = ctx;
  const headers: Record<string, string> = { 'x-ceremony-attestation': attestation };
  if (opts.statement !== undefined)
    headers['x-ceremony-statement'] = Buffer.from(opts.statement, 'utf8').toString('base64');
  const bar = ctx.progress.transfer(`upload ${turn.circuit} #${turn.index}`);
  try {
    const path = `${ctx.base}/circuits/${encodeURIComponent(turn.circuit)}/contribution`;
    const answer = await ctx.client.uploadFile<{ contributionId: string; index: number }>(
      path,
      zkeyPath,
      headers,
      (done, total) => bar.update(done, total),
      'PUT',
      offset,
    );
    if (answer.index !== turn.index)
      throw new Error(`the server filed the upload as #${answer.index}, expected #${turn.index}`);
    return answer.contributionId;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.code === 'NOT_YOUR_TURN') {
      throw new ApiError(
        err.status,
        err.code,
        `your turn on circuit ${turn.circuit} ended before the upload (${err.message}): run the command again to rejoin the queue`,
      );
    }
    throw withAdvice(ctx, err);
  } finally {
    bar.finish();
  }
}

async function waitForVerdict(
  ctx: FlowContext,
  circuit: string,
  contributionId: string,
): Promise<ContributionView> {
  printNote(ctx.opts.output, `circuit ${circuit}: uploaded; the server is verifying the contribution`);
  const spinner = ctx.progress.spinner(`circuit ${circuit}: waiting for verification…`);
  try {
    for (;;) {
      const view = await pollThroughOutages<ContributionView>(
        ctx.client,
        `${ctx.base}/contributions/${encodeURIComponent(contributionId)}`,
        ctx.opts.output,
      );
      if (view.state !== 'verifying') return view;
      await sleep(ctx.opts.pollIntervalMs ?? 1000);
    }
  } finally {
    spinner.stop();
  }
}

async function finishContribution(
  ctx: FlowContext,
  circuit: string,
  view: ContributionView,
  expected: { zkeySha256?: string; contributionHash?: string } = {},
): Promise<ContributionResult> {
  const { opts } = ctx;
  if (view.state === 'rejected') {
    const reason = view.reason ?? { code: 'REJECTED', message: 'no reason given' };
    const err = new ApiError(
      422,
      reason.code,
      `circuit ${circuit}: contribution #${view.index} rejected: ${reason.message}`,
    );
    throw withAdvice(ctx, err);
  }
  if (view.receipt === null)
    throw new Error(`circuit ${circuit}: the server accepted the contribution but sent no receipt`);
  const checked = checkReceipt(view.receipt, {
    ceremony: opts.ceremony,
    circuit,
    index: view.index,
    ...expected,
  });
  let receiptPath = await saveReceipt(opts.receiptDir, view.receipt);
  printNote(
    opts.output,
    `circuit ${circuit}: contribution #${view.index} accepted; receipt saved to ${receiptPath}`,
  );
  try {
    await cosignReceipt(ctx.client, ctx.base, checked, `participant-${ctx.status.participantId}`, opts.keys);
  } catch (err) {
    // The contribution stands without a cosignature; say so and go on.
    printNote(
      opts.output,
      `warning: could not cosign the checkpoint of size ${checked.treeSize}: ${(err as Error).message}`,
    );
  }
  const witnessed = await waitForWitnessQuorum({
    client: ctx.client,
    ceremonyPath: ctx.base,
    treeSize: checked.treeSize,
    checkpointBody: checked.checkpointBody,
    waitSeconds: opts.witnessWaitSeconds ?? DEFAULT_WITNESS_WAIT_SECONDS,
    output: opts.output,
    pollIntervalMs: opts.pollIntervalMs,
  }).catch((err: unknown) => {
    printNote(opts.output, `warning: could not read the witness cosignatures: ${(err as Error).message}`);
    return undefined;
  });
  if (witnessed !== undefined)
    receiptPath = await saveReceipt(opts.receiptDir, { ...view.receipt, checkpoint: witnessed });
  return {
    circuit,
    index: view.index,
    zkeySha256: checked.zkeySha256,
    contributionHash: checked.contributionHash,
    receipt: receiptPath,
  };
}

function withAdvice(ctx: FlowContext, err: ApiError): ApiError {
  const advice = ctx.opts.adviseOnRejection?.(err.code);
  return advice === undefined ? err : new ApiError(err.status, err.code, `${err.message}: ${advice}`);
}

function deadlineText(deadline: string | null): string {
  return deadline === null ? '' : `, deadline ${deadline}`;
}

export function formatFlowResult(result: ParticipantFlowResult): string[] {
  if (result.contributions.length === 0) return [`${result.ceremony}: nothing left to contribute`];
  const lines = [`${result.ceremony}: contributions by ${result.participantId}`];
  for (const c of result.contributions) {
    lines.push(
      `  circuit ${c.circuit} #${c.index}`,
      `    contribution hash: ${c.contributionHash}`,
      `    receipt: ${c.receipt}`,
    );
  }
  return lines;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );
