import type { Kysely } from 'kysely';

/**
 * Event destinations: the previous secret and until when it still signs (rotation), when the current run of
 * failures began, and why and when the service paused a destination that failed for too long.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of ['previous_secret_enc', 'previous_secret_until', 'failing_since', 'paused_reason', 'paused_at']) {
    await db.schema.alterTable('event_destinations').addColumn(column, 'text').execute();
  }
}
