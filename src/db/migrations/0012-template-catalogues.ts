import type { Kysely } from 'kysely';

/**
 * The templates an integration can send, as last read from Sinch (Provisioning API: approved WhatsApp templates;
 * Template Management API v2: omni-channel templates): one row per integration, replaced on each refresh.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('template_catalogues')
    .addColumn('integration_id', 'text', (c) => c.primaryKey())
    .addColumn('fetched_at', 'text', (c) => c.notNull())
    .addColumn('catalogue_json', 'text', (c) => c.notNull())
    .execute();
}
