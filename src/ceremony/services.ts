// What the domain functions need from the outside world, handed in once at boot (no module singletons).
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { StepService } from '../snark/step-verify/step-service.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { LogSigner } from '../transcript/log-key.js';
import type { PublishedTranscript } from '../transcript/publisher.js';
import type { PartialUploads } from '../uploads/partial-uploads.js';
import type { CallerCache } from './caller-cache.js';
import type { ChangeFeed } from './change-feed.js';
import type { Metrics } from './metrics.js';
import type { StatusBoard } from './status-board.js';

export interface Services {
  readonly db: Database;
  readonly store: BlobStore;
  readonly config: Config;
  readonly signer: LogSigner;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** When this process started: heartbeats could not arrive before it, so their grace counts from here. */
  readonly startedAt: Date;
  /** Listeners of committed changes (the events stream); `events.ceremonyChanged` notifies it. */
  readonly changes: ChangeFeed;
  /** The ceremony views and participant statuses in memory, caught up after each change (`events.ceremonyChanged`). */
  readonly board: StatusBoard;
  /** Recently checked bearer tokens (`AUTH_CACHE_SECONDS`), for the routes participants repeat. */
  readonly callers: CallerCache;
  /**
   * The published transcript files, when this process publishes them: `GET /transcript` streams the file instead of
   * reading the entries from the database. Absent where nothing is published (domain tests).
   */
  readonly transcripts?: {
    published(ceremonyId: string): PublishedTranscript | undefined;
    /** Waits for the publish under way, if any. */
    settle(ceremonyId: string): Promise<void>;
  };
  /** The turns' cut uploads, kept for a resume (src/uploads). */
  readonly uploads: PartialUploads;
  /** The streaming step verifier; a passed verdict is stored with its contribution (`step_passed`). */
  readonly steps: { readonly verifier: StepService };
  /** The one clock of the domain: each entry point reads it once and passes that `now` down. */
  readonly clock: () => Date;
  /**
   * Hooks run after a commit, never inside a transaction: `ceremonyChanged` fires from `withCeremonyLock` (and the
   * few changes made without it) so listeners (the publisher, the events stream) see committed state only.
   */
  readonly events: {
    ceremonyChanged(ceremonyId: string): void;
    jobQueued(): void;
  };
}
