import type { Kysely } from 'kysely';

/**
 * What Sinch said about a number's capability on a channel (RCS), per integration (one Sinch project and app):
 * filled by the capability queries the service makes and by the CAPABILITY callbacks it receives, used until
 * `expires_at`. `status` `pending`: a query was made at `queried_at` and its answer has not come yet.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('channel_capabilities')
    .addColumn('integration_id', 'text', (c) => c.notNull())
    .addColumn('phone', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('request_id', 'text')
    .addColumn('queried_at', 'text')
    .addColumn('checked_at', 'text')
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('channel_capabilities_pk', ['integration_id', 'phone', 'channel'])
    .execute();
}
