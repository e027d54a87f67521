import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { Executor } from './executor.ts';

export type CapabilityRow = Database['channel_capabilities'];
export type CapabilityStatus = CapabilityRow['status'];

/** Numbers' channel capabilities as Sinch last said, per integration (all SQL of the capability cache). */
export function createCapabilitiesRepo(db: Kysely<Database>) {
  return {
    async get(integrationId: string, channel: CapabilityRow['channel'], phones: readonly string[]): Promise<CapabilityRow[]> {
      if (phones.length === 0) return [];
      return db.selectFrom('channel_capabilities').selectAll()
        .where('integration_id', '=', integrationId).where('channel', '=', channel).where('phone', 'in', [...phones]).execute();
    },

    /** A query is going out for these numbers: `pending` from now (what Sinch said before stays in `checked_at`). */
    async markPending(executor: Executor, rows: ReadonlyArray<Pick<CapabilityRow, 'integration_id' | 'phone' | 'channel' | 'request_id' | 'queried_at' | 'expires_at'>>): Promise<void> {
      for (const r of rows) {
        await executor.insertInto('channel_capabilities').values({ ...r, status: 'pending', reason: null, checked_at: null })
          .onConflict((oc) => oc.columns(['integration_id', 'phone', 'channel']).doUpdateSet({
            status: 'pending', reason: null, request_id: r.request_id, queried_at: r.queried_at, expires_at: r.expires_at,
          })).execute();
      }
    },

    /**
     * Records an answer, unless one checked at the same time or later is already there (so a repeated or late
     * callback changes nothing). True when it was recorded.
     */
    async record(executor: Executor, row: Omit<CapabilityRow, 'queried_at'> & { checked_at: string }): Promise<boolean> {
      const result = await executor.insertInto('channel_capabilities').values({ ...row, queried_at: null })
        .onConflict((oc) => oc.columns(['integration_id', 'phone', 'channel']).doUpdateSet({
          status: row.status, reason: row.reason, request_id: row.request_id, checked_at: row.checked_at, expires_at: row.expires_at,
        }).where((eb) => eb.or([eb('channel_capabilities.checked_at', 'is', null), eb('channel_capabilities.checked_at', '<', row.checked_at)])))
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
    },

    /** A customer's entries under the project's integrations. */
    async forPhone(projectId: string, phone: string): Promise<CapabilityRow[]> {
      return db.selectFrom('channel_capabilities').innerJoin('integrations', 'integrations.id', 'channel_capabilities.integration_id')
        .selectAll('channel_capabilities').where('integrations.project_id', '=', projectId).where('channel_capabilities.phone', '=', phone)
        .orderBy('channel_capabilities.integration_id').orderBy('channel_capabilities.channel').execute();
    },
  };
}

export type CapabilitiesRepo = ReturnType<typeof createCapabilitiesRepo>;
