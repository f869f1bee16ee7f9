// Every state change that matters is a transcript entry, so this one hook, run as each entry is appended, gives
// operators a structured log line and the metrics that follow from it. Entry bodies are public: nothing secret is logged.
import type { Queryable } from '../db/database.js';
import { selectTurnStart } from '../db/queries/metrics.js';
import type { JsonValue } from '../transcript/canonical-json.js';
import type { EntryType } from '../transcript/entry.js';
import type { Services } from './services.js';

/** Body fields worth a log field of their own; the rest is in the published transcript. */
const LOGGED_FIELDS = ['circuit', 'participantId', 'index', 'reason', 'zkeySha256'] as const;

export async function observeEntry(
  tx: Queryable,
  s: Services,
  entry: { ceremonyId: string; seq: number; type: EntryType; body: { [key: string]: JsonValue } },
): Promise<void> {
  const { ceremonyId, seq, type, body } = entry;
  const fields: Record<string, JsonValue> = {};
  for (const name of LOGGED_FIELDS) if (body[name] !== undefined) fields[name] = body[name];
  s.log.info({ ceremony: ceremonyId, seq, entry: type, ...fields }, `transcript: ${type}`);
  s.metrics.transcriptEntries.inc({ type });
  if (type === 'contribution.rejected' && typeof body.reason === 'string') {
    s.metrics.rejections.inc({ reason: body.reason });
  }
  const outcome = turnOutcome(type, body);
  if (outcome !== undefined && typeof body.circuit === 'string' && typeof body.participantId === 'string') {
    const started = await selectTurnStart(tx, ceremonyId, body.circuit, body.participantId);
    // A turn that never became active (left while waiting) has no length.
    if (started !== undefined) {
      const seconds = (Date.now() - started.getTime()) / 1000;
      s.metrics.turnSeconds.observe({ outcome }, Math.max(0, seconds));
    }
  }
}

/** How the entry ended a turn, or undefined if it did not end one. */
function turnOutcome(type: EntryType, body: { [key: string]: JsonValue }): string | undefined {
  if (type === 'contribution.accepted') return 'accepted';
  if (type === 'contribution.rejected') return 'rejected';
  if (type === 'turn.expired') return typeof body.reason === 'string' ? body.reason : 'expired';
  return undefined;
}
