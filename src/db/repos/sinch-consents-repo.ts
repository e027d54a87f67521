import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { Executor } from './executor.ts';

export type SinchConsentEntryRow = Database['sinch_consent_entries'];
export type SinchConsentSyncRow = Database['sinch_consent_syncs'];
export type SinchConsentList = SinchConsentEntryRow['list'];

/** The consent import's memory: the entries seen on each integration's opt-out lists, and each last sync. */
export function createSinchConsentsRepo(db: Kysely<Database>) {
  return {
    /** The identities seen on one of the integration's lists. */
    async seen(integrationId: string, list: SinchConsentList): Promise<string[]> {
      const rows = await db.selectFrom('sinch_consent_entries').select('identity')
        .where('integration_id', '=', integrationId).where('list', '=', list).execute();
      return rows.map((r) => r.identity);
    },

    /** Records entries as seen; returns the identities that were not seen before (only those are acted on). */
    async markSeen(executor: Executor, integrationId: string, list: SinchConsentList, identities: readonly string[], at: string): Promise<string[]> {
      if (identities.length === 0) return [];
      const rows = await executor.insertInto('sinch_consent_entries')
        .values(identities.map((identity) => ({ integration_id: integrationId, list, identity, seen_at: at })))
        .onConflict((oc) => oc.columns(['integration_id', 'list', 'identity']).doNothing())
        .returning('identity').execute();
      return rows.map((r) => r.identity);
    },

    /** Entries that are no longer on the list. */
    async forget(integrationId: string, list: SinchConsentList, identities: readonly string[]): Promise<void> {
      if (identities.length === 0) return;
      await db.deleteFrom('sinch_consent_entries')
        .where('integration_id', '=', integrationId).where('list', '=', list).where('identity', 'in', [...identities]).execute();
    },

    lastSync(integrationId: string): Promise<SinchConsentSyncRow | undefined> {
      return db.selectFrom('sinch_consent_syncs').selectAll().where('integration_id', '=', integrationId).executeTakeFirst();
    },

    /** Replaces the integration's last sync. */
    async recordSync(row: SinchConsentSyncRow): Promise<void> {
      const { integration_id: _id, ...rest } = row;
      await db.insertInto('sinch_consent_syncs').values(row).onConflict((oc) => oc.column('integration_id').doUpdateSet(rest)).execute();
    },
  };
}

export type SinchConsentsRepo = ReturnType<typeof createSinchConsentsRepo>;
