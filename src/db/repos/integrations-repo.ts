import type { Kysely, Updateable } from 'kysely';
import type { Database } from '../schema.ts';
import type { Executor } from './executor.ts';

export type IntegrationRow = Database['integrations'];

export function createIntegrationsRepo(db: Kysely<Database>) {
  return {
    async insert(row: IntegrationRow): Promise<void> {
      await db.insertInto('integrations').values(row).execute();
    },
    find(projectId: string, id: string, executor: Executor = db): Promise<IntegrationRow | undefined> {
      return executor.selectFrom('integrations').selectAll()
        .where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    },
    findById(id: string, executor: Executor = db): Promise<IntegrationRow | undefined> {
      return executor.selectFrom('integrations').selectAll().where('id', '=', id).executeTakeFirst();
    },
    findByCallbackTokenHash(hash: string): Promise<IntegrationRow | undefined> {
      return db.selectFrom('integrations').selectAll().where('callback_token_hash', '=', hash).executeTakeFirst();
    },
    list(projectId: string, options: { after?: string; limit: number }): Promise<IntegrationRow[]> {
      let q = db.selectFrom('integrations').selectAll().where('project_id', '=', projectId).orderBy('id').limit(options.limit);
      if (options.after !== undefined) q = q.where('id', '>', options.after);
      return q.execute();
    },
    /** Every integration's id, project, Sinch project and send rate (null: the default). */
    listRates(): Promise<Array<Pick<IntegrationRow, 'id' | 'project_id' | 'sinch_project_id' | 'send_rate_per_second'>>> {
      return db.selectFrom('integrations').select(['id', 'project_id', 'sinch_project_id', 'send_rate_per_second']).orderBy('id').execute();
    },
    /** The SANDBOX integration that holds this sandbox app id, if any (a sandbox app belongs to one integration). */
    findSandboxByAppId(appId: string): Promise<Pick<IntegrationRow, 'id' | 'project_id'> | undefined> {
      return db.selectFrom('integrations').select(['id', 'project_id']).where('region', '=', 'SANDBOX').where('app_id', '=', appId).executeTakeFirst();
    },
    listByRegion(region: IntegrationRow['region']): Promise<IntegrationRow[]> {
      return db.selectFrom('integrations').selectAll().where('region', '=', region).orderBy('id').execute();
    },
    async update(projectId: string, id: string, patch: Updateable<IntegrationRow>): Promise<void> {
      await db.updateTable('integrations').set(patch).where('project_id', '=', projectId).where('id', '=', id).execute();
    },
    /**
     * Deletes unless the integration is a default provider of its project; the check and the delete are one
     * statement, so a concurrent settings change cannot slip between them.
     */
    /**
     * Deletes the integration unless it is a default provider, with what was kept only for it: its template catalogue
     * and its numbers' RCS capabilities (its opt-out list entries and imports go by their foreign keys).
     */
    async deleteUnlessDefault(projectId: string, id: string): Promise<'deleted' | 'in_use' | 'missing'> {
      const deleted = await db.transaction().execute(async (trx) => {
        const r = await trx.deleteFrom('integrations')
          .where('project_id', '=', projectId).where('id', '=', id)
          .where((outer) => outer.not(outer.exists(
            outer.selectFrom('project_settings').select('project_id')
              .where('project_id', '=', projectId)
              .where((eb) => eb.or([eb('whatsapp_integration_id', '=', id), eb('rcs_integration_id', '=', id)])),
          )))
          .executeTakeFirst();
        if (r.numDeletedRows === 0n) return false;
        await trx.deleteFrom('template_catalogues').where('integration_id', '=', id).execute();
        await trx.deleteFrom('channel_capabilities').where('integration_id', '=', id).execute();
        return true;
      });
      if (deleted) return 'deleted';
      return (await this.find(projectId, id)) ? 'in_use' : 'missing';
    },
  };
}

export type IntegrationsRepo = ReturnType<typeof createIntegrationsRepo>;
