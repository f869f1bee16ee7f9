// LISTEN/NOTIFY across coordinator processes on one PostgreSQL: a dedicated connection listens on a few channels
// and comes back by itself after the server restarts; a notification is sent through the pool.
import type pg from 'pg';
import type { Queryable } from './database.js';
import { loadPg } from './load-pg.js';

export interface ListenerHooks {
  onNotify(channel: string, payload: string): void;
  /** The connection came back after a loss: notifications sent meanwhile are gone, so assume anything changed. */
  onReconnect(): void;
  onError(err: unknown): void;
}

const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5000;

/** Sends `payload` on `channel`; delivered to every listener once the sender's transaction (if any) commits. */
export async function notify(db: Queryable, channel: string, payload: string): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [channel, payload]);
}

/** Listens on `channels` over its own connection until stopped, reconnecting with back-off. */
export class NotificationListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private retryMs = RETRY_FIRST_MS;
  private retry: NodeJS.Timeout | undefined;
  private connectedOnce = false;

  constructor(
    private readonly url: string,
    private readonly channels: readonly string[],
    private readonly hooks: ListenerHooks,
  ) {
    for (const channel of channels) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel))
        throw new TypeError(`NotificationListener: bad channel name '${channel}'`);
    }
  }

  /** Resolves once listening, or after the first failure (it keeps trying in the background). */
  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const { Client } = await loadPg();
    if (this.stopped) return;
    const client = new Client({ connectionString: this.url, keepAlive: true });
    client.on('notification', (n) => this.hooks.onNotify(n.channel, n.payload ?? ''));
    const lost = (err?: unknown) => {
      if (this.client !== client) return;
      this.client = undefined;
      if (err !== undefined && !this.stopped) this.hooks.onError(err);
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    this.client = client;
    try {
      await client.connect();
      for (const channel of this.channels) await client.query(`LISTEN ${channel}`);
    } catch (err) {
      lost(err);
      return;
    }
    this.retryMs = RETRY_FIRST_MS;
    if (this.connectedOnce && !this.stopped) this.hooks.onReconnect();
    this.connectedOnce = true;
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.connect();
    }, this.retryMs);
    this.retry.unref();
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
