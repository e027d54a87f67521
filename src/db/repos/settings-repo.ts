import type { Kysely, Updateable } from 'kysely';
import type { Database } from '../schema.ts';
import type { Executor } from './executor.ts';

export type ProjectSettingsRow = Database['project_settings'];

export function createSettingsRepo(db: Kysely<Database>) {
  return {
    async get(projectId: string, executor: Executor = db): Promise<ProjectSettingsRow> {
      const row = await executor.selectFrom('project_settings').selectAll().where('project_id', '=', projectId).executeTakeFirst();
      if (row === undefined) throw new Error(`project ${projectId} has no settings row`);
      return row;
    },
    async update(projectId: string, patch: Updateable<ProjectSettingsRow>): Promise<void> {
      await db.updateTable('project_settings').set(patch).where('project_id', '=', projectId).execute();
    },
  };
}

export type SettingsRepo = ReturnType<typeof createSettingsRepo>;
