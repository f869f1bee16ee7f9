// Every write route × every kind of caller: one table of the statuses a caller sees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair, type KeyPair } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { call, loginAs } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const ROLES = [
  'anonymous',
  'participantElsewhere',
  'participant',
  'coordinatorElsewhere',
  'owner',
  'coOwner',
  'coOwnerElsewhere',
  'serverAdmin',
] as const;
type Role = (typeof ROLES)[number];

interface WriteRoute {
  name: string;
  method: string;
  path: string;
  json?: unknown;
  body?: Uint8Array;
  headers?: Record<string, string>;
}

const zeros = '0'.repeat(64);
const hex64 = 'ab'.repeat(64);

describe('who may write what', () => {
  let server: TestServer;
  const keys = {} as Record<Exclude<Role, 'anonymous'>, KeyPair>;
  const tokens = new Map<Role, string | undefined>();

  beforeAll(async () => {
    keys.owner = generateKeyPair();
    keys.coordinatorElsewhere = generateKeyPair();
    keys.coOwner = generateKeyPair();
    keys.participant = generateKeyPair();
    keys.participantElsewhere = generateKeyPair();
    keys.coOwnerElsewhere = generateKeyPair();
    keys.serverAdmin = generateKeyPair();
    const configured = [keys.owner, keys.coordinatorElsewhere, keys.serverAdmin];
    server = await startTestServer({
      env: { COORDINATOR_PUBLIC_KEYS: configured.map((k) => toHex(k.publicKey)).join(',') },
    });
    const owner = await loginAs(server.url, keys.owner);
    const other = await loginAs(server.url, keys.coordinatorElsewhere);
    const setup = async (token: string, method: string, path: string, json: unknown) => {
      const answer = await call(server.url, method, path, { token, json });
      if (answer.status >= 300) throw new Error(`${method} ${path}: ${JSON.stringify(answer.body)}`);
    };
    await setup(owner, 'POST', '/v1/ceremonies', { id: 'mine', title: 'Owned' });
    await setup(other, 'POST', '/v1/ceremonies', { id: 'theirs', title: 'Owned by another' });
    await setup(owner, 'POST', '/v1/ceremonies/mine/participants', {
      name: 'p',
      publicKey: toHex(keys.participant.publicKey),
    });
    await setup(other, 'POST', '/v1/ceremonies/theirs/participants', {
      name: 'x',
      publicKey: toHex(keys.participantElsewhere.publicKey),
    });
    await setup(owner, 'POST', '/v1/ceremonies/mine/coordinators', {
      publicKey: toHex(keys.coOwner.publicKey),
    });
    await setup(other, 'POST', '/v1/ceremonies/theirs/coordinators', {
      publicKey: toHex(keys.coOwnerElsewhere.publicKey),
    });
    tokens.set('anonymous', undefined);
    for (const role of ROLES)
      if (role !== 'anonymous') tokens.set(role, await loginAs(server.url, keys[role]));
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('answers each cell of the route × caller matrix as the table says', async () => {
    const routes: WriteRoute[] = [
      {
        name: 'create ceremony (id taken)',
        method: 'POST',
        path: '/v1/ceremonies',
        json: { id: 'mine', title: 't' },
      },
      {
        name: 'store blob',
        method: 'PUT',
        path: '/v1/blobs',
        body: new Uint8Array([1, 2, 3]),
        headers: { 'content-type': 'application/octet-stream' },
      },
      {
        name: 'add circuit (no such blob)',
        method: 'POST',
        path: '/v1/ceremonies/mine/circuits',
        json: { name: 'c', r1csSha256: zeros, ptauSha256: zeros },
      },
      {
        name: 'add participant (already there)',
        method: 'POST',
        path: '/v1/ceremonies/mine/participants',
        json: { name: 'p', publicKey: toHex(keys.participant.publicKey) },
      },
      {
        name: 'add co-coordinator (already there)',
        method: 'POST',
        path: '/v1/ceremonies/mine/coordinators',
        json: { publicKey: toHex(keys.coOwner.publicKey) },
      },
      { name: 'open (no circuit)', method: 'POST', path: '/v1/ceremonies/mine/open' },
      { name: 'close (draft)', method: 'POST', path: '/v1/ceremonies/mine/close' },
      {
        name: 'finalize (draft)',
        method: 'POST',
        path: '/v1/ceremonies/mine/finalize',
        json: { beaconHex: 'ab', beaconSource: 'test', iterationsExp: 10 },
      },
      { name: 'expire turn (draft)', method: 'POST', path: '/v1/ceremonies/mine/circuits/c/expire-turn' },
      {
        name: 'revoke participant (unknown)',
        method: 'POST',
        path: '/v1/ceremonies/mine/participants/p99/revoke',
      },
      { name: 'retry circuit (unknown)', method: 'POST', path: '/v1/ceremonies/mine/circuits/c/retry' },
      { name: 'remove circuit (unknown)', method: 'DELETE', path: '/v1/ceremonies/mine/circuits/c' },
      {
        name: 'register (allowlist)',
        method: 'POST',
        path: '/v1/ceremonies/mine/register',
        json: { name: 'n' },
      },
      { name: 'join queue (draft)', method: 'POST', path: '/v1/ceremonies/mine/queue' },
      { name: 'leave queue', method: 'DELETE', path: '/v1/ceremonies/mine/queue' },
      { name: 'heartbeat', method: 'POST', path: '/v1/ceremonies/mine/heartbeat' },
      {
        name: 'upload contribution (no turn)',
        method: 'PUT',
        path: '/v1/ceremonies/mine/circuits/c/contribution',
        body: new Uint8Array(16),
        headers: { 'content-type': 'application/octet-stream', 'x-ceremony-attestation': hex64 },
      },
      {
        name: 'cosign (no such checkpoint)',
        method: 'POST',
        path: '/v1/ceremonies/mine/cosignatures',
        json: { treeSize: 99, signature: '— x y' },
      },
      { name: 'stage backup', method: 'POST', path: '/v1/admin/backups' },
      {
        name: 'fetch backup file (unknown)',
        method: 'GET',
        path: '/v1/admin/backups/none/files/data/log-key',
      },
      { name: 'drop backup (unknown)', method: 'DELETE', path: '/v1/admin/backups/none' },
    ];
    // anonymous, participant elsewhere, participant, coordinator elsewhere, owner, co-coordinator,
    // co-coordinator of another ceremony, server admin (a configured key that owns no ceremony)
    const expected: Record<string, number[]> = {
      'create ceremony (id taken)': [401, 403, 403, 409, 409, 403, 403, 409],
      'store blob': [401, 403, 403, 201, 201, 201, 201, 201],
      'add circuit (no such blob)': [401, 403, 403, 403, 404, 404, 403, 403],
      'add participant (already there)': [401, 403, 403, 403, 409, 409, 403, 403],
      'add co-coordinator (already there)': [401, 403, 403, 403, 409, 403, 403, 403],
      'open (no circuit)': [401, 403, 403, 403, 409, 409, 403, 403],
      'close (draft)': [401, 403, 403, 403, 409, 409, 403, 403],
      'finalize (draft)': [401, 403, 403, 403, 409, 409, 403, 403],
      'expire turn (draft)': [401, 403, 403, 403, 409, 409, 403, 403],
      'revoke participant (unknown)': [401, 403, 403, 403, 404, 404, 403, 403],
      'retry circuit (unknown)': [401, 403, 403, 403, 404, 404, 403, 403],
      'remove circuit (unknown)': [401, 403, 403, 403, 404, 404, 403, 403],
      'register (allowlist)': [401, 403, 403, 403, 403, 403, 403, 403],
      'join queue (draft)': [401, 403, 409, 403, 403, 403, 403, 403],
      'leave queue': [401, 403, 200, 403, 403, 403, 403, 403],
      heartbeat: [401, 403, 200, 403, 403, 403, 403, 403],
      'upload contribution (no turn)': [401, 403, 409, 403, 403, 403, 403, 403],
      'cosign (no such checkpoint)': [401, 403, 404, 403, 403, 403, 403, 403],
      // Backups hold every ceremony's rows: keys from the server's configuration only.
      'stage backup': [401, 403, 403, 201, 201, 403, 403, 201],
      'fetch backup file (unknown)': [401, 403, 403, 404, 404, 403, 403, 404],
      'drop backup (unknown)': [401, 403, 403, 404, 404, 403, 403, 404],
    };
    const sizeOf = async (id: string) =>
      (await call<{ transcriptSize: number }>(server.url, 'GET', `/v1/ceremonies/${id}`)).body.transcriptSize;
    const before = [await sizeOf('mine'), await sizeOf('theirs')];
    const actual: Record<string, number[]> = {};
    for (const route of routes) {
      actual[route.name] = [];
      for (const role of ROLES) {
        const answer = await call(server.url, route.method, route.path, {
          token: tokens.get(role),
          json: route.json,
          body: route.body,
          headers: route.headers,
        });
        actual[route.name]?.push(answer.status);
      }
    }
    expect(actual).toEqual(expected);
    // Nothing in the table was allowed to write to a transcript.
    expect([await sizeOf('mine'), await sizeOf('theirs')]).toEqual(before);
  });

  it('logs the co-coordinator it adds in the transcript', async () => {
    const transcript = await call<string>(server.url, 'GET', '/v1/ceremonies/mine/transcript');
    const added = transcript.body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; body: { publicKey?: string } })
      .find((e) => e.type === 'coordinator.added');
    expect(added?.body.publicKey).toBe(toHex(keys.coOwner.publicKey));
  });
});
