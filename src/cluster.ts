// How this process shares its database with other coordinator processes (docs/SCALING.md): committed changes and
// queued jobs are announced over LISTEN/NOTIFY, and the scheduler runs in whichever process holds the advisory
// lock. On the embedded database the process is alone: announcements stay local and it always holds the scheduler.
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { AdvisoryLeader } from './db/advisory-lock.js';
import type { Database } from './db/database.js';
import { NotificationListener, notify } from './db/notifications.js';

const CHANGES_CHANNEL = 'ceremony_changed';
const JOBS_CHANNEL = 'ceremony_jobs';
// Any fixed 64-bit key: the lock names "the scheduler of this database".
const SCHEDULER_LOCK_KEY = 0x63657265_6d6f;
// How often a process not holding the scheduler lock tries for it: the takeover delay after the holder dies.
const LEADER_RETRY_MS = 2000;

export interface ClusterHooks {
  /** Another process committed a change to this ceremony; undefined: any ceremony may have changed (reconnect). */
  onChange(ceremonyId: string | undefined): void;
  onJobQueued(): void;
  /** This process now runs the scheduler; `onFollow` when it must stop. */
  onLead(): void;
  onFollow(): void;
}

export interface Cluster {
  /** Tells the other processes that a committed change touched this ceremony. */
  announceChange(ceremonyId: string): void;
  /** Tells the workers that a job was committed. */
  announceJob(): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

interface Announcement {
  ceremony?: string;
  from: string;
}

export function joinCluster(
  config: Config,
  db: Database,
  instanceId: string,
  log: Logger,
  hooks: ClusterHooks,
): Cluster {
  if (config.databaseUrl === undefined || db.kind !== 'postgres') {
    return {
      announceChange: () => undefined,
      announceJob: () => undefined,
      start: async () => hooks.onLead(),
      stop: async () => hooks.onFollow(),
    };
  }
  const send = (channel: string, body: Announcement) => {
    // Lost only if the database is away, and then every listener reconnects and assumes anything changed.
    notify(db, channel, JSON.stringify(body)).catch((err: unknown) =>
      log.warn({ err, channel }, 'sending a notification failed'),
    );
  };
  const listener = new NotificationListener(config.databaseUrl, [CHANGES_CHANNEL, JOBS_CHANNEL], {
    onNotify(channel, payload) {
      let body: Announcement;
      try {
        body = JSON.parse(payload) as Announcement;
      } catch {
        return;
      }
      // This process fired its own listeners when it committed.
      if (body.from === instanceId) return;
      if (channel === JOBS_CHANNEL) hooks.onJobQueued();
      else if (typeof body.ceremony === 'string') hooks.onChange(body.ceremony);
    },
    onReconnect() {
      log.warn('notification listener reconnected; treating every ceremony as changed');
      hooks.onChange(undefined);
      hooks.onJobQueued();
    },
    onError: (err) => log.warn({ err }, 'notification listener lost its connection; reconnecting'),
  });
  const leader = new AdvisoryLeader(
    config.databaseUrl,
    SCHEDULER_LOCK_KEY,
    LEADER_RETRY_MS,
    `scheduler ${instanceId}`,
    {
      onAcquire() {
        log.info({ instance: instanceId }, 'this process now runs the scheduler');
        hooks.onLead();
      },
      onLose() {
        log.warn({ instance: instanceId }, 'this process no longer runs the scheduler');
        hooks.onFollow();
      },
      onError: (err) => log.warn({ err }, 'scheduler lock connection failed'),
    },
  );
  return {
    announceChange: (ceremonyId) => send(CHANGES_CHANNEL, { ceremony: ceremonyId, from: instanceId }),
    announceJob: () => send(JOBS_CHANNEL, { from: instanceId }),
    async start() {
      await listener.start();
      await leader.start();
    },
    async stop() {
      await leader.stop();
      await listener.stop();
    },
  };
}
