// docs/PROTOCOL.md section 12, contributions.*: each accepted contribution builds on the one before it (or the initial
// zkey), by a registered participant whose Ed25519 attestation covers exactly what the transcript says.
import { attestationMessage } from '../ceremony/attestation.js';
import { parsePublicKey, verifyHexSignature } from '../crypto/ed25519.js';
import { type LedgerFacts, malformedOf } from './facts.js';
import type { Ledger } from './ledger.js';
import { fail, pass, shortHex, skip, summarizeProblems, type Verdict } from './types.js';

export function checkChain(facts: LedgerFacts): Verdict {
  const problems = malformedOf(facts, [
    'circuit.added',
    'participant.registered',
    'contribution.accepted',
    'circuit.rewound',
  ]);
  if (facts.circuits.length === 0) problems.push('no circuit.added entry');
  const heads = new Map(
    facts.circuits.map((c) => [c.circuit, { index: 0, zkey: c.initialZkeySha256, seq: c.seq }]),
  );
  for (const a of facts.accepted) {
    const label = `${a.circuit} #${a.index} (seq ${a.seq})`;
    const head = heads.get(a.circuit);
    if (!head || head.seq > a.seq) {
      problems.push(`${label}: circuit '${a.circuit}' was not added before it`);
      continue;
    }
    const participant = facts.participants.get(a.participantId);
    if (!participant || participant.seq > a.seq) {
      problems.push(`${label}: participant '${a.participantId}' was not registered before it`);
    }
    if (a.index !== head.index + 1)
      problems.push(`${label}: follows #${head.index}, expected #${head.index + 1}`);
    if (a.prevZkeySha256 !== head.zkey) {
      const previous = head.index === 0 ? 'the initial zkey is' : `#${head.index} accepted`;
      problems.push(
        `${label}: builds on zkey ${shortHex(a.prevZkeySha256)}, but ${previous} ${shortHex(head.zkey)}`,
      );
    }
    // Follow the chain as stated, so one break is reported once rather than at every later link.
    heads.set(a.circuit, { index: a.index, zkey: a.zkeySha256, seq: a.seq });
  }
  if (problems.length > 0) return fail(summarizeProblems(problems));
  const perCircuit = facts.circuits.map((c) => `${c.circuit}: ${heads.get(c.circuit)?.index ?? 0}`);
  const voided = facts.voided.length > 0 ? `; ${facts.voided.length} voided by a rewind, not counted` : '';
  return pass(
    `every accepted contribution builds on the previous zkey of its circuit, by a registered participant (${perCircuit.join(', ')})${voided}`,
  );
}

export function checkAttestations(ledger: Ledger): Verdict {
  const { facts } = ledger;
  if (facts.accepted.length === 0) return skip('no contribution has been accepted yet');
  const problems: string[] = [];
  for (const a of facts.accepted) {
    const participant = facts.participants.get(a.participantId);
    const label = `${a.circuit} #${a.index} by ${a.participantId}${participant ? ` (${participant.name})` : ''}`;
    if (!participant) {
      problems.push(`${label}: no registered key`);
      continue;
    }
    let key: Uint8Array;
    try {
      key = parsePublicKey(participant.publicKey);
    } catch (err) {
      problems.push(`${label}: the registered key is unusable: ${(err as Error).message}`);
      continue;
    }
    let message: Uint8Array;
    try {
      message = attestationMessage({
        ceremony: ledger.ceremonyId,
        circuit: a.circuit,
        index: a.index,
        prevZkeySha256: a.prevZkeySha256,
        zkeySha256: a.zkeySha256,
        contributionHash: a.contributionHash,
        ...(a.statement === undefined ? {} : { statement: a.statement }),
      });
    } catch (err) {
      problems.push(`${label}: ${(err as Error).message}`);
      continue;
    }
    if (!verifyHexSignature(a.attestation, message, key)) {
      problems.push(`${label}: the attestation does not verify against the registered key`);
    }
  }
  if (problems.length > 0) return fail(summarizeProblems(problems));
  const statements = facts.accepted.filter((a) => a.statement !== undefined).length;
  const withStatements = statements > 0 ? `, ${statements} with a signed statement` : '';
  return pass(
    `${facts.accepted.length} attestations verify against the participants' registered keys${withStatements}`,
  );
}
