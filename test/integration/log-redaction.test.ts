// The server's own log, at trace level, through real uploads (one refused, one accepted): request lines carry the
// headers, and pino's redaction blanks the bearer token, the attestation and the statement; no entropy appears.
// Needs `npm run build` first (npm test does it).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import { contribute } from '../../src/snark/runner.js';
import { sha256File } from '../../src/storage/file-hash.js';
import { call, loginAs } from '../helpers/api.js';
import { mulchain, setupCeremony } from '../helpers/ceremony.js';
import { attestFile, downloadZkey, uploadZkey, waitForVerdict } from '../helpers/contribution.js';

const cli = fileURLToPath(new URL('../../bin/ceremony.js', import.meta.url));

describe('what the server logs of an upload', () => {
  let dir: string;
  let child: ChildProcess | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('never holds the token, the attestation, the statement or the entropy, even at trace level', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ceremony-log-redaction-'));
    const coordinator = generateKeyPair();
    child = spawn(process.execPath, [cli, 'serve', '--json'], {
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: join(dir, 'data'),
        TRANSCRIPTS_DIR: join(dir, 'published'),
        COORDINATOR_PUBLIC_KEYS: toHex(coordinator.publicKey),
        CEREMONY_ORIGIN: 'test.ceremony.local',
        LOG_LEVEL: 'trace',
        LOG_SAMPLE_READS: '1',
        SCHEDULER_INTERVAL_MS: '200',
        HEARTBEAT_GRACE_SECONDS: '3600',
        RATE_LIMIT: 'off',
        // The embedded database whatever the environment says: this test reads only the log.
        DATABASE_URL: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child?.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        const found = /"url":"(http:\/\/[^"]+)"/.exec(out);
        if (found?.[1]) resolve(found[1]);
      });
      child?.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${log}`)));
    });

    const ceremony = await setupCeremony(
      { url, coordinator },
      { id: 'logs', circuits: [mulchain], participants: 1 },
    );
    const alice = ceremony.participants[0];
    if (!alice) throw new Error('no participant');
    const token = await loginAs(url, alice.keys);
    const zkey0 = await downloadZkey(url, 'logs', 'mulchain', 0, join(ceremony.workDir, '0.zkey'));
    const next = join(ceremony.workDir, '1.zkey');
    const entropy = `alice's entropy ${randomBytes(16).toString('hex')}`;
    await contribute(zkey0, next, 'alice', entropy);
    const fields = {
      ceremony: 'logs',
      circuit: 'mulchain',
      index: 1,
      prevZkeySha256: await sha256File(zkey0),
    };
    const target = { ceremony: 'logs', circuit: 'mulchain' };

    // Refused: the statement sent is not the one signed.
    const refusedStatement = `refused statement ${randomBytes(8).toString('hex')}`;
    const refusedAttestation = await attestFile(
      next,
      { ...fields, statement: 'another statement' } as typeof fields,
      alice.keys.secretKey,
    );
    expect((await call(url, 'POST', '/v1/ceremonies/logs/queue', { token })).status).toBe(200);
    const refused = await uploadZkey(url, token, target, next, refusedAttestation, refusedStatement);
    expect(refused.body.error?.code).toBe('BAD_ATTESTATION');

    // Accepted, with a statement of its own.
    const statement = `accepted statement ${randomBytes(8).toString('hex')}`;
    const attestation = await attestFile(
      next,
      { ...fields, statement } as typeof fields,
      alice.keys.secretKey,
    );
    expect((await call(url, 'POST', '/v1/ceremonies/logs/queue', { token })).status).toBe(200);
    const accepted = await uploadZkey(url, token, target, next, attestation, statement);
    expect(accepted.status).toBe(202);
    expect((await waitForVerdict(url, 'logs', accepted.body.contributionId ?? '')).state).toBe('accepted');

    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;

    // The capture is real: trace-level request lines with their headers, the secret ones blanked by the redaction.
    const uploads = log
      .split('\n')
      .filter((line) => line.includes('"method":"PUT"') && line.includes('/contribution'));
    expect(uploads).toHaveLength(2);
    for (const line of uploads) {
      expect(line).toContain('"authorization":"[Redacted]"');
      expect(line).toContain('"x-ceremony-attestation":"[Redacted]"');
      expect(line).toContain('"x-ceremony-statement":"[Redacted]"');
    }
    const secrets: [string, string][] = [
      ['the bearer token', token],
      ['the refused attestation', refusedAttestation],
      ['the accepted attestation', attestation],
      ['the refused statement (header)', Buffer.from(refusedStatement, 'utf8').toString('base64')],
      ['the accepted statement (header)', Buffer.from(statement, 'utf8').toString('base64')],
      ['the refused statement', refusedStatement],
      ['the entropy', entropy],
      ['the entropy (hex)', Buffer.from(entropy, 'utf8').toString('hex')],
    ];
    expect(secrets.filter(([, value]) => log.includes(value)).map(([what]) => what)).toEqual([]);
  }, 600_000);
});
