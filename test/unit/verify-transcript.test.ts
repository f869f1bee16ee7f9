// The auditor's log and contribution checks on synthetic published directories: real canonical entries, real
// Ed25519 checkpoint signatures, attestations and cosignatures; no zkeys (the final checks skip).
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { attestationMessage } from '../../src/ceremony/attestation.js';
import { generateKeyPair, type KeyPair, sign } from '../../src/crypto/ed25519.js';
import { toHex } from '../../src/crypto/hex.js';
import type { JsonValue } from '../../src/transcript/canonical-json.js';
import {
  type EncodedEntry,
  type EntryType,
  encodeEntry,
  formatEntryTime,
  GENESIS_PREV,
} from '../../src/transcript/entry.js';
import { MemoryTree } from '../../src/transcript/merkle.js';
import {
  addSignatureLines,
  cosignCheckpoint,
  encodeVerifierKey,
  formatCheckpoint,
  parseNote,
  signNote,
} from '../../src/transcript/note.js';
import { auditCeremony } from '../../src/verify/audit.js';
import { DirectorySource } from '../../src/verify/dir-source.js';
import type { AuditOptions, AuditReport, CheckName } from '../../src/verify/types.js';

const CEREMONY = 'synthetic';
const LOG_NAME = 'test.ceremony.local';
const ORIGIN = `${LOG_NAME}/ceremonies/${CEREMONY}`;
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

interface Item {
  type: EntryType;
  body: { [key: string]: JsonValue };
}

interface Scenario {
  items: Item[];
  participants: { id: string; name: string; keys: KeyPair }[];
}

const fakeSha = (label: string) => createHash('sha256').update(label).digest('hex');
const fakeContributionHash = (label: string) => createHash('sha512').update(label).digest('hex');

/** A ceremony with one circuit and `count` contributions, each attested by `attestWith(i)` (its owner by default). */
function makeScenario(
  options: { count?: number; filler?: number; attestWith?: (i: number) => KeyPair | undefined } = {},
): Scenario {
  const count = options.count ?? 3;
  const participants = Array.from({ length: count }, (_, i) => ({
    id: `p${i + 1}`,
    name: ['alice', 'bob', 'carol', 'dave'][i % 4]!,
    keys: generateKeyPair(),
  }));
  const items: Item[] = [
    {
      type: 'ceremony.created',
      body: {
        title: 'synthetic',
        timeoutSeconds: 600,
        coordinator: 'ab'.repeat(32),
        registration: 'allowlist',
      },
    },
    {
      type: 'circuit.added',
      body: {
        circuit: 'main',
        r1csSha256: fakeSha('r1cs'),
        ptauSha256: fakeSha('ptau'),
        initialZkeySha256: fakeSha('zkey-0'),
        constraints: 1021,
        power: 10,
      },
    },
    ...participants.map((p) => ({
      type: 'participant.registered' as const,
      body: { participantId: p.id, name: p.name, publicKey: toHex(p.keys.publicKey) },
    })),
    { type: 'ceremony.opened', body: {} },
  ];
  participants.forEach((p, i) => {
    const fields = {
      ceremony: CEREMONY,
      circuit: 'main',
      index: i + 1,
      prevZkeySha256: fakeSha(`zkey-${i}`),
      zkeySha256: fakeSha(`zkey-${i + 1}`),
      contributionHash: fakeContributionHash(`contribution-${i + 1}`),
      ...(i === 1 ? { statement: 'dice, then the laptop went into the furnace' } : {}),
    };
    const signer = options.attestWith?.(i) ?? p.keys;
    const attestation = toHex(sign(attestationMessage(fields), signer.secretKey));
    const { ceremony: _ceremony, ...body } = fields;
    items.push({
      type: 'contribution.accepted',
      body: { ...body, participantId: p.id, attestation, verifier: { name: 'snarkjs', version: '0.7.6' } },
    });
  });
  for (let i = 0; i < (options.filler ?? 0); i++) {
    items.push({
      type: 'turn.expired',
      body: { circuit: 'main', participantId: participants[i % count]!.id },
    });
  }
  return { items, participants };
}

