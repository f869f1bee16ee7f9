// Names that become parts of URLs and file paths (ceremony ids, circuit names), and free text shown to people
// (participant names, titles, statements): one rule each, shared by the server, the CLI and the auditor.
import { CeremonyError } from './errors.js';

/** Ceremony ids and circuit names: a letter or digit first, so never `.`, `..`, a slash or an empty string. */
export const PATH_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$';
const pathName = new RegExp(PATH_NAME_PATTERN);

/** Whether `name` is safe as one component of a URL path or a file name. */
export function isPathName(name: unknown): name is string {
  return typeof name === 'string' && pathName.test(name);
}

/** C0 and C1 controls (tab and newline included), DEL, and the bidi embeddings, overrides and isolates. */
function isUnsafeCodePoint(cp: number, multiline: boolean): boolean {
  if (cp === 0x0a) return !multiline;
  return (
    cp < 0x20 ||
    (cp >= 0x7f && cp <= 0x9f) ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069)
  );
}

/**
 * Returns the first character that may not appear in text shown to people (it could hide or reorder what a reader
 * sees), or undefined when there is none. `multiline` lets a statement run over several lines.
 */
export function findUnsafeCharacter(text: string, multiline = false): string | undefined {
  for (const ch of text) if (isUnsafeCodePoint(ch.codePointAt(0) ?? 0, multiline)) return ch;
  return undefined;
}

/** Refuses text with control characters or bidi overrides with BAD_REQUEST naming the field and the character. */
export function requireDisplayText(field: string, text: string, multiline = false): string {
  const bad = findUnsafeCharacter(text, multiline);
  if (bad !== undefined) {
    const code = `U+${(bad.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
    throw new CeremonyError(
      'BAD_REQUEST',
      `${field} must not contain control characters or bidi overrides (found ${code})`,
    );
  }
  return text;
}
