import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import { channelGroups, defaultKeywords } from '../../domain/keywords.ts';
import { createId } from '../../lib/ids.ts';

export type ProjectRow = Database['projects'];

export function createProjectsRepo(db: Kysely<Database>) {
  return {
    /** A new project with its default settings and default keyword rules, in one transaction. */
    async insert(row: ProjectRow): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('projects').values(row).execute();
        await trx.insertInto('project_settings').values({
          project_id: row.id,
          whatsapp_integration_id: null,
          rcs_integration_id: null,
          event_name_whatsapp: 'campaign',
          event_name_rcs: 'campaign',
          whatsapp_window_check: 1,
          updated_at: row.created_at,
        }).execute();
        await trx.insertInto('keyword_rules').values(channelGroups.flatMap((group) => defaultKeywords.map((k) => ({
          id: createId('kw'), project_id: row.id, channel_group: group, keyword: k.keyword, action: k.action,
          reply_text: k.replyText, enabled: 1, created_at: row.created_at, updated_at: row.created_at,
        })))).execute();
      });
    },
    find(id: string): Promise<ProjectRow | undefined> {
      return db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
    },
    /** Keyset page ordered by id (ids are time-sortable). */
    list(options: { onlyIds?: string[]; after?: string; limit: number }): Promise<ProjectRow[]> {
      let q = db.selectFrom('projects').selectAll().orderBy('id').limit(options.limit);
      if (options.onlyIds !== undefined) {
        if (options.onlyIds.length === 0) return Promise.resolve([]);
        q = q.where('id', 'in', options.onlyIds);
      }
      if (options.after !== undefined) q = q.where('id', '>', options.after);
      return q.execute();
    },
  };
}

export type ProjectsRepo = ReturnType<typeof createProjectsRepo>;
