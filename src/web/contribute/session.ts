// A participant's session in the browser: the CLI's flow (docs/PROTOCOL.md) with the same shared code for the login
// message, the attestation, the receipt check and the cosignature. The key and the entropy stay in this tab.
import { attestationMessage } from '../../ceremony/attestation.js';
import { acceptableOrigin, authMessage } from '../../ceremony/auth-message.js';
import type {
  ContributionView,
  ParticipantCircuitStatus,
  ParticipantStatus,
  Receipt,
} from '../../ceremony/types.js';
import { checkReceipt } from '../../cli/receipt-check.js';
import type { KeyPair } from '../../crypto/ed25519.js';
import { toHex } from '../../crypto/hex.js';
import { cosignCheckpoint } from '../../transcript/note.js';
import { ceremonyPath } from '../api.js';
import { isResumable, MAX_UPLOAD_ATTEMPTS, putZkey } from './upload.js';
import { ApiError, computeContribution, parseJson, sha256Hex, toApiError } from './worker-client.js';

/** What the page shows while the session runs. */
export type SessionEvent =
  | { kind: 'step'; text: string }
  | { kind: 'queue'; circuit: string; position: number | null }
  | { kind: 'turn'; circuit: string; index: number; deadline: string | null }
  | { kind: 'progress'; what: 'download' | 'upload'; done: number; total: number | undefined }
  /** A cut upload goes on from the byte the server holds (`offset` of `total`). */
  | { kind: 'resumed'; circuit: string; offset: number; total: number; reason: string }
  | { kind: 'computing'; circuit: string }
  | { kind: 'computed'; circuit: string; ms: number }
  | {
      kind: 'receipt';
      receipt: Receipt;
      contributionHash: string | null;
      text: string;
      fileName: string;
      /** True for a contribution made in an earlier session (a rejoin after it was accepted). */
      earlier: boolean;
    }
  | { kind: 'done' };

export interface SessionOptions {
  ceremony: string;
  keys: KeyPair;
  /** Registers under this name when the ceremony is open to all and the key is new. */
  name?: string;
  statement?: string;
  /** Typed text mixed after 64 random bytes; never sent. */
  entropy?: string;
  openRegistration: boolean;
  onEvent: (event: SessionEvent) => void;
  /** Resolves at the ceremony's next change (the events stream the page already follows). */
  nextChange: () => Promise<void>;
}

