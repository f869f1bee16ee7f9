// Waiting in the queue: which circuits to serve, heartbeats, our status after each change until the turn comes.
import type { ParticipantCircuitStatus, ParticipantStatus } from '../ceremony/types.js';
import { isPathName } from '../names.js';
import { type CoordinatorClient, isTransient } from './client.js';
import { watchChanges } from './events.js';
import { type CliOutput, printNote } from './output.js';
import type { Progress } from './progress.js';

export interface QueueContext {
  client: CoordinatorClient;
  /** `/ceremonies/<id>` */
  base: string;
  /** Our latest status; refreshed while waiting. */
  status: ParticipantStatus;
  progress: Progress;
  opts: { ceremony: string; circuit?: string; output: CliOutput; pollIntervalMs?: number };
}

/** The circuits to serve, in the ceremony's order; for one circuit, the earlier ones must already be done. */
export function selectCircuits(status: ParticipantStatus, only: string | undefined): string[] {
  const names = status.circuits.map((c) => c.circuit);
  // Circuit names become file names in the work dir: a hostile server must not steer a write outside it.
  const unsafe = names.find((n) => !isPathName(n));
  if (unsafe !== undefined) {
    throw new Error(
      `the server named a circuit ${JSON.stringify(unsafe)}, which is not a safe file name; stopping`,
    );
  }
  if (only === undefined) return names;
  const at = names.indexOf(only);
  if (at < 0)
    throw new Error(`circuit ${only} is not part of this ceremony (circuits: ${names.join(', ') || 'none'})`);
  const pending = status.circuits.slice(0, at).filter((c) => c.state !== 'done');
  if (pending.length > 0) {
    throw new Error(
      `circuits are contributed in order: contribute to ${pending.map((c) => c.circuit).join(', ')} before ${only}`,
    );
  }
  return [only];
}

/**
 * Reads our status after each change of the ceremony (its events stream; polling while the stream is down) until
 * this circuit is ours (active), done, or awaiting a verdict; shows the queue position.
 */
export async function waitForTurn(ctx: QueueContext, circuit: string): Promise<ParticipantCircuitStatus> {
  let status = ctx.status;
  let shownPosition: number | null | undefined;
  const spinner = ctx.progress.spinner(`circuit ${circuit}: waiting in the queue…`);
  const pollIntervalMs = ctx.opts.pollIntervalMs ?? 1000;
  let changes: ReturnType<typeof watchChanges> | undefined;
  try {
    for (;;) {
      const mine = status.circuits.find((c) => c.circuit === circuit);
      if (mine === undefined)
        throw new Error(`circuit ${circuit} is not part of ceremony ${ctx.opts.ceremony}`);
      if (mine.state === 'active' || mine.state === 'done' || mine.state === 'verifying') return mine;
      if (mine.state === 'none') throw lostPlace(circuit, mine);
      const blocking =
        ctx.opts.circuit === undefined ? undefined : status.circuits.find((c) => c.state === 'active');
      if (blocking !== undefined) {
        throw new Error(
          `it is your turn on circuit ${blocking.circuit} first: circuits are contributed in order`,
        );
      }
      if (mine.position !== shownPosition) {
        shownPosition = mine.position;
        const ahead =
          mine.position === null || mine.position === 0
            ? 'next in line'
            : `${mine.position} turn(s) ahead of you`;
        printNote(ctx.opts.output, `circuit ${circuit}: in the queue, ${ahead}`);
        spinner.setLabel(`circuit ${circuit}: ${ahead}…`);
      }
      // Opened only when we must wait: a turn that is already ours needs no stream.
      changes ??= watchChanges({
        url: ctx.client.apiUrl(`${ctx.base}/events`),
        pollIntervalMs,
        onFallback: (reason) =>
          printNote(
            ctx.opts.output,
            `live updates unavailable (${reason}); checking the queue every ${pollIntervalMs / 1000} s`,
          ),
      });
      await changes.next();
      status = await pollThroughOutages<ParticipantStatus>(ctx.client, `${ctx.base}/me`, ctx.opts.output);
      ctx.status = status;
    }
  } finally {
    changes?.close();
    spinner.stop();
  }
}

// Whoever waits (in line, for a verdict) waits out a coordinator outage too, but not forever.
const MAX_OUTAGE_MS = 10 * 60 * 1000;

/** GETs `path`; while the coordinator is unreachable, says so once and keeps trying for up to 10 minutes. */
export async function pollThroughOutages<T>(
  client: CoordinatorClient,
  path: string,
  output: CliOutput,
): Promise<T> {
  const since = Date.now();
  let told = false;
  for (;;) {
    try {
      return await client.getJson<T>(path);
    } catch (err) {
      if (!isTransient(err) || Date.now() - since > MAX_OUTAGE_MS) throw err;
      if (!told) printNote(output, `the coordinator is unreachable (${err.message}); still waiting`);
      told = true;
    }
  }
}

function lostPlace(circuit: string, mine: ParticipantCircuitStatus): Error {
  const last =
    mine.lastRejection === null
      ? ''
      : ` (last rejection: ${mine.lastRejection.message}, ${mine.lastRejection.code})`;
  return new Error(
    `you hold no place in the queue for circuit ${circuit}${last}; the turn may have expired: run the command again to rejoin`,
  );
}

/** After a single-circuit upload, later turns would block others until they expire: give them back. */
export async function leaveRemainingTurns(ctx: QueueContext): Promise<void> {
  const status = await ctx.client.getJson<ParticipantStatus>(`${ctx.base}/me`);
  const held = status.circuits
    .filter((c) => c.state === 'waiting' || c.state === 'active')
    .map((c) => c.circuit);
  if (held.length === 0) return;
  await ctx.client.deleteJson(`${ctx.base}/queue`);
  printNote(ctx.opts.output, `left the queue for circuit(s) ${held.join(', ')}; upload to each when ready`);
}

/** Keeps our place in the queue alive; failures are left to the status polls to surface. */
export function startHeartbeat(
  client: CoordinatorClient,
  base: string,
  intervalSeconds: number,
): { stop(): void } {
  const seconds = Number.isFinite(intervalSeconds) && intervalSeconds > 0 ? intervalSeconds : 5;
  let inFlight = false;
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = true;
    client
      .postJson(`${base}/heartbeat`)
      .catch(() => undefined)
      .finally(() => {
        inFlight = false;
      });
  }, seconds * 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
