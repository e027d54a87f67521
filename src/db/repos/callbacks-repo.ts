import { prepareQuery, type SqlContext } from '../prepared.ts';
import type { Database } from '../schema.ts';
import type { Executor } from './executor.ts';

export type CallbackRow = Database['callbacks'];

const callbackColumns = [
  'id', 'integration_id', 'project_id', 'trigger', 'dedupe_key', 'provider_message_id', 'received_at', 'body', 'processed_at', 'outcome',
  'nonce', 'next_attempt_at', 'locked_by', 'attempts', 'last_error',
] as const satisfies ReadonlyArray<keyof CallbackRow>;

export function createCallbacksRepo(db: Executor, ctx: SqlContext) {
  const dialect = ctx.dialect;
  const skipLocked = dialect === 'postgres' ? 'for update skip locked' : '';
  // Any conflict (the same report again: dedupe key; a nonce seen before) stores nothing.
  const insertOnce = prepareQuery<{ id: string }>(ctx, `insert into callbacks (${callbackColumns.join(', ')})
    values (${callbackColumns.map((_, i) => `$${i + 1}`).join(', ')}) on conflict do nothing returning id`);
  const sameNonce = prepareQuery<{ body: string }>(ctx, 'select body from callbacks where integration_id = $1 and nonce = $2');
  const setOutcome = prepareQuery(ctx, 'update callbacks set outcome = $2 where id = $1');
  const claim = prepareQuery<CallbackRow>(ctx, `
    update callbacks set locked_by = $1, next_attempt_at = $2, attempts = attempts + 1
    where id in (select id from callbacks where next_attempt_at is not null and next_attempt_at <= $3 order by next_attempt_at limit $4 ${skipLocked})
    returning *`);
  const processed = prepareQuery(ctx, `
    update callbacks set processed_at = $3, outcome = $4, next_attempt_at = null, locked_by = null
    where id = $1 and locked_by = $2`);
  const later = prepareQuery(ctx, 'update callbacks set next_attempt_at = $3, locked_by = null, last_error = $4 where id = $1 and locked_by = $2');

  return {
    /** True when stored; false when it conflicts with a callback stored before (same report, or same nonce). */
    async insertOnce(executor: Executor, row: CallbackRow): Promise<boolean> {
      return (await insertOnce.run(executor, callbackColumns.map((c) => row[c]))).length > 0;
    },
    /** After a conflict: was this nonce seen, with the same body (a redelivery) or another one (a replay)? */
    async nonceSeen(executor: Executor, integrationId: string, nonce: string, body: string): Promise<'no' | 'same' | 'reused'> {
      const row = (await sameNonce.run(executor, [integrationId, nonce]))[0];
      return row === undefined ? 'no' : row.body === body ? 'same' : 'reused';
    },
    async setOutcome(executor: Executor, id: string, outcome: string): Promise<void> {
      await setOutcome.run(executor, [id, outcome]);
    },
    /** Callbacks whose effects are still to be applied, for this worker until `leaseUntil`. */
    claimDue(workerId: string, leaseUntil: number, now: number, limit: number): Promise<CallbackRow[]> {
      return claim.run(db, [workerId, leaseUntil, now, limit]);
    },
    /** Applied: false when this worker no longer holds the callback. */
    async markProcessed(executor: Executor, id: string, workerId: string, at: string, outcome: string): Promise<boolean> {
      return (await processed.count(executor, [id, workerId, at, outcome])) > 0;
    },
    async retryLater(id: string, workerId: string, at: number, error: string): Promise<boolean> {
      return (await later.count(db, [id, workerId, at, error.slice(0, 2000)])) > 0;
    },
    find(id: string): Promise<CallbackRow | undefined> {
      return db.selectFrom('callbacks').selectAll().where('id', '=', id).executeTakeFirst();
    },
    list(projectId: string, filters: { trigger?: string; outcome?: string; provider_message_id?: string }, page: { before?: string; limit: number }): Promise<CallbackRow[]> {
      let q = db.selectFrom('callbacks').selectAll().where('project_id', '=', projectId).orderBy('id', 'desc').limit(page.limit);
      if (filters.trigger !== undefined) q = q.where('trigger', '=', filters.trigger);
      if (filters.outcome !== undefined) q = q.where('outcome', '=', filters.outcome);
      if (filters.provider_message_id !== undefined) q = q.where('provider_message_id', '=', filters.provider_message_id);
      if (page.before !== undefined) q = q.where('id', '<', page.before);
      return q.execute();
    },
    forProviderMessage(providerMessageId: string): Promise<CallbackRow[]> {
      return db.selectFrom('callbacks').selectAll().where('provider_message_id', '=', providerMessageId).orderBy('id').execute();
    },
  };
}

export type CallbacksRepo = ReturnType<typeof createCallbacksRepo>;
