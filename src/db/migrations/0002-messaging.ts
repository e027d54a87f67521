import type { Kysely } from 'kysely';

/** Outbound messages, their attempts and timeline, tracked events, the job queue, received callbacks, idempotency keys. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('integrations').addColumn('send_rate_per_second', 'integer').execute();

  await db.schema.createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.unique())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('run_at', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('locked_by', 'text')
    .addColumn('locked_until', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('dead', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('jobs_ready').on('jobs').columns(['dead', 'kind', 'run_at']).execute();

  await db.schema.createTable('messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('integration_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('sender', 'text')
    .addColumn('campaign_id', 'text')
    .addColumn('content_kind', 'text', (c) => c.notNull())
    .addColumn('content_json', 'text', (c) => c.notNull())
    .addColumn('options_json', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('provider_message_id', 'text')
    .addColumn('error', 'text')
    .addColumn('error_description', 'text')
    .addColumn('possible_duplicate', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('attempt_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('current_channel', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('sent_ts', 'double precision')
    .execute();
  await db.schema.createIndex('messages_project').on('messages').columns(['project_id', 'id']).execute();
  await db.schema.createIndex('messages_provider_id').on('messages').columns(['provider_message_id']).execute();
  await db.schema.createIndex('messages_recipient').on('messages').columns(['project_id', 'recipient', 'id']).execute();

  await db.schema.createTable('message_attempts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('message_id', 'text', (c) => c.notNull().references('messages.id'))
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('http_status', 'integer')
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('retry_in_ms', 'integer')
    .execute();
  await db.schema.createIndex('message_attempts_message').on('message_attempts').columns(['message_id', 'number']).unique().execute();

  await db.schema.createTable('message_timeline')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text')
    .addColumn('channel', 'text')
    .addColumn('detail_json', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('message_timeline_message').on('message_timeline').columns(['message_id', 'at']).execute();

  await db.schema.createTable('events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('ts', 'double precision', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('action_type', 'text', (c) => c.notNull())
    .addColumn('campaign_id', 'text')
    .addColumn('recipient', 'text')
    .addColumn('message_id', 'text')
    .addColumn('integration_id', 'text')
    .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
    .addColumn('properties_json', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('events_project_ts').on('events').columns(['project_id', 'ts', 'id']).execute();
  await db.schema.createIndex('events_project_message').on('events').columns(['project_id', 'message_id']).execute();

  await db.schema.createTable('callbacks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('integration_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'text', (c) => c.notNull())
    .addColumn('provider_message_id', 'text')
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('processed_at', 'text')
    .addColumn('outcome', 'text')
    .execute();
  await db.schema.createIndex('callbacks_dedupe').on('callbacks').columns(['integration_id', 'dedupe_key']).unique().execute();
  await db.schema.createIndex('callbacks_provider_message').on('callbacks').columns(['provider_message_id']).execute();

  await db.schema.createTable('idempotency_keys')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer', (c) => c.notNull())
    .addColumn('response_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['project_id', 'key'])
    .execute();
}
