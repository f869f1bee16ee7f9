// Which stored file a public download names: a zkey by index (`0`, `latest`, `final`, a number) or a circuit's
// input and output files. Routes ask here and only stream what they are told.
import type { Queryable } from '../db/database.js';
import { CeremonyError } from '../errors.js';

export interface ResolvedFile {
  sha256: string;
  /** The contribution index the file is at (for `latest`, the index it resolved to). */
  label: string;
}

interface CircuitHashes {
  initial_zkey_sha256: string | null;
  latest_zkey_sha256: string | null;
  final_zkey_sha256: string | null;
  contribution_index: number;
}

/** `0` is the initial zkey, `latest` the newest accepted, `final` the beacon zkey, N the zkey after contribution N. */
export async function resolveZkey(
  db: Queryable,
  ceremonyId: string,
  circuit: string,
  index: string,
): Promise<ResolvedFile> {
  const [row] = await db.query<CircuitHashes>(
    `SELECT initial_zkey_sha256, latest_zkey_sha256, final_zkey_sha256, contribution_index FROM circuits
     WHERE ceremony_id = $1 AND name = $2`,
    [ceremonyId, circuit],
  );
  if (!row) throw new CeremonyError('NOT_FOUND', `no circuit '${circuit}' in ceremony '${ceremonyId}'`);
  let sha256: string | null;
  let label = index;
  if (index === 'latest') {
    sha256 = row.latest_zkey_sha256;
    label = String(row.contribution_index);
  } else if (index === 'final') {
    sha256 = row.final_zkey_sha256;
  } else if (index === '0') {
    sha256 = row.initial_zkey_sha256;
  } else {
    const [accepted] = await db.query<{ zkey_sha256: string }>(
      `SELECT zkey_sha256 FROM contributions
       WHERE ceremony_id = $1 AND circuit_name = $2 AND idx = $3 AND state = 'accepted' AND voided_seq IS NULL`,
      [ceremonyId, circuit, Number(index)],
    );
    sha256 = accepted?.zkey_sha256 ?? null;
  }
  if (!sha256) throw new CeremonyError('NOT_FOUND', `no zkey '${index}' for circuit '${circuit}'`);
  return { sha256, label };
}

export const circuitFiles = {
  r1cs: 'r1cs_sha256',
  ptau: 'ptau_sha256',
  'verification_key.json': 'verification_key_sha256',
  'verifier.sol': 'verifier_sol_sha256',
} as const;

export type CircuitFile = keyof typeof circuitFiles;

/** The hash of a circuit's input (r1cs, ptau) or, once finalized, output file. */
export async function resolveCircuitFile(
  db: Queryable,
  ceremonyId: string,
  circuit: string,
  file: CircuitFile,
): Promise<string> {
  const [row] = await db.query<{ sha256: string | null }>(
    `SELECT ${circuitFiles[file]} AS sha256 FROM circuits WHERE ceremony_id = $1 AND name = $2`,
    [ceremonyId, circuit],
  );
  if (!row) throw new CeremonyError('NOT_FOUND', `no circuit '${circuit}' in ceremony '${ceremonyId}'`);
  if (!row.sha256) throw new CeremonyError('NOT_FOUND', `${file} exists once the ceremony is finalized`);
  return row.sha256;
}
