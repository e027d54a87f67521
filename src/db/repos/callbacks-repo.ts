import type { Database } from '../schema.ts';
import type { Executor } from './executor.ts';

export type CallbackRow = Database['callbacks'];

export function createCallbacksRepo(db: Executor) {
  return {
    /** True when stored; false when a callback with the same dedupe key was stored before. */
    async insertOnce(executor: Executor, row: CallbackRow): Promise<boolean> {
      const r = await executor.insertInto('callbacks').values(row)
        .onConflict((oc) => oc.columns(['integration_id', 'dedupe_key']).doNothing()).returning('id').executeTakeFirst();
      return r !== undefined;
    },
    /** 'new', 'same' (the same body seen with this nonce: a redelivery) or 'reused' (another body: a replay). */
    async recordNonce(executor: Executor, integrationId: string, nonce: string, bodyHash: string, seenAt: number): Promise<'new' | 'same' | 'reused'> {
      const r = await executor.insertInto('callback_nonces').values({ integration_id: integrationId, nonce, body_hash: bodyHash, seen_at: seenAt })
        .onConflict((oc) => oc.columns(['integration_id', 'nonce']).doNothing()).returning('nonce').executeTakeFirst();
      if (r !== undefined) return 'new';
      const existing = await executor.selectFrom('callback_nonces').select('body_hash')
        .where('integration_id', '=', integrationId).where('nonce', '=', nonce).executeTakeFirst();
      return existing?.body_hash === bodyHash ? 'same' : 'reused';
    },
    async pruneNonces(olderThan: number): Promise<void> {
      await db.deleteFrom('callback_nonces').where('seen_at', '<', olderThan).execute();
    },
    find(id: string): Promise<CallbackRow | undefined> {
      return db.selectFrom('callbacks').selectAll().where('id', '=', id).executeTakeFirst();
    },
    async markProcessed(executor: Executor, id: string, at: string, outcome: string): Promise<void> {
      await executor.updateTable('callbacks').set({ processed_at: at, outcome }).where('id', '=', id).execute();
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
