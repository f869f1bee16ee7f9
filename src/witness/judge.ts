// The add-checkpoint rule of C2SP tlog-witness, over what the witness holds for one origin: a pure verdict.
import { equalBytes } from '@noble/curves/utils.js';
import { EMPTY_ROOT, verifyConsistency } from '../transcript/merkle.js';
import type { Checkpoint } from '../transcript/note.js';

/** What a witness holds for one log: the latest checkpoint it cosigned (size 0 and the empty root when none). */
export interface HeldCheckpoint {
  size: number;
  rootHash: Uint8Array;
}

export type Verdict =
  | { status: 200 }
  | { status: 400 | 422; reason: string }
  | { status: 409; heldSize: number; reason: string };

/** Whether the witness may cosign `checkpoint`, submitted with `oldSize` and `proof`, while it holds `held`. */
export function judgeAddCheckpoint(
  held: HeldCheckpoint,
  oldSize: number,
  proof: readonly Uint8Array[],
  checkpoint: Checkpoint,
): Verdict {
  if (oldSize > checkpoint.size)
    return { status: 400, reason: `old size ${oldSize} is larger than the checkpoint's ${checkpoint.size}` };
  if (oldSize !== held.size)
    return {
      status: 409,
      heldSize: held.size,
      reason: `old size ${oldSize}, but the witness holds ${held.size}`,
    };
  if (checkpoint.size === 0 && !equalBytes(checkpoint.rootHash, EMPTY_ROOT))
    return { status: 422, reason: 'a checkpoint of size 0 must carry the empty tree root' };
  if (oldSize === 0 && proof.length > 0) return { status: 422, reason: 'a proof from size 0 must be empty' };
  if (oldSize === checkpoint.size && !equalBytes(held.rootHash, checkpoint.rootHash))
    return { status: 422, reason: `size ${oldSize} held with another root hash (a split view)` };
  if (!verifyConsistency(oldSize, checkpoint.size, held.rootHash, checkpoint.rootHash, [...proof]))
    return {
      status: 422,
      reason: `the consistency proof from ${oldSize} to ${checkpoint.size} does not verify`,
    };
  return { status: 200 };
}
