import type { Kysely } from 'kysely';

/**
 * Failed sign-ins per email address (its SHA-256: no address is kept for a guess at an unknown one), in the database so that every instance counts the same failures (they were
 * counted in each process's memory: N instances allowed N times the guesses, and a restart forgot them).
 * `window_until` (epoch ms) ends the current window; expired rows are deleted as new failures come.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('sign_in_failures')
    .addColumn('email_hash', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('window_until', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sign_in_failures_window').on('sign_in_failures').column('window_until').execute();
}
