import { sql, type Kysely } from 'kysely';

/**
 * The campaign-ready engine (ADR 0005): the message row is its own work item and the callback row its own
 * outbox, so neither needs a `jobs` row.
 *
 * - `messages.priority` (0 replies and keyword confirmations, 1 API sends, 2 bulk), `next_attempt_at` (epoch ms
 *   when it is due; while a worker holds it, when that worker's lease runs out; null once nothing more is to be
 *   done), `locked_by` (the worker holding it: an attempt is in flight), `attempt_started_at`, and
 *   `interrupted_at` (the start of an attempt cut off by a crash, found when the message is claimed again).
 * - `callbacks.nonce` (replay protection kept with the callback, as long as the callback), and for the rare
 *   callback whose effects could not be applied when it arrived: `next_attempt_at`, `locked_by`, `attempts`,
 *   `last_error`.
 * - `rate_limits`: shared token buckets (GCRA: the theoretical arrival time of the next permit), so every instance
 *   sending for one integration or one Sinch project draws from the same budget.
 *
 * Work in flight when the previous version stopped is carried over: queued send jobs become due messages,
 * unprocessed callbacks become due callbacks, attempts left in flight are marked interrupted and their messages
 * flagged as possible duplicates (the next attempt may repeat a send Sinch already took).
 */
/** The shapes this migration reads and writes, as they are at this point in the history. */
interface Tables {
  jobs: { kind: string; payload: string; run_at: number; dead: number };
  messages: { id: string; status: string; next_attempt_at: number | null; priority: number; possible_duplicate: number; consent_exempt: number; reply_to_inbound_id: string | null };
  message_attempts: { message_id: string; outcome: string; error_message: string | null };
  callbacks: { processed_at: string | null; next_attempt_at: number | null };
  events: { dedupe_key: string; message_id: string | null; status: string };
}

export async function up(untyped: Kysely<unknown>): Promise<void> {
  const db = untyped as unknown as Kysely<Tables>;
  await db.schema.alterTable('messages').addColumn('priority', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema.alterTable('messages').addColumn('next_attempt_at', 'bigint').execute();
  await db.schema.alterTable('messages').addColumn('locked_by', 'text').execute();
  await db.schema.alterTable('messages').addColumn('attempt_started_at', 'text').execute();
  await db.schema.alterTable('messages').addColumn('interrupted_at', 'text').execute();
  await db.schema.createIndex('messages_due').on('messages').columns(['integration_id', 'priority', 'next_attempt_at'])
    .where(sql.ref('next_attempt_at'), 'is not', null).execute();

  await db.schema.alterTable('callbacks').addColumn('nonce', 'text').execute();
  await db.schema.alterTable('callbacks').addColumn('next_attempt_at', 'bigint').execute();
  await db.schema.alterTable('callbacks').addColumn('locked_by', 'text').execute();
  await db.schema.alterTable('callbacks').addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('callbacks').addColumn('last_error', 'text').execute();
  await db.schema.createIndex('callbacks_nonce').on('callbacks').columns(['integration_id', 'nonce']).unique().execute();
  await db.schema.createIndex('callbacks_due').on('callbacks').column('next_attempt_at')
    .where(sql.ref('next_attempt_at'), 'is not', null).execute();

  // An event's dedupe key is `msg:<message id>:<status>` for inbound messages too (it was `in:<integration>:<Sinch
  // id>`; the inbound row is stored once per Sinch id anyway), so the dedupe index serves lookups by message and
  // the events table needs one index less per event.
  await db.updateTable('events').set({ dedupe_key: sql<string>`'msg:' || message_id || ':' || status` }).where('dedupe_key', 'like', 'in:%').execute();
  await db.schema.dropIndex('events_project_message').execute();

  await db.schema.createTable('rate_limits')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('tat', 'double precision', (c) => c.notNull())
    .addColumn('granted', 'integer', (c) => c.notNull())
    .execute();

  // Carry over work in flight.
  const now = Date.now();
  const sendJobs = await db.selectFrom('jobs').select(['payload', 'run_at']).where('kind', '=', 'send_message').where('dead', '=', 0).execute();
  for (const job of sendJobs) {
    const messageId = (JSON.parse(job.payload) as { message_id?: unknown }).message_id;
    if (typeof messageId !== 'string') continue;
    await db.updateTable('messages').set({ next_attempt_at: Number(job.run_at) })
      .where('id', '=', messageId).where('status', '=', 'queued').execute();
  }
  await db.updateTable('messages').set({ priority: 0 })
    .where((eb) => eb.or([eb('consent_exempt', '=', 1), eb('reply_to_inbound_id', 'is not', null)])).execute();
  await db.updateTable('messages').set({ possible_duplicate: 1 })
    .where('status', '=', 'queued')
    .where('id', 'in', db.selectFrom('message_attempts').select('message_id').where('outcome', '=', 'in_flight'))
    .execute();
  await db.updateTable('message_attempts').set({ outcome: 'interrupted', error_message: 'the worker stopped during this attempt; Sinch may have accepted the message' })
    .where('outcome', '=', 'in_flight').execute();
  await db.updateTable('callbacks').set({ next_attempt_at: now }).where('processed_at', 'is', null).execute();
  await db.deleteFrom('jobs').where('kind', 'in', ['send_message', 'process_callback']).execute();
  await db.schema.dropTable('callback_nonces').execute();
}
