// The container's start command, run here without Docker: the final stage's ENV, ENTRYPOINT and CMD are read from
// docker/Dockerfile (so this cannot drift from the image) and started as a child process against PostgreSQL
// (DATABASE_URL, as compose.yaml gives it) or PGlite. The metrics the alert rules and dashboard name must exist.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { call, loginAs } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const dockerFile = (name: string) => readFile(join(repo, 'docker', name), 'utf8');

interface ImageSpec {
  stages: number;
  user: string | undefined;
  env: Record<string, string>;
  command: string[];
}

/** The final stage of a Dockerfile: ENV (both forms), USER, and ENTRYPOINT + CMD in exec form. */
function parseDockerfile(text: string): ImageSpec {
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  let stages = 0;
  let spec: Omit<ImageSpec, 'stages'> = { user: undefined, env: {}, command: [] };
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  for (const line of lines.map((l) => l.trim())) {
    const [instruction = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    switch (instruction.toUpperCase()) {
      case 'FROM':
        stages += 1;
        spec = { user: undefined, env: {}, command: [] };
        entrypoint = [];
        cmd = [];
        break;
      case 'ENV':
        if (args.includes('=')) {
          for (const pair of args.match(/[A-Za-z_][A-Za-z0-9_]*=("[^"]*"|\S*)/g) ?? []) {
            const at = pair.indexOf('=');
            spec.env[pair.slice(0, at)] = pair.slice(at + 1).replace(/^"|"$/g, '');
          }
        } else {
          const [key = '', ...value] = rest;
          spec.env[key] = value.join(' ');
        }
        break;
      case 'USER':
        spec.user = args;
        break;
      case 'ENTRYPOINT':
        entrypoint = JSON.parse(args) as string[];
        break;
      case 'CMD':
        cmd = JSON.parse(args) as string[];
        break;
    }
  }
  return { stages, ...spec, command: [...entrypoint, ...cmd] };
}

/** Every metric name a PromQL text uses, histogram series folded to their metric. */
function metricNames(text: string): string[] {
  const names = text.match(/\b(?:ceremony|process|nodejs)_[a-z0-9_]+/g) ?? [];
  return [...new Set(names.map((n) => n.replace(/_(bucket|sum|count)$/, '')))].sort();
}

/** One pino line, or undefined for a line still being written. */
function parseLogLine(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

describe('the container start command', () => {
  let image: ImageSpec;
  let database: TestDatabase;
  let root: string;
  let child: ChildProcess;
  let url: string;
  let stderr = '';
  let token: string;
  const coordinator = generateKeyPair();

  beforeAll(async () => {
    image = parseDockerfile(await dockerFile('Dockerfile'));
    database = await createTestDatabase();
    root = await mkdtemp(join(tmpdir(), 'ceremony-image-'));
    // Paths of the image move under a temp root, and the port becomes ephemeral; every other value is the image's.
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(image.env))
      env[key] = value.startsWith('/') ? join(root, value) : value;
    env.PORT = '0';
    // What compose.yaml adds.
    env.COORDINATOR_PUBLIC_KEYS = toHex(coordinator.publicKey);
    env.CEREMONY_ORIGIN = 'image.ceremony.local';
    if (database.url) env.DATABASE_URL = database.url;
    const [program, ...args] = image.command;
    expect(program).toBe('node');
    child = spawn(process.execPath, args, {
      cwd: repo,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const address = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /listening on https?:\/\/[^:\s]+:(\d+)/.exec(out);
        if (match) resolve(`http://127.0.0.1:${match[1]}`);
      });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
    url = address;
    token = await loginAs(url, coordinator);
    const created = await call(url, 'POST', '/v1/ceremonies', {
      token,
      json: { id: 'image', title: 'Image' },
    });
    expect(created.status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await database?.drop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('is a multi-stage build whose final stage runs as an unprivileged user', () => {
    expect(image.stages).toBeGreaterThanOrEqual(2);
    expect(image.user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(image.user);
    expect(image.command).toEqual(['node', 'bin/ceremony.js', 'serve']);
  });

  it('serves and is ready on its database', async () => {
    const ready = await call(url, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready' });
  });

  it('logs each transcript entry as a structured line with the ceremony id, and no credentials', async () => {
    const line = await new Promise<Record<string, unknown>>((resolve) => {
      const find = () => {
        const hit = stderr
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map(parseLogLine)
          .find((l) => l?.entry === 'ceremony.created');
        if (hit) resolve(hit);
        return hit;
      };
      if (!find()) child.stderr?.on('data', find);
    });
    expect(line).toMatchObject({ ceremony: 'image', seq: 0, entry: 'ceremony.created' });
    expect(stderr).not.toContain(token);
  });

  it('exposes every metric the alert rules and the dashboard name', async () => {
    const alerts = await dockerFile('prometheus/alerts.yml');
    const dashboard = JSON.parse(await dockerFile('grafana/ceremony-dashboard.json')) as {
      panels: { targets: { expr: string }[] }[];
    };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    const named = metricNames(`${alerts}\n${exprs}`);
    expect(named).toEqual(
      expect.arrayContaining([
        'ceremony_queue_waiting',
        'ceremony_turn_overdue_seconds',
        'ceremony_publish_lag_seconds',
        'ceremony_data_dir_bytes',
      ]),
    );
    const metrics = (await call<string>(url, 'GET', '/metrics')).body;
    const exposed = new Set([...metrics.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    expect(named.filter((name) => !exposed.has(name))).toEqual([]);
    // The gauges read at scrape time answer from the live database.
    expect(metrics).toMatch(/^ceremony_database_up 1$/m);
    expect(metrics).toMatch(/^ceremony_publish_lag_entries\{ceremony="image"\} \d+$/m);
    expect(metrics).toMatch(/^ceremony_data_dir_bytes\{kind="free"\} \d/m);
  });
});
