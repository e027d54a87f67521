import { sql, type Kysely } from 'kysely';

/**
 * Campaigns: customers with tags and a time zone, CSV imports (with their error reports and members), saved
 * segments, campaigns with their skipped recipients and incrementally kept counters; messages know the campaign that
 * created them (unique per campaign and phone) and when they were scheduled.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Tags as `,tag,other,` (a LIKE finds one), the customer's IANA time zone (quiet hours), their last inbound on any channel.
  await db.schema.alterTable('customers').addColumn('tags', 'text', (c) => c.notNull().defaultTo('')).execute();
  await db.schema.alterTable('customers').addColumn('time_zone', 'text').execute();
  await db.schema.alterTable('customers').addColumn('last_inbound_at', 'text').execute();
  await sql`update customers set last_inbound_at = last_inbound_whatsapp_at`.execute(db);
  // A campaign's fan-out and segment previews page through a project's customers in id order.
  await db.schema.createIndex('customers_project_order').on('customers').columns(['project_id', 'id']).execute();

  // Replies to a campaign (segment filters: "replied to campaign X").
  await db.schema.createIndex('inbound_messages_campaign').on('inbound_messages').columns(['campaign_id', 'customer_id']).execute();

  await db.schema.alterTable('messages').addColumn('campaign_ref', 'text').execute();
  await db.schema.alterTable('messages').addColumn('send_at', 'text').execute();
  await db.schema.createIndex('messages_campaign').on('messages').columns(['campaign_ref', 'recipient']).unique()
    .where(sql.ref('campaign_ref'), 'is not', null).execute();

  // {"max": 3, "period": "day" | "week"}: at most `max` campaign messages per customer in a rolling period.
  await db.schema.alterTable('project_settings').addColumn('frequency_cap_json', 'text').execute();

  await db.schema.createTable('customer_imports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('rows_read', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failure', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('customer_imports_project').on('customer_imports').columns(['project_id', 'id']).execute();
  await db.schema.createTable('customer_import_errors')
    .addColumn('import_id', 'text', (c) => c.notNull())
    .addColumn('row_number', 'integer', (c) => c.notNull())
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('customer_import_errors_pk', ['import_id', 'row_number', 'field'])
    .execute();
  await db.schema.createTable('customer_import_members')
    .addColumn('import_id', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('customer_import_members_pk', ['import_id', 'customer_id'])
    .execute();

  await db.schema.createTable('segments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('filter_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('segments_project_name', ['project_id', 'name'])
    .execute();

  await db.schema.createTable('campaigns')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('integration_id', 'text', (c) => c.notNull())
    .addColumn('content_json', 'text', (c) => c.notNull())
    .addColumn('audience_json', 'text', (c) => c.notNull())
    .addColumn('settings_json', 'text', (c) => c.notNull())
    .addColumn('send_at', 'text')
    .addColumn('fanout_cursor', 'text')
    .addColumn('fanout_done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('queued_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('launched_at', 'text')
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('campaigns_project').on('campaigns').columns(['project_id', 'id']).execute();
  await db.schema.createTable('campaign_skips')
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('phone', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addPrimaryKeyConstraint('campaign_skips_pk', ['campaign_id', 'phone'])
    .execute();
  await db.schema.createTable('campaign_counters')
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('campaign_counters_pk', ['campaign_id', 'key'])
    .execute();
}
