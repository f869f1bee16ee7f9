// `pg` is loaded on first use: a coordinator on the embedded database never pays its memory.
import type pg from 'pg';

export async function loadPg(): Promise<typeof pg> {
  return (await import('pg')).default;
}
