import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';

/** Each integration's template catalogue as last read from Sinch (JSON), and when it was read. */
export function createTemplatesRepo(db: Kysely<Database>) {
  return {
    async get(integrationId: string): Promise<{ fetched_at: string; catalogue_json: string } | undefined> {
      return db.selectFrom('template_catalogues').select(['fetched_at', 'catalogue_json']).where('integration_id', '=', integrationId).executeTakeFirst();
    },
    async put(integrationId: string, fetchedAt: string, catalogueJson: string): Promise<void> {
      await db.insertInto('template_catalogues').values({ integration_id: integrationId, fetched_at: fetchedAt, catalogue_json: catalogueJson })
        .onConflict((oc) => oc.column('integration_id').doUpdateSet({ fetched_at: fetchedAt, catalogue_json: catalogueJson })).execute();
    },
  };
}

export type TemplatesRepo = ReturnType<typeof createTemplatesRepo>;
