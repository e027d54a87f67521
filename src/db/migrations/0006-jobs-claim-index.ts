import type { Kysely } from 'kysely';

/**
 * The claim reads due jobs of several kinds in `run_at` order; `jobs_ready (dead, kind, run_at)` cannot serve
 * `kind in (…)` in that order, so SQLite sorted every ready job on each claim. This index serves it directly.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('jobs_due').on('jobs').columns(['dead', 'run_at', 'id']).execute();
}
