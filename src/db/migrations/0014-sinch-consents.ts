import type { Kysely } from 'kysely';

/**
 * The consent import from Sinch's opt-out lists (Consents API): the entries seen on each integration's lists (the
 * import acts on changes: an entry seen for the first time is imported, one that is gone is forgotten), and the
 * outcome of each integration's last sync. Both go with their integration.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('sinch_consent_entries')
    .addColumn('integration_id', 'text', (c) => c.notNull().references('integrations.id').onDelete('cascade'))
    .addColumn('list', 'text', (c) => c.notNull())
    .addColumn('identity', 'text', (c) => c.notNull())
    .addColumn('seen_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sinch_consent_entries_pk', ['integration_id', 'list', 'identity'])
    .execute();
  await db.schema.createTable('sinch_consent_syncs')
    .addColumn('integration_id', 'text', (c) => c.primaryKey().references('integrations.id').onDelete('cascade'))
    .addColumn('synced_at', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('error_code', 'text')
    .addColumn('detail', 'text')
    .addColumn('opt_out_all', 'integer')
    .addColumn('opt_out_marketing', 'integer')
    .addColumn('opt_out_notification', 'integer')
    .addColumn('added', 'integer', (c) => c.notNull())
    .addColumn('removed', 'integer', (c) => c.notNull())
    .addColumn('imported', 'integer', (c) => c.notNull())
    .addColumn('revocations', 'integer', (c) => c.notNull())
    .execute();
}
