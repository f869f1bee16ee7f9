// Participant cosignatures (C2SP tlog-cosignature/v1 under `participant-<id>`) on the published checkpoints: each
// is checked against the key the transcript registered for that participant.
import { fromHex } from '../crypto/hex.js';
import { countOf } from '../plural.js';
import { parseNote, parseVerifierKey, verifyCosignature } from '../transcript/note.js';
import type { Ledger } from './ledger.js';
import { fail, pass, skip, summarizeProblems, type Verdict } from './types.js';

/** Every participant cosignature (tlog-cosignature/v1 under `participant-<id>`) on every published checkpoint. */
export function checkCosignatures(
  ledger: Ledger,
  notes: Iterable<[label: string, note: string]>,
  logKey: string | undefined,
): Verdict {
  const logKeyName = logKey === undefined ? undefined : safeKeyName(logKey);
  const problems: string[] = [];
  const seen = new Set<string>();
  const signers = new Set<string>();
  const labels = new Set<string>();
  let others = 0;
  for (const [label, note] of notes) {
    let parsed: ReturnType<typeof parseNote>;
    try {
      parsed = parseNote(note);
    } catch {
      continue; // checkpoint.* reports notes that do not parse
    }
    for (const sig of parsed.signatures) {
      if (sig.name === logKeyName || seen.has(`${parsed.body}${sig.line}`)) continue;
      seen.add(`${parsed.body}${sig.line}`);
      const id = /^participant-(.+)$/.exec(sig.name)?.[1];
      const participant = id === undefined ? undefined : ledger.facts.participants.get(id);
      if (id === undefined) {
        others++; // a witness the transcript does not name: C2SP verifiers ignore unknown keys
        continue;
      }
      if (!participant) {
        problems.push(`checkpoint ${label}: cosignature by ${sig.name}, who is not a registered participant`);
        continue;
      }
      let verified: { timestamp: number } | null = null;
      try {
        verified = verifyCosignature(parsed.body, sig.line, sig.name, fromHex(participant.publicKey, 32));
      } catch (err) {
        problems.push(`checkpoint ${label}: ${(err as Error).message}`);
        continue;
      }
      if (!verified) problems.push(`checkpoint ${label}: the cosignature by ${sig.name} does not verify`);
      else {
        signers.add(sig.name);
        labels.add(label);
      }
    }
  }
  if (problems.length > 0) return fail(summarizeProblems(problems));
  const ignored = others > 0 ? ` (${others} by keys the transcript does not name, ignored)` : '';
  if (seen.size - others === 0) return skip(`no participant cosignatures are published${ignored}`);
  return pass(
    `${countOf(seen.size - others, 'cosignature')} by ${countOf(signers.size, 'participant')} on ${countOf(labels.size, 'checkpoint')}: each verifies${ignored}`,
  );
}

function safeKeyName(logKey: string): string | undefined {
  try {
    return parseVerifierKey(logKey).name;
  } catch {
    return undefined;
  }
}
