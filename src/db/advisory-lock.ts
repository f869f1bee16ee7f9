// Leadership by a session advisory lock on a dedicated connection: the holder keeps the connection open, so the lock
// ends with its process (PostgreSQL drops it when the connection closes) and another process takes it at its next try.
import type pg from 'pg';
import { loadPg } from './load-pg.js';

export interface LeaderHooks {
  /** This process now holds the lock. */
  onAcquire(): void;
  /** The lock is no longer certain (the connection failed, or stop): stop acting as the holder at once. */
  onLose(): void;
  onError(err: unknown): void;
}

/** Tries for the lock every `intervalMs` while another holds it, and checks its own connection as often once held. */
export class AdvisoryLeader {
  private client: pg.Client | undefined;
  private held = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly url: string,
    private readonly lockKey: number,
    private readonly intervalMs: number,
    /** Shown as the connection's application_name, so operators can see which process holds the lock. */
    private readonly holderName: string,
    private readonly hooks: LeaderHooks,
  ) {
    if (!Number.isSafeInteger(lockKey)) throw new TypeError(`AdvisoryLeader: bad lock key ${lockKey}`);
  }

  get isHolder(): boolean {
    return this.held;
  }

  async start(): Promise<void> {
    await this.attempt();
    this.timer = setInterval(() => void this.attempt(), this.intervalMs);
    this.timer.unref();
  }

  private async attempt(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      if (!this.client) {
        const client = new (await loadPg()).Client({
          connectionString: this.url,
          keepAlive: true,
          application_name: this.holderName.slice(0, 63),
        });
        client.on('error', (err) => this.drop(client, err));
        client.on('end', () => this.drop(client));
        this.client = client;
        await client.connect();
      }
      const client = this.client;
      if (this.held) {
        // The lock lives as long as this connection: a connection that no longer answers may already have lost it.
        await client.query('SELECT 1');
        return;
      }
      const [row] = (await client.query('SELECT pg_try_advisory_lock($1) AS won', [this.lockKey])).rows;
      if (row?.won === true && !this.stopped) {
        this.held = true;
        this.hooks.onAcquire();
      }
    } catch (err) {
      if (this.client) this.drop(this.client, err);
    } finally {
      this.busy = false;
    }
  }

  private drop(client: pg.Client, err?: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    if (err !== undefined && !this.stopped) this.hooks.onError(err);
    client.end().catch(() => undefined);
    if (this.held) {
      this.held = false;
      this.hooks.onLose();
    }
  }

  /** Gives the lock up (by closing its connection) so another process takes over at its next try. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const client = this.client;
    if (client) this.drop(client);
    await client?.end().catch(() => undefined);
  }
}
