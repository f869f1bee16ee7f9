// PostgreSQL going away under a running coordinator (a private cluster this file stops and starts): the process
// survives a connection cut in the middle of a transaction, and /readyz follows the database without a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CeremonyError } from '../../src/errors.js';
import { createPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const ready = (server: TestServer) =>
  fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(30_000) }).then((r) => r.status);

/** A promise and the function that settles it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('a PostgreSQL outage', () => {
  let postgres: PrivatePostgres;
  let server: TestServer;

  beforeAll(async () => {
    postgres = await createPrivatePostgres();
    server = await startTestServer({ env: { DATABASE_URL: postgres.url, READY_TIMEOUT_MS: '2000' } });
  }, 60_000);

  afterAll(async () => {
    await server?.destroy();
    await postgres?.destroy();
  });

  it('keeps /readyz green while every pooled connection is busy', async () => {
    const held = gate();
    const { db } = server.built.services;
    const busy = Array.from({ length: db.poolStats?.().max ?? 10 }, () =>
      db.transaction(async (tx) => {
        await tx.query('SELECT 1');
        await held.opened;
      }),
    );
    try {
      await expect.poll(() => db.poolStats?.().idle === 0 && db.poolStats?.().total === 10).toBe(true);
      expect(await ready(server)).toBe(200);
    } finally {
      held.open();
      await Promise.all(busy);
    }
  });

  it('fails a transaction whose connection is cut while it waits, and the coordinator lives on', async () => {
    const { db } = server.built.services;
    const held = gate();
    const pid = process.pid;
    const inFlight = db.transaction(async (tx) => {
      await tx.query('SELECT 1');
      // Work that is not the database (a file, a child) while the server goes away.
      await held.opened;
      await tx.query('SELECT 1');
    });
    inFlight.catch(() => undefined);
    await postgres.stop();
    // The cut reaches the client as an 'error' event before the transaction asks anything again.
    await new Promise((resolve) => setTimeout(resolve, 200));
    held.open();
    const failure = await inFlight.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(CeremonyError);
    expect((failure as CeremonyError).code).toBe('UNAVAILABLE');
    expect(process.pid).toBe(pid);

    expect(await ready(server)).toBe(503);
    await postgres.start();
    expect(await ready(server)).toBe(200);
    // The pool dropped the cut connection: the next transaction gets a live one.
    await expect(db.transaction((tx) => tx.query('SELECT 1 AS one'))).resolves.toEqual([{ one: 1 }]);
  });
});
