// `ceremony verify` on a real finished ceremony (3 participants, mulchain-1021 + pot10, beacon, outputs): it passes
// through the API and from the published files, and names the check that catches each kind of tampering — also
// when a coordinator holding the log key rewrites the transcript and re-signs every checkpoint.
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attestationMessage } from '../../src/ceremony/attestation.js';
import { runVerify } from '../../src/cli/commands/verify.js';
import { createMemoryOutput } from '../../src/cli/output.js';
import { generateKeyPair, keyPairFromSecret, sign } from '../../src/crypto/ed25519.js';
import { fromHex, toHex } from '../../src/crypto/hex.js';
import { applyBeacon } from '../../src/snark/runner.js';
import { readZkeyInfo } from '../../src/snark/zkey-file.js';
import { sha256File } from '../../src/storage/file-hash.js';
import { encodeEntry, type TranscriptEntry } from '../../src/transcript/entry.js';
import { MemoryTree } from '../../src/transcript/merkle.js';
import {
  formatCheckpoint,
  parseCheckpoint,
  parseNote,
  parseVerifierKey,
  signNote,
} from '../../src/transcript/note.js';
import { auditCeremony } from '../../src/verify/audit.js';
import { DirectorySource } from '../../src/verify/dir-source.js';
import { HttpSource } from '../../src/verify/http-source.js';
import type { AuditOptions, AuditReport, CheckName } from '../../src/verify/types.js';
import { type FinishedCeremony, makeFinishedCeremony } from '../helpers/finished-ceremony.js';
import { writeEditedCopy } from '../helpers/zkeys.js';

const CIRCUIT = 'mulchain';
let done: FinishedCeremony;
/** The published directory plus final.zkey, circuit.r1cs and circuit.ptau: auditable with no server. */
let archive: string;
const temps: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'verify-it-'));
  temps.push(dir);
  return dir;
}

async function download(path: string, out: string): Promise<void> {
  const response = await fetch(`${done.server.url}/v1/ceremonies/${done.ceremonyId}${path}`);
  if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
  await writeFile(out, Buffer.from(await response.arrayBuffer()));
}

/** A private copy of the self-contained archive, to tamper with. */
async function copyArchive(): Promise<string> {
  const dir = join(await tempDir(), 'published');
  await cp(archive, dir, { recursive: true });
  return dir;
}

async function auditDir(dir: string, options: AuditOptions = {}): Promise<AuditReport> {
  const source = new DirectorySource({ dir });
  return auditCeremony(source, options).finally(() => source.close());
}

const failing = (report: AuditReport) => report.checks.filter((c) => c.status === 'fail').map((c) => c.name);
const check = (report: AuditReport, name: CheckName) => report.checks.find((c) => c.name === name)!;

async function readLines(dir: string): Promise<string[]> {
  return (await readFile(join(dir, 'transcript.jsonl'), 'utf8')).trimEnd().split('\n');
}

async function writeLines(dir: string, lines: string[]): Promise<void> {
  await writeFile(join(dir, 'transcript.jsonl'), lines.map((l) => `${l}\n`).join(''));
}

/**
 * What a coordinator holding the log key could do: edit entries, re-chain every later `prev`, and re-sign every
 * checkpoint whose tree changed (their cosignatures cannot be forged, so they are dropped).
 */
async function rewriteLog(dir: string, edit: (entries: TranscriptEntry[]) => void): Promise<void> {
  const entries = (await readLines(dir)).map((l) => JSON.parse(l) as TranscriptEntry);
  edit(entries);
  let prev = entries[0]!.prev;
  const encoded = entries.map((entry) => {
    const e = encodeEntry({ ...entry, prev });
    prev = toHex(e.leafHash);
    return e;
  });
  await writeLines(
    dir,
    encoded.map((e) => e.line),
  );
  const tree = new MemoryTree(encoded.map((e) => e.leafHash));
  const logKey = parseVerifierKey(await readFile(join(dir, 'log-key.pub'), 'utf8'));
  const secret = keyPairFromSecret(fromHex(done.logKeySeedHex, 32));
  for (let size = 1; size <= encoded.length; size++) {
    const path = join(dir, 'checkpoints', String(size));
    const old = parseCheckpoint(parseNote(await readFile(path, 'utf8')).body);
    if (toHex(old.rootHash) === toHex(tree.root(size))) continue;
    const body = formatCheckpoint({ origin: old.origin, size, rootHash: tree.root(size) });
    await writeFile(path, signNote(body, logKey.name, secret));
  }
  await cp(join(dir, 'checkpoints', String(encoded.length)), join(dir, 'checkpoint'));
}

