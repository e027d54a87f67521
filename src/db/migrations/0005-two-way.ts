import type { Kysely } from 'kysely';

/** Customers, per-channel consent and its append-only ledger, inbound messages, conversations, keyword rules. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('project_settings').addColumn('whatsapp_window_check', 'integer', (c) => c.notNull().defaultTo(1)).execute();

  await db.schema.createTable('customers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('phone', 'text', (c) => c.notNull())
    .addColumn('attributes_json', 'text', (c) => c.notNull())
    .addColumn('consent_whatsapp', 'text', (c) => c.notNull())
    .addColumn('consent_rcs', 'text', (c) => c.notNull())
    .addColumn('consent_sms', 'text', (c) => c.notNull())
    .addColumn('last_inbound_whatsapp_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('customers_project_phone', ['project_id', 'phone'])
    .execute();

  await db.schema.createTable('consent_ledger')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('rule_id', 'text')
    .addColumn('keyword', 'text')
    .addColumn('inbound_message_id', 'text')
    .addColumn('token_id', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('consent_ledger_customer').on('consent_ledger').columns(['customer_id', 'at']).execute();

  await db.schema.createTable('conversations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id'))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('last_message_at', 'text', (c) => c.notNull())
    .addColumn('last_inbound_at', 'text')
    .addColumn('unread_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('conversations_customer_channel', ['project_id', 'customer_id', 'channel'])
    .execute();
  await db.schema.createIndex('conversations_recent').on('conversations').columns(['project_id', 'last_message_at']).execute();

  await db.schema.createTable('inbound_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('integration_id', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('conversation_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('provider_message_id', 'text', (c) => c.notNull())
    .addColumn('business_sender', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('content_json', 'text', (c) => c.notNull())
    .addColumn('text', 'text')
    .addColumn('postback_data', 'text')
    .addColumn('reply_to_message_id', 'text')
    .addColumn('campaign_id', 'text')
    .addColumn('keyword_rule_id', 'text')
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('inbound_provider_id', ['integration_id', 'provider_message_id'])
    .execute();
  await db.schema.createIndex('inbound_conversation').on('inbound_messages').columns(['conversation_id', 'received_at']).execute();

  await db.schema.createTable('keyword_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('channel_group', 'text', (c) => c.notNull())
    .addColumn('keyword', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('reply_text', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('keyword_rules_unique', ['project_id', 'channel_group', 'keyword'])
    .execute();

  await db.schema.alterTable('messages').addColumn('consent_exempt', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('messages').addColumn('reply_to_inbound_id', 'text').execute();
}