/** The snarkjs name field holds at most 64 characters (the CLI cuts the same). */
const MAX_ZKEY_NAME = 64;
const VERDICT_POLL_MS = 1000;
// After a cut, our status is read through a link that may still be down: waits between tries (about 30 s in all).
const STATUS_RETRY_MS = [1000, 2000, 4000, 8000, 15_000];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ContributionSession {
  private token: string | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private stopped = false;
  /** True until an upload is in verification: leaving then would cut short our own verdict. */
  private leaveOnFailure = true;
  private status: ParticipantStatus | undefined;
  private readonly base: string;

  constructor(private readonly opts: SessionOptions) {
    this.base = ceremonyPath(opts.ceremony);
  }

  /** The whole flow for every circuit, in order; resolves when each is contributed or already was. */
  async run(): Promise<void> {
    const { opts } = this;
    await this.logIn();
    const status = await this.request<ParticipantStatus>('POST', `${this.base}/queue`, {});
    this.status = status;
    this.step(`Joined the queue as ${status.name} (${status.participantId}).`);
    this.startHeartbeat(status.heartbeatIntervalSeconds);
    try {
      for (const c of status.circuits) await this.serveCircuit(c.circuit);
      opts.onEvent({ kind: 'done' });
    } catch (err) {
      // As the CLI: a failure before an upload is in verification gives the turn back at once.
      if (this.leaveOnFailure) await this.request('DELETE', `${this.base}/queue`).catch(() => undefined);
      throw err;
    } finally {
      this.stop();
    }
  }

  /**
   * Stops heartbeats: like a silent CLI, the turn is then lost once the coordinator's grace runs out. A session
   * waiting in line when the page is left gives its place back at once (its wait ends with an error).
   */
  stop(): void {
    this.stopped = true;
    clearInterval(this.heartbeat);
  }

  private step(text: string): void {
    this.opts.onEvent({ kind: 'step', text });
  }

  private async logIn(): Promise<void> {
    const { opts } = this;
    const publicKey = toHex(opts.keys.publicKey);
    const challenge = await this.request<{ nonce: string; origin: string }>('POST', '/v1/auth/challenge', {
      publicKey,
    });
    const origin = acceptableOrigin(location.href, challenge.origin);
    if (origin === undefined)
      throw new Error(
        `this server asks to sign a login for '${challenge.origin}', not for ${location.host}: refused`,
      );
    const name = opts.name?.trim() || `operator-${publicKey.slice(0, 8)}`;
    const register = opts.openRegistration ? { ceremony: opts.ceremony, name } : undefined;
    const login = await this.request<{ token: string }>('POST', '/v1/auth/login', {
      publicKey,
      nonce: challenge.nonce,
      signature: toHex(opts.keys.sign(authMessage(origin, challenge.nonce))),
      ...(register ? { register } : {}),
    });
    this.token = login.token;
    if (!register) return this.step('Logged in.');
    try {
      await this.request('POST', `${this.base}/register`, { name });
      this.step(`Registered as ${name}.`);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 'PARTICIPANT_EXISTS')) throw err;
      this.step('Logged in.');
    }
  }

  private startHeartbeat(intervalSeconds: number): void {
    const seconds = Number.isFinite(intervalSeconds) && intervalSeconds > 0 ? intervalSeconds : 5;
    this.heartbeat = setInterval(() => {
      void this.request('POST', `${this.base}/heartbeat`, {}).catch(() => undefined);
    }, seconds * 1000);
  }

  private async serveCircuit(circuit: string): Promise<void> {
    const mine = await this.waitForTurn(circuit);
    if (mine.state === 'done') return this.showEarlier(circuit, mine.contributionId);
    if (mine.state === 'verifying' && mine.contributionId !== null) {
      this.leaveOnFailure = false;
      return this.finish(circuit, await this.waitForVerdict(mine.contributionId));
    }
    this.leaveOnFailure = true;
    if (mine.latestZkeySha256 === null) throw new Error(`circuit ${circuit}: the server sent no zkey hash`);
    const index = mine.latestIndex + 1;
    this.opts.onEvent({ kind: 'turn', circuit, index, deadline: mine.deadline });
    const prev = await this.download(circuit, mine.latestZkeySha256);
    this.opts.onEvent({ kind: 'computing', circuit });
    const { zkey, contributionHash, ms } = await computeContribution(
      prev,
      this.participantName(),
      this.entropy(),
    );
    this.opts.onEvent({ kind: 'computed', circuit, ms });
    const zkeySha256 = await sha256Hex(zkey);
    const { statement } = this.opts;
    const fields = {
      ceremony: this.opts.ceremony,
      circuit,
      index,
      prevZkeySha256: mine.latestZkeySha256,
      zkeySha256,
      contributionHash,
      ...(statement ? { statement } : {}),
    };
    const attestation = toHex(this.opts.keys.sign(attestationMessage(fields)));
    const contributionId = await this.submitUntilFiled(
      circuit,
      mine.latestIndex,
      new Blob([zkey]),
      attestation,
    );
    this.leaveOnFailure = false;
    const view = await this.waitForVerdict(contributionId);
    if (view.index !== index)
      throw new Error(`the server filed the upload as #${view.index}, expected #${index}`);
    return this.finish(circuit, view, { zkeySha256, contributionHash });
  }

  private participantName(): string {
    return this.status?.name.slice(0, MAX_ZKEY_NAME) ?? 'browser';
  }

  private entropy(): string {
    // As the CLI: 64 fresh random bytes as hex, then the participant's text; snarkjs adds 64 more of its own.
    const bytes = crypto.getRandomValues(new Uint8Array(64));
    return toHex(bytes) + (this.opts.entropy ?? '');
  }

  /** Reads our status after each change of the ceremony until this circuit is ours, done or being verified. */
  private async waitForTurn(circuit: string): Promise<ParticipantCircuitStatus> {
    let shown: number | null | undefined;
    for (;;) {
      if (this.stopped) throw new Error('stopped: the page was left');
      this.status = await this.request<ParticipantStatus>('GET', `${this.base}/me`);
      const mine = this.status.circuits.find((c) => c.circuit === circuit);
      if (mine === undefined) throw new Error(`circuit ${circuit} is not part of this ceremony`);
      if (mine.state === 'active' || mine.state === 'done' || mine.state === 'verifying') return mine;
      if (mine.state === 'none') {
        const why = mine.lastRejection ? ` (last rejection: ${mine.lastRejection.message})` : '';
        throw new Error(`you hold no place in the queue for circuit ${circuit}${why}: join again`);
      }
      if (mine.position !== shown) {
        shown = mine.position;
        this.opts.onEvent({ kind: 'queue', circuit, position: mine.position });
      }
      await this.opts.nextChange();
    }
  }

  private async download(circuit: string, expectedSha256: string): Promise<ArrayBuffer> {
    const url = ceremonyPath(this.opts.ceremony, `/circuits/${encodeURIComponent(circuit)}/zkeys/latest`);
    const response = await fetch(url);
    if (!response.ok || response.body === null)
      throw new Error(`download of the current zkey answered ${response.status}`);
    const length = Number(response.headers.get('content-length'));
    const total = Number.isFinite(length) && length > 0 ? length : undefined;
    const chunks: Uint8Array[] = [];
    let done = 0;
    const reader = response.body.getReader();
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) break;
      chunks.push(value);
      done += value.length;
      this.opts.onEvent({ kind: 'progress', what: 'download', done, total });
    }
    const bytes = new Uint8Array(done);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    const sha256 = await sha256Hex(bytes.buffer);
    if (sha256 !== expectedSha256)
      throw new Error(`the downloaded zkey has SHA-256 ${sha256}, the server announced ${expectedSha256}`);
    return bytes.buffer;
  }

  /**
   * Uploads; when the connection broke, asks what became of it, as the CLI does: filed (its id, to wait for the
   * verdict) or not (the rest from the byte the server holds). Attempts that moved the upload on do not count.
   */
  private async submitUntilFiled(
    circuit: string,
    latestIndex: number,
    zkey: Blob,
    attestation: string,
  ): Promise<string> {
    const path = `${this.base}/circuits/${encodeURIComponent(circuit)}/contribution`;
    let offset: number | undefined;
    for (let attempt = 1; ; attempt++) {
      if (this.stopped) throw new Error('stopped: the page was left');
      try {
        const filed = await putZkey(zkey, {
          url: path,
          token: this.token,
          attestation,
          statement: this.opts.statement,
          offset,
          onProgress: (done, total) => this.opts.onEvent({ kind: 'progress', what: 'upload', done, total }),
        });
        return filed.contributionId;
      } catch (err) {
        if (err instanceof ApiError && err.code === 'NOT_YOUR_TURN')
          throw new Error(
            `circuit ${circuit}: your turn ended before the upload (${err.message}); join again`,
          );
        if (!isResumable(err) || attempt >= MAX_UPLOAD_ATTEMPTS) throw err;
        const mine = await this.statusThroughCut(circuit);
        // Filed before the cut: verifying still, or already accepted while we were away.
        if ((mine.state === 'verifying' || mine.state === 'done') && mine.contributionId !== null)
          return mine.contributionId;
        if (mine.state !== 'active' || mine.latestIndex !== latestIndex)
          throw new Error(
            `circuit ${circuit}: your turn ended while the upload was cut (${(err as Error).message}); join again`,
          );
        const held = await this.request<{ offset: number }>('GET', `${path}/upload`);
        if (offset === undefined || held.offset > offset) attempt = 0;
        offset = held.offset;
        const reason = (err as Error).message;
        this.opts.onEvent({ kind: 'resumed', circuit, offset, total: zkey.size, reason });
        this.opts.onEvent({ kind: 'progress', what: 'upload', done: offset, total: zkey.size });
      }
    }
  }

  /** Our status on one circuit, read again while the link that cut the upload may still be down. */
  private async statusThroughCut(circuit: string): Promise<ParticipantCircuitStatus> {
    for (let i = 0; ; i++) {
      try {
        this.status = await this.request<ParticipantStatus>('GET', `${this.base}/me`);
        const mine = this.status.circuits.find((c) => c.circuit === circuit);
        if (mine === undefined) throw new Error(`circuit ${circuit} is not part of this ceremony`);
        return mine;
      } catch (err) {
        const wait = STATUS_RETRY_MS[i];
        // fetch rejects (a TypeError) only when no answer came: the link, not the server, said no.
        if (!(err instanceof TypeError) || wait === undefined) throw err;
        await sleep(wait);
      }
    }
  }

  private async waitForVerdict(contributionId: string): Promise<ContributionView> {
    this.step('Uploaded; the server is verifying the contribution…');
    for (;;) {
      const view = await this.request<ContributionView>(
        'GET',
        `${this.base}/contributions/${encodeURIComponent(contributionId)}`,
      );
      if (view.state !== 'verifying') return view;
      await sleep(VERDICT_POLL_MS);
    }
  }

  private async finish(
    circuit: string,
    view: ContributionView,
    expected: { zkeySha256?: string; contributionHash?: string } = {},
  ): Promise<void> {
    if (view.state === 'rejected') {
      const reason = view.reason ?? { code: 'REJECTED', message: 'no reason given' };
      throw new ApiError(422, reason.code, `contribution #${view.index} rejected: ${reason.message}`);
    }
    if (view.receipt === null)
      throw new Error(`circuit ${circuit}: accepted, but the server sent no receipt`);
    const checked = this.offerReceipt(circuit, view, view.receipt, expected, false);
    try {
      const participantId = this.status?.participantId ?? view.participantId;
      const signature = cosignCheckpoint(
        checked.checkpointBody,
        `participant-${participantId}`,
        this.opts.keys,
        Math.floor(Date.now() / 1000),
      );
      await this.request('POST', `${this.base}/cosignatures`, { treeSize: checked.treeSize, signature });
      this.step(
        `Circuit ${circuit}: contribution #${view.index} accepted; checkpoint ${checked.treeSize} cosigned.`,
      );
    } catch (err) {
      // The contribution stands without a cosignature, as with the CLI.
      this.step(
        `Circuit ${circuit}: accepted, but the checkpoint could not be cosigned: ${(err as Error).message}`,
      );
    }
  }

  /** A rejoin after the contribution was accepted: its receipt again, so the page never shows an empty list. */
  private async showEarlier(circuit: string, contributionId: string | null): Promise<void> {
    if (contributionId === null) return this.step(`Circuit ${circuit}: already contributed.`);
    const view = await this.request<ContributionView>(
      'GET',
      `${this.base}/contributions/${encodeURIComponent(contributionId)}`,
    );
    this.step(`Circuit ${circuit}: already contributed (#${view.index}) in an earlier session.`);
    if (view.receipt !== null) this.offerReceipt(circuit, view, view.receipt, {}, true);
  }

  private offerReceipt(
    circuit: string,
    view: ContributionView,
    receipt: Receipt,
    expected: { zkeySha256?: string; contributionHash?: string },
    earlier: boolean,
  ): ReturnType<typeof checkReceipt> {
    const checked = checkReceipt(receipt, {
      ceremony: this.opts.ceremony,
      circuit,
      index: view.index,
      ...expected,
    });
    this.opts.onEvent({
      kind: 'receipt',
      receipt,
      contributionHash: view.contributionHash,
      // The bytes `ceremony contribute` saves, so `ceremony verify --receipt` reads this file as well.
      text: `${JSON.stringify(receipt, null, 2)}\n`,
      fileName: `${receipt.ceremony}-${receipt.circuit}-${receipt.index}.json`,
      earlier,
    });
    return checked;
  }

  private async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const send = () =>
      fetch(path, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.token === undefined ? {} : { authorization: `Bearer ${this.token}` }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    let response = await send();
    if (response.status === 401 && this.token !== undefined && !path.startsWith('/v1/auth/')) {
      await this.logIn();
      response = await send();
    }
    const parsed = parseJson(await response.text());
    if (!response.ok) throw toApiError(response.status, parsed);
    return parsed as T;
  }
}