function entryOfType(
  entries: TranscriptEntry[],
  type: TranscriptEntry['type'],
  index?: number,
): TranscriptEntry {
  const found = entries.find((e) => e.type === type && (index === undefined || e.body.index === index));
  if (!found) throw new Error(`no ${type} entry`);
  return found;
}

beforeAll(async () => {
  done = await makeFinishedCeremony('audited');
  archive = join(await tempDir(), 'archive');
  await cp(done.publishedDir, archive, { recursive: true });
  await download(`/circuits/${CIRCUIT}/zkeys/final`, join(archive, CIRCUIT, 'final.zkey'));
  await download(`/circuits/${CIRCUIT}/r1cs`, join(archive, CIRCUIT, 'circuit.r1cs'));
  await download(`/circuits/${CIRCUIT}/ptau`, join(archive, CIRCUIT, 'circuit.ptau'));
}, 600_000);

afterAll(async () => {
  await done?.server.destroy();
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('ceremony verify on a real finished ceremony', () => {
  it('passes through the public API (--server --ceremony --json)', async () => {
    const output = createMemoryOutput(true);
    const code = await runVerify({
      server: done.server.url,
      ceremony: done.ceremonyId,
      full: false,
      json: true,
      output,
    });
    const report = JSON.parse(output.stdout()) as AuditReport;
    expect(failing(report)).toEqual([]);
    expect(code).toBe(0);
    expect(output.stdout().trim().split('\n')).toHaveLength(1);
    const skipped = report.checks.filter((c) => c.status === 'skip').map((c) => c.name);
    expect(skipped).toEqual(['checkpoint.older', 'witnesses', 'receipt', 'intermediate.zkeys']);
    expect(check(report, 'cosignatures').status).toBe('pass');
    expect(report.contributions.map((c) => [c.name, c.participantId, c.circuit, c.index])).toEqual(
      done.participants.map((p, i) => [p.name, p.participantId, CIRCUIT, i + 1]),
    );
    const lines = await readLines(done.publishedDir);
    expect(report.transcript.size).toBe(lines.length);
  });

  it('passes from the published files alone (--dir, no server), in the human format', async () => {
    const output = createMemoryOutput(false);
    const code = await runVerify({ dir: archive, full: false, json: false, output });
    const text = output.stdout();
    expect(code).toBe(0);
    expect(text).toMatch(/^PASS {2}entries\.canonical — /m);
    expect(text).toMatch(/^PASS {2}final\.zkey — mulchain: .* verifies against r1cs/m);
    expect(text).toMatch(/^PASS {2}outputs\.verifier — /m);
    expect(text).toMatch(/^SKIP {2}intermediate\.zkeys — /m);
    expect(text).toMatch(/^alice +p1 +mulchain +1 +[0-9a-f]{16}…$/m);
    expect(text.trimEnd().split('\n').at(-1)).toMatch(
      /^VERIFIED: ceremony audited: 16 checks passed, 4 skipped/,
    );
    expect(output.stderr()).toBe('');
  });

  it('passes --dir on the published folder exactly as serve writes it', async () => {
    for (const name of ['final.zkey', 'circuit.r1cs', 'circuit.ptau'])
      await expect(stat(join(done.publishedDir, CIRCUIT, name))).resolves.toBeTruthy();
    const report = await auditDir(done.publishedDir);
    expect(failing(report)).toEqual([]);
  });

  it('fetches from --server what --dir lacks, and names the files without it', async () => {
    const dir = join(await tempDir(), 'bare');
    await cp(done.publishedDir, dir, { recursive: true });
    for (const name of ['final.zkey', 'circuit.r1cs', 'circuit.ptau']) await rm(join(dir, CIRCUIT, name));
    const bare = await auditDir(dir);
    expect(check(bare, 'final.zkey').detail).toContain('is not available');
    expect(check(bare, 'final.zkey').detail).toContain(`put ${CIRCUIT}/final.zkey in the directory`);
    const source = new DirectorySource({ dir, server: done.server.url });
    const report = await auditCeremony(source).finally(() => source.close());
    expect(failing(report)).toEqual([]);
  });

  it('passes --full: the initial zkey recomputes and every intermediate zkey verifies', async () => {
    const started = performance.now();
    const source = new HttpSource({ server: done.server.url, ceremony: done.ceremonyId });
    const report = await auditCeremony(source, { full: true }).finally(() => source.close());
    console.log(
      `verify --full on the 3-participant mulchain-1021 ceremony: ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(failing(report)).toEqual([]);
    expect(check(report, 'intermediate.zkeys').status).toBe('pass');
    expect(check(report, 'intermediate.zkeys').detail).toContain('mulchain: 3');
  });

  it('checks a saved receipt and an older checkpoint, and fails a receipt whose entry was altered, also given second', async () => {
    const receiptPath = done.receipts[done.participants[1]!.participantId]![0]!;
    const older = join(done.publishedDir, 'checkpoints', '5');
    const output = createMemoryOutput(true);
    const code = await runVerify({
      server: done.server.url,
      ceremony: done.ceremonyId,
      receipt: receiptPath,
      checkpoint: older,
      full: false,
      json: true,
      output,
    });
    const report = JSON.parse(output.stdout()) as AuditReport;
    expect(check(report, 'receipt')).toMatchObject({ status: 'pass' });
    expect(check(report, 'receipt').detail).toContain('contribution #2 to mulchain by p2');
    expect(check(report, 'checkpoint.older').detail).toContain('consistency proof 5→');
    expect(code).toBe(0);

    const receipt = JSON.parse(await readFile(receiptPath, 'utf8')) as { entry: string };
    const altered = join(await tempDir(), 'altered-receipt.json');
    await writeFile(
      altered,
      JSON.stringify({ ...receipt, entry: receipt.entry.replace('"index":2', '"index":1') }),
    );
    const out2 = createMemoryOutput(true);
    // Given twice (`--receipt good --receipt altered`), both are checked: the second fails the check, by its place.
    const code2 = await runVerify({
      dir: archive,
      receipt: [receiptPath, altered],
      full: false,
      json: true,
      output: out2,
    });
    expect(code2).toBe(1);
    const report2 = JSON.parse(out2.stdout()) as AuditReport;
    expect(failing(report2)).toEqual(['receipt']);
    expect(check(report2, 'receipt').detail).toMatch(/^receipt 1: .*contribution #2.*; receipt 2: /);
    expect(out2.stderr()).toBe('ceremony: verification failed: receipt\n');
  });

  it('fails checkpoint.older for a checkpoint the log key signed over another tree', async () => {
    const lines = await readLines(done.publishedDir);
    const forked = lines.slice(0, 5).map((l) => JSON.parse(l) as TranscriptEntry);
    forked[4]!.body = { ...forked[4]!.body, name: 'mallory' };
    const tree = new MemoryTree(forked.map((e) => encodeEntry(e).leafHash));
    const origin = parseCheckpoint(
      parseNote(await readFile(join(done.publishedDir, 'checkpoint'), 'utf8')).body,
    ).origin;
    const logKey = parseVerifierKey(await readFile(join(done.publishedDir, 'log-key.pub'), 'utf8'));
    const note = signNote(
      formatCheckpoint({ origin, size: 5, rootHash: tree.root() }),
      logKey.name,
      keyPairFromSecret(fromHex(done.logKeySeedHex, 32)),
    );
    const path = join(await tempDir(), 'older-checkpoint');
    await writeFile(path, note);
    const output = createMemoryOutput(true);
    const code = await runVerify({
      server: done.server.url,
      ceremony: done.ceremonyId,
      checkpoint: path,
      full: false,
      json: true,
      output,
    });
    expect(code).toBe(1);
    const report = JSON.parse(output.stdout()) as AuditReport;
    expect(failing(report)).toEqual(['checkpoint.older']);
    expect(check(report, 'checkpoint.older').detail).toContain('the log was rewritten');
  });

  it('names the check for an edited, a removed and a reordered entry', async () => {
    const edited = await copyArchive();
    const lines = await readLines(edited);
    const bob = lines.findIndex(
      (l) => l.includes('"type":"participant.registered"') && l.includes('"name":"bob"'),
    );
    expect(bob).toBeGreaterThan(0);
    await writeLines(
      edited,
      lines.map((l, i) => (i === bob ? l.replace('"name":"bob"', '"name":"eve"') : l)),
    );
    const afterEdit = await auditDir(edited);
    expect(failing(afterEdit)).toEqual(
      expect.arrayContaining(['entries.sequence', 'checkpoint.root', 'checkpoints.history']),
    );

    const removed = await copyArchive();
    await writeLines(
      removed,
      lines.filter((_, i) => i !== 6),
    );
    expect(failing(await auditDir(removed))).toEqual(
      expect.arrayContaining(['entries.sequence', 'checkpoint.root']),
    );

    const reordered = await copyArchive();
    const swapped = [...lines];
    [swapped[7], swapped[8]] = [swapped[8]!, swapped[7]!];
    await writeLines(reordered, swapped);
    const afterSwap = await auditDir(reordered);
    expect(check(afterSwap, 'entries.sequence').detail).toContain('line 8 has seq 8, expected 7');
  });

  it('names checkpoint.signature for a forged checkpoint signature', async () => {
    const dir = await copyArchive();
    const note = await readFile(join(dir, 'checkpoint'), 'utf8');
    const { body } = parseNote(note);
    const logKey = parseVerifierKey(await readFile(join(dir, 'log-key.pub'), 'utf8'));
    await writeFile(join(dir, 'checkpoint'), signNote(body, logKey.name, generateKeyPair()));
    const report = await auditDir(dir);
    expect(failing(report)).toEqual(['checkpoint.signature']);
  });

  it('names final.zkey for a final zkey from another beacon, and the beacon checks when the log is rewritten to name it', async () => {
    const dir = await copyArchive();
    const last = join(await tempDir(), 'zkey-3.zkey');
    await download(`/circuits/${CIRCUIT}/zkeys/3`, last);
    const other = join(dir, CIRCUIT, 'final.zkey');
    await applyBeacon(last, other, 'beacon', 'ff'.repeat(32), 10);
    const replaced = await auditDir(dir);
    expect(failing(replaced)).toContain('final.zkey');
    expect(check(replaced, 'final.zkey').detail).toContain('the transcript names');

    // A coordinator with the log key makes the transcript name the other file.
    const sha = await sha256File(other);
    await rewriteLog(dir, (entries) => {
      entryOfType(entries, 'beacon.applied').body.zkeySha256 = sha;
      const finalized = entryOfType(entries, 'ceremony.finalized').body.circuits as {
        finalZkeySha256: string;
      }[];
      finalized[0]!.finalZkeySha256 = sha;
    });
    await writeFile(join(dir, CIRCUIT, 'final.zkey.sha256'), `${sha}\n`);
    const rewritten = await auditDir(dir);
    expect(check(rewritten, 'final.zkey').status).toBe('pass');
    expect(failing(rewritten)).toEqual(
      expect.arrayContaining([
        'final.contributions',
        'final.beacon',
        'outputs.verification-key',
        'outputs.verifier',
      ]),
    );
    expect(failing(rewritten)).not.toContain('checkpoint.signature');
  });

  it('names only final.beacon for a beacon rewritten in the transcript and re-signed', async () => {
    const dir = await copyArchive();
    await rewriteLog(dir, (entries) => {
      entryOfType(entries, 'beacon.applied').body.beaconHex = '00'.repeat(32);
    });
    const report = await auditDir(dir);
    expect(failing(report)).toEqual(['final.beacon']);
    expect(check(report, 'final.beacon').detail).toContain("the zkey's beacon is");
  });

  it('names only contributions.attestations for an attestation by another key, re-signed', async () => {
    const dir = await copyArchive();
    const intruder = generateKeyPair();
    await rewriteLog(dir, (entries) => {
      const entry = entryOfType(entries, 'contribution.accepted', 2);
      const b = entry.body as Record<string, string | number>;
      const message = attestationMessage({
        ceremony: entry.ceremony,
        circuit: b.circuit as string,
        index: b.index as number,
        prevZkeySha256: b.prevZkeySha256 as string,
        zkeySha256: b.zkeySha256 as string,
        contributionHash: b.contributionHash as string,
      });
      entry.body.attestation = toHex(sign(message, intruder.secretKey));
    });
    const report = await auditDir(dir);
    expect(failing(report)).toEqual(['contributions.attestations']);
    expect(check(report, 'contributions.attestations').detail).toContain('mulchain #2 by p2 (bob)');
  });

  it('names final.proofs-of-knowledge for a final zkey whose first proof of knowledge was swapped, log rewritten to name it', async () => {
    const dir = await copyArchive();
    const finalZkey = join(dir, CIRCUIT, 'final.zkey');
    const info = await readZkeyInfo(finalZkey);
    const s10 = info.sections.find((section) => section.id === 10)!;
    // Contribution #1's g2_spx replaced by #3's: a valid point, but no longer alice's proof of knowledge.
    await writeEditedCopy(finalZkey, join(dir, CIRCUIT), 'final.zkey', (bytes) => {
      bytes.set(info.contributions[2]!.g2Spx, s10.offset + 68 + 192);
      return bytes;
    });
    const sha = await sha256File(finalZkey);
    await rewriteLog(dir, (entries) => {
      entryOfType(entries, 'beacon.applied').body.zkeySha256 = sha;
      const finalized = entryOfType(entries, 'ceremony.finalized').body.circuits as {
        finalZkeySha256: string;
      }[];
      finalized[0]!.finalZkeySha256 = sha;
    });
    await writeFile(join(dir, CIRCUIT, 'final.zkey.sha256'), `${sha}\n`);
    const report = await auditDir(dir);
    expect(check(report, 'final.proofs-of-knowledge').status).toBe('fail');
    expect(check(report, 'final.proofs-of-knowledge').detail).toMatch(/proof of knowledge fails/);
    expect(report.ok).toBe(false);
  }, 600_000);

  it('names intermediate.zkeys (--full) for an intermediate zkey whose points were altered, log rewritten to name it', async () => {
    const dir = await copyArchive();
    await mkdir(join(dir, CIRCUIT, 'zkeys'), { recursive: true });
    const original = join(await tempDir(), 'zkey-2.zkey');
    await download(`/circuits/${CIRCUIT}/zkeys/2`, original);
    for (const index of [1, 3])
      await download(`/circuits/${CIRCUIT}/zkeys/${index}`, join(dir, CIRCUIT, 'zkeys', `${index}.zkey`));
    const h = (await readZkeyInfo(original)).sections.find((section) => section.id === 9)!;
    // One byte inside the H section: the contribution records stay intact, the points no longer match.
    const tampered = await writeEditedCopy(original, join(dir, CIRCUIT, 'zkeys'), '2.zkey', (bytes) => {
      const at = h.offset + Math.floor(h.size / 2);
      bytes[at] = bytes[at]! ^ 0x01;
      return bytes;
    });
    const sha = await sha256File(tampered);
    await rewriteLog(dir, (entries) => {
      entryOfType(entries, 'contribution.accepted', 2).body.zkeySha256 = sha;
      entryOfType(entries, 'contribution.accepted', 3).body.prevZkeySha256 = sha;
    });
    const report = await auditDir(dir, { full: true });
    expect(check(report, 'intermediate.zkeys').status).toBe('fail');
    expect(check(report, 'intermediate.zkeys').detail).toContain('mulchain #2: snarkjs verifyFromInit fails');
    expect(check(report, 'intermediate.zkeys').detail).not.toContain('#1');
  }, 600_000);
});