function encodeItems(items: Item[], ceremony = CEREMONY): EncodedEntry[] {
  const start = Date.parse('2024-05-01T10:00:00.000Z');
  let prev = GENESIS_PREV;
  return items.map((item, seq) => {
    const encoded = encodeEntry({
      v: 1,
      ceremony,
      seq,
      type: item.type,
      time: formatEntryTime(new Date(start + seq * 1000)),
      prev,
      body: item.body,
    });
    prev = toHex(encoded.leafHash);
    return encoded;
  });
}

interface PublishedLog {
  dir: string;
  logKeys: KeyPair;
  verifierKey: string;
  lines: string[];
  tree: MemoryTree;
  /** checkpoints[size] = signed note. */
  checkpoints: Map<number, string>;
}

function signCheckpoint(tree: MemoryTree, size: number, keys: KeyPair): string {
  return signNote(formatCheckpoint({ origin: ORIGIN, size, rootHash: tree.root(size) }), LOG_NAME, keys);
}

/** Writes ceremony-transcripts/<id>/ as the publisher does: every checkpoint signed, the latest as `checkpoint`. */
async function publish(entries: EncodedEntry[], logKeys: KeyPair = generateKeyPair()): Promise<PublishedLog> {
  const dir = await mkdtemp(join(tmpdir(), 'verify-unit-'));
  dirs.push(dir);
  const lines = entries.map((e) => e.line);
  const tree = new MemoryTree(entries.map((e) => e.leafHash));
  const checkpoints = new Map<number, string>();
  await mkdir(join(dir, 'checkpoints'));
  for (let size = 1; size <= lines.length; size++) checkpoints.set(size, signCheckpoint(tree, size, logKeys));
  const verifierKey = encodeVerifierKey(LOG_NAME, logKeys.publicKey);
  const log: PublishedLog = { dir, logKeys, verifierKey, lines, tree, checkpoints };
  await writeLog(log);
  return log;
}

async function writeLog(log: PublishedLog): Promise<void> {
  await writeFile(join(log.dir, 'transcript.jsonl'), log.lines.map((l) => `${l}\n`).join(''));
  await writeFile(join(log.dir, 'log-key.pub'), `${log.verifierKey}\n`);
  const sizes = [...log.checkpoints.keys()];
  for (let i = 0; i < sizes.length; i += 500) {
    await Promise.all(
      sizes
        .slice(i, i + 500)
        .map((size) => writeFile(join(log.dir, 'checkpoints', String(size)), log.checkpoints.get(size)!)),
    );
  }
  await writeFile(join(log.dir, 'checkpoint'), log.checkpoints.get(Math.max(...sizes))!);
}

async function audit(dir: string, options: AuditOptions = {}): Promise<AuditReport> {
  const source = new DirectorySource({ dir });
  try {
    return await auditCeremony(source, options);
  } finally {
    await source.close();
  }
}

function statusOf(report: AuditReport, name: CheckName): string {
  return report.checks.find((c) => c.name === name)!.status;
}

function detailOf(report: AuditReport, name: CheckName): string {
  return report.checks.find((c) => c.name === name)!.detail;
}

const LOG_CHECKS: CheckName[] = [
  'entries.canonical',
  'entries.sequence',
  'checkpoint.root',
  'checkpoint.signature',
  'checkpoints.history',
  'contributions.chain',
  'contributions.attestations',
];

function expectLogChecksPass(report: AuditReport): void {
  for (const name of LOG_CHECKS)
    expect({ name, status: statusOf(report, name), detail: detailOf(report, name) }).toMatchObject({
      name,
      status: 'pass',
    });
}

