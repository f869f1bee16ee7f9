// What the audit page remembers in this browser, per coordinator and ceremony: the pinned log key and the newest
// checkpoint a clean audit saw (the next visit checks that today's log is consistent with it).
const key = (what: string, id: string) => `ceremony-coordinator/${what}/${location.origin}/${id}`;

function read(name: string): string | undefined {
  try {
    return localStorage.getItem(name) ?? undefined;
  } catch {
    return undefined;
  }
}

function write(name: string, value: string): void {
  try {
    localStorage.setItem(name, value);
  } catch {
    // Private browsing may refuse storage: the audit still runs, it just remembers nothing.
  }
}

export const readPinnedKey = (id: string) => read(key('log-key', id));
export const pinLogKey = (id: string, logKey: string) => write(key('log-key', id), logKey.trim());
/** Witness cosigner vkeys (one a line) and the quorum the audit requires of them. */
export const readPinnedWitnesses = (id: string) => read(key('witnesses', id));
export const pinWitnesses = (id: string, text: string) => write(key('witnesses', id), text.trim());
export const readPinnedQuorum = (id: string) => read(key('witness-quorum', id));
export const pinQuorum = (id: string, quorum: string) => write(key('witness-quorum', id), quorum.trim());
export const readKeptCheckpoint = (id: string) => read(key('checkpoint', id));

/** Keeps `note` unless a larger checkpoint is already kept. */
export function keepCheckpoint(id: string, note: string): void {
  const size = (n: string | undefined) => Number(/^[^\n]*\n(\d+)\n/.exec(n ?? '')?.[1] ?? -1);
  if (size(note) >= size(readKeptCheckpoint(id))) write(key('checkpoint', id), note);
}

export function checkpointSize(note: string | undefined): number | undefined {
  const match = /^[^\n]*\n(\d+)\n/.exec(note ?? '');
  return match ? Number(match[1]) : undefined;
}
