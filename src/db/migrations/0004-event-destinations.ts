import type { Kysely } from 'kysely';

/**
 * Event destinations: a project's HTTPS endpoints that tracked events are forwarded to, with their delivery state
 * (a cursor over the project's events ordered by id). Also an index for reading a project's events by id
 * (forwarding, stream resume) and one for listing a project's callbacks.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('event_destinations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('events_json', 'text')
    .addColumn('statuses_json', 'text')
    .addColumn('secret_enc', 'text', (c) => c.notNull())
    .addColumn('batch_size', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('cursor_id', 'text')
    .addColumn('inflight_last_id', 'text')
    .addColumn('forwarded_count', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_attempt_at', 'text')
    .addColumn('last_success_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('last_error_at', 'text')
    .addColumn('last_status_code', 'integer')
    .addColumn('next_attempt_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('event_destinations_project').on('event_destinations').columns(['project_id', 'id']).execute();
  await db.schema.createIndex('events_project_id').on('events').columns(['project_id', 'id']).execute();
  await db.schema.createIndex('callbacks_project').on('callbacks').columns(['project_id', 'id']).execute();
}
