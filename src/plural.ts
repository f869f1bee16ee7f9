// Counts in sentences people read: "1 cosignature", "2 cosignatures", never "1 cosignature(s)".

/** `count` and the noun in the number that fits it; `plural` for nouns that do not just take an "s". */
export function countOf(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}
