// The origin trap: a coordinator started without CEREMONY_ORIGIN fixes its host name into the data dir, and
// participants who type another name are refused at login. It must say so when it starts.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

const dirs: string[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function firstStart(env: Record<string, string>): Promise<{ logged: string; origin: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ceremony-first-start-'));
  dirs.push(dataDir);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  // Always on the embedded database: the warning is about the data dir, whatever the database.
  const built = await buildApp(loadConfig({}, { PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env }));
  await built.app.close();
  const logged = stderr.mock.calls.map(([chunk]) => String(chunk)).join('');
  stderr.mockRestore();
  return { logged, origin: (await readFile(join(dataDir, 'log-origin'), 'utf8')).trim() };
}

describe('the first start of a coordinator', () => {
  it('warns when CEREMONY_ORIGIN is unset, naming the host name it fixed into the data dir', async () => {
    const { logged, origin } = await firstStart({});
    expect(origin).toBe(hostname());
    expect(logged).toContain(`CEREMONY_ORIGIN is not set: logins and checkpoints name '${hostname()}'`);
  }, 120_000);

  it('says nothing of it when CEREMONY_ORIGIN is set', async () => {
    const { logged, origin } = await firstStart({ CEREMONY_ORIGIN: 'ceremony.example' });
    expect(origin).toBe('ceremony.example');
    expect(logged).not.toContain('CEREMONY_ORIGIN');
  }, 120_000);
});