describe('auditCeremony on a synthetic published directory', () => {
  it('verifies a 10,000-entry transcript with every checkpoint signed', async () => {
    const scenario = makeScenario({ count: 3, filler: 10_000 - 9 });
    const entries = encodeItems(scenario.items);
    expect(entries).toHaveLength(10_000);
    const log = await publish(entries);
    const started = performance.now();
    const report = await audit(log.dir);
    const elapsed = performance.now() - started;
    console.log(
      `verify: 10,000-entry transcript with 10,000 signed checkpoints audited in ${(elapsed / 1000).toFixed(2)} s`,
    );
    expectLogChecksPass(report);
    expect(report.ok).toBe(true);
    expect(report.transcript).toEqual({ size: 10_000, root: toHex(log.tree.root()) });
    expect(detailOf(report, 'checkpoints.history')).toContain('every size 1–10000');
    expect(statusOf(report, 'final.zkey')).toBe('skip');
    expect(detailOf(report, 'final.zkey')).toContain('not finalized');
    expect(report.contributions.map((c) => [c.name, c.participantId, c.index])).toEqual([
      ['alice', 'p1', 1],
      ['bob', 'p2', 2],
      ['carol', 'p3', 3],
    ]);
  });

  it('passes a sound small log, and names the check for an entry edited in place', async () => {
    const log = await publish(encodeItems(makeScenario().items));
    expect((await audit(log.dir)).ok).toBe(true);
    // Same canonical form, another name: the leaf changes, so the root and the next prev link break.
    log.lines[3] = log.lines[3]!.replace('"name":"bob"', '"name":"eve"');
    await writeLog(log);
    const report = await audit(log.dir);
    expect(report.ok).toBe(false);
    expect(statusOf(report, 'entries.canonical')).toBe('pass');
    expect(statusOf(report, 'checkpoint.root')).toBe('fail');
    expect(statusOf(report, 'checkpoints.history')).toBe('fail');
    expect(detailOf(report, 'entries.sequence')).toContain('seq 4: prev is not the leaf hash');
  });

  it('names entries.canonical for a line that is not in canonical form', async () => {
    const log = await publish(encodeItems(makeScenario().items));
    log.lines[2] = log.lines[2]!.replace('{"body":{', '{"body": {');
    await writeLog(log);
    const report = await audit(log.dir);
    expect(statusOf(report, 'entries.canonical')).toBe('fail');
    expect(detailOf(report, 'entries.canonical')).toMatch(/^line 3 \(seq 2\): .*canonical/);
    expect(statusOf(report, 'checkpoint.root')).toBe('fail');
  });

  it('names entries.sequence for a removed entry and for reordered entries', async () => {
    const removed = await publish(encodeItems(makeScenario().items));
    removed.lines.splice(4, 1);
    await writeLog(removed);
    const afterRemoval = await audit(removed.dir);
    expect(statusOf(afterRemoval, 'entries.sequence')).toBe('fail');
    expect(detailOf(afterRemoval, 'entries.sequence')).toContain(
      'line 5 has seq 5, expected 4: an entry is missing',
    );
    expect(statusOf(afterRemoval, 'checkpoint.root')).toBe('fail');

    const swapped = await publish(encodeItems(makeScenario().items));
    [swapped.lines[5], swapped.lines[6]] = [swapped.lines[6]!, swapped.lines[5]!];
    await writeLog(swapped);
    const afterSwap = await audit(swapped.dir);
    expect(statusOf(afterSwap, 'entries.canonical')).toBe('pass');
    expect(statusOf(afterSwap, 'entries.sequence')).toBe('fail');
    expect(detailOf(afterSwap, 'entries.sequence')).toContain('line 6 has seq 6, expected 5');
  });

  it('names entries.sequence when the last entry is dropped along with its checkpoints', async () => {
    const log = await publish(encodeItems(makeScenario().items));
    const n = log.lines.length;
    log.lines.pop();
    await writeLog(log);
    // The published `checkpoint` and checkpoints/<n> still cover the dropped entry.
    const report = await audit(log.dir);
    expect(statusOf(report, 'checkpoint.root')).toBe('fail');
    expect(detailOf(report, 'checkpoint.root')).toContain(`covers ${n} entries, the transcript has ${n - 1}`);
    expect(detailOf(report, 'checkpoints.history')).toContain(`checkpoints/${n} is beyond the transcript`);
  });

  it('names checkpoint.signature for a checkpoint signed by another key under the log key name', async () => {
    const log = await publish(encodeItems(makeScenario().items));
    const forged = signCheckpoint(log.tree, log.lines.length, generateKeyPair());
    await writeFile(join(log.dir, 'checkpoint'), forged);
    const report = await audit(log.dir);
    expect(statusOf(report, 'checkpoint.root')).toBe('pass');
    expect(statusOf(report, 'checkpoint.signature')).toBe('fail');
    expect(detailOf(report, 'checkpoint.signature')).toContain('no signature by key');

    // Right key ID, flipped signature byte.
    const note = log.checkpoints.get(log.lines.length)!;
    const { body, signatures } = parseNote(note);
    const raw = Buffer.from(signatures[0]!.line.trim().split(' ').at(-1)!, 'base64');
    raw[10]! ^= 1;
    await writeFile(join(log.dir, 'checkpoint'), `${body}\n— ${LOG_NAME} ${raw.toString('base64')}\n`);
    const flipped = await audit(log.dir);
    expect(statusOf(flipped, 'checkpoint.signature')).toBe('fail');
    expect(detailOf(flipped, 'checkpoint.signature')).toContain('bad signature');
  });

  it('checks an older checkpoint: a prefix passes, one over a different tree fails checkpoint.older', async () => {
    const scenario = makeScenario();
    const log = await publish(encodeItems(scenario.items));
    const older = log.checkpoints.get(4)!;
    const consistent = await audit(log.dir, { checkpoint: older });
    expect(statusOf(consistent, 'checkpoint.older')).toBe('pass');
    expect(detailOf(consistent, 'checkpoint.older')).toContain('size 4');

    // The same log key signed a size-4 tree whose third entry differs: a fork.
    const forkItems = structuredClone(scenario.items);
    forkItems[2]!.body.name = 'mallory';
    const fork = encodeItems(forkItems);
    const forkTree = new MemoryTree(fork.map((e) => e.leafHash));
    const forked = await audit(log.dir, { checkpoint: signCheckpoint(forkTree, 4, log.logKeys) });
    expect(forked.ok).toBe(false);
    expect(statusOf(forked, 'checkpoint.older')).toBe('fail');
    expect(detailOf(forked, 'checkpoint.older')).toContain('first 4 entries have root');
    expect(statusOf(forked, 'checkpoint.root')).toBe('pass');

    const otherKey = await audit(log.dir, { checkpoint: signCheckpoint(log.tree, 4, generateKeyPair()) });
    expect(statusOf(otherKey, 'checkpoint.older')).toBe('fail');
    const longer = encodeItems([...scenario.items, { type: 'ceremony.closed', body: {} }]);
    const longerTree = new MemoryTree(longer.map((e) => e.leafHash));
    const beyond = await audit(log.dir, {
      checkpoint: signCheckpoint(longerTree, longer.length, log.logKeys),
    });
    expect(statusOf(beyond, 'checkpoint.older')).toBe('fail');
    expect(detailOf(beyond, 'checkpoint.older')).toContain('the log was truncated');
  });

  it('checks every older checkpoint given: all prefixes pass, one fork among them fails and is named', async () => {
    const scenario = makeScenario();
    const log = await publish(encodeItems(scenario.items));
    const kept = [2, 3, 4].map((size) => log.checkpoints.get(size)!);
    const all = await audit(log.dir, { checkpoint: kept });
    expect(statusOf(all, 'checkpoint.older')).toBe('pass');
    expect(detailOf(all, 'checkpoint.older')).toContain('all 3 older checkpoints (sizes 2 to 4)');

    const forkItems = structuredClone(scenario.items);
    forkItems[2]!.body.name = 'mallory';
    const forkTree = new MemoryTree(encodeItems(forkItems).map((e) => e.leafHash));
    const withFork = await audit(log.dir, {
      checkpoint: [...kept, signCheckpoint(forkTree, 4, log.logKeys)],
    });
    expect(statusOf(withFork, 'checkpoint.older')).toBe('fail');
    expect(detailOf(withFork, 'checkpoint.older')).toMatch(
      /^older checkpoint 4 of 4: .*first 4 entries have root/,
    );
  });

  it('names contributions.attestations for an attestation made with another key', async () => {
    const intruder = generateKeyPair();
    const log = await publish(
      encodeItems(makeScenario({ attestWith: (i) => (i === 1 ? intruder : undefined) }).items),
    );
    const report = await audit(log.dir);
    expect(statusOf(report, 'contributions.chain')).toBe('pass');
    expect(statusOf(report, 'checkpoint.root')).toBe('pass');
    expect(statusOf(report, 'contributions.attestations')).toBe('fail');
    expect(detailOf(report, 'contributions.attestations')).toBe(
      'main #2 by p2 (bob): the attestation does not verify against the registered key',
    );
  });

  it('names contributions.chain for a contribution that does not build on the previous zkey', async () => {
    const scenario = makeScenario();
    const third = scenario.items.find((i) => i.type === 'contribution.accepted' && i.body.index === 3)!;
    third.body.prevZkeySha256 = fakeSha('zkey-1');
    const report = await audit((await publish(encodeItems(scenario.items))).dir);
    expect(statusOf(report, 'contributions.chain')).toBe('fail');
    expect(detailOf(report, 'contributions.chain')).toContain('main #3 (seq 8): builds on zkey');
  });

  it('verifies participant cosignatures and fails on one that does not verify', async () => {
    const scenario = makeScenario();
    const log = await publish(encodeItems(scenario.items));
    const size = log.lines.length;
    const { body } = parseNote(log.checkpoints.get(size)!);
    const alice = scenario.participants[0]!;
    const good = cosignCheckpoint(body, 'participant-p1', alice.keys, 1_714_557_600);
    log.checkpoints.set(size, addSignatureLines(log.checkpoints.get(size)!, [good]));
    await writeLog(log);
    const report = await audit(log.dir);
    expect(statusOf(report, 'cosignatures')).toBe('pass');
    expect(detailOf(report, 'cosignatures')).toContain('1 cosignature by 1 participant on ');

    const bobSignsAsAlice = cosignCheckpoint(
      body,
      'participant-p1',
      scenario.participants[1]!.keys,
      1_714_557_600,
    );
    log.checkpoints.set(size, addSignatureLines(log.checkpoints.get(size)!, [bobSignsAsAlice]));
    await writeLog(log);
    const bad = await audit(log.dir);
    expect(statusOf(bad, 'cosignatures')).toBe('fail');
    expect(detailOf(bad, 'cosignatures')).toContain('the cosignature by participant-p1 does not verify');
  });

  it('checks a receipt against the log, and fails one whose entry was altered', async () => {
    const log = await publish(encodeItems(makeScenario().items));
    const seq = 7;
    const treeSize = 8;
    const receipt = {
      version: 1,
      ceremony: CEREMONY,
      circuit: 'main',
      index: 2,
      seq,
      entry: log.lines[seq]!,
      leafHash: toHex(log.tree.read(0, seq) as Uint8Array),
      treeSize,
      inclusionProof: log.tree.inclusionProof(seq, treeSize).map(toHex),
      checkpoint: log.checkpoints.get(treeSize)!,
      logKey: log.verifierKey,
    };
    const report = await audit(log.dir, { receipt: JSON.stringify(receipt) });
    expect(statusOf(report, 'receipt')).toBe('pass');
    expect(detailOf(report, 'receipt')).toContain(`grew consistently to ${log.lines.length}`);

    const altered = { ...receipt, entry: receipt.entry.replace('"index":2', '"index":3') };
    const failed = await audit(log.dir, { receipt: JSON.stringify(altered) });
    expect(statusOf(failed, 'receipt')).toBe('fail');
    expect(detailOf(failed, 'receipt')).toContain('leafHash');
  });
});
