import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import { prepareInsertMany, type SqlContext } from '../prepared.ts';
import type { Executor } from './executor.ts';

export type ImportRow = Database['customer_imports'];
export type ImportErrorRow = Database['customer_import_errors'];

/** Customer imports: their progress, their error report and which customers each one touched. */
export function createImportsRepo(db: Kysely<Database>, ctx: SqlContext) {
  const members = prepareInsertMany(ctx, 'customer_import_members', 'on conflict do nothing');
  return {
    async insert(row: ImportRow): Promise<void> {
      await db.insertInto('customer_imports').values(row).execute();
    },
    find(projectId: string, id: string): Promise<ImportRow | undefined> {
      return db.selectFrom('customer_imports').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
    },
    /** Newest first. */
    list(projectId: string, page: { before?: string; limit: number }): Promise<ImportRow[]> {
      let q = db.selectFrom('customer_imports').selectAll().where('project_id', '=', projectId).orderBy('id', 'desc').limit(page.limit);
      if (page.before !== undefined) q = q.where('id', '<', page.before);
      return q.execute();
    },
    /** Moves a waiting import to running; false when it was not waiting (someone else started it). */
    async start(projectId: string, id: string, at: string): Promise<boolean> {
      const r = await db.updateTable('customer_imports').set({ status: 'running', updated_at: at })
        .where('project_id', '=', projectId).where('id', '=', id).where('status', '=', 'waiting').executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
    async progress(executor: Executor, id: string, counts: Pick<ImportRow, 'rows_read' | 'created_count' | 'updated_count' | 'error_count' | 'updated_at'>): Promise<void> {
      await executor.updateTable('customer_imports').set(counts).where('id', '=', id).execute();
    },
    async finish(id: string, end: Pick<ImportRow, 'status' | 'failure' | 'finished_at'>): Promise<void> {
      await db.updateTable('customer_imports').set({ ...end, updated_at: end.finished_at ?? new Date().toISOString() }).where('id', '=', id).execute();
    },
    async addErrors(executor: Executor, importId: string, errors: ReadonlyArray<Omit<ImportErrorRow, 'import_id'>>): Promise<void> {
      if (errors.length === 0) return;
      await executor.insertInto('customer_import_errors').values(errors.map((e) => ({ ...e, import_id: importId })))
        .onConflict((oc) => oc.doNothing()).execute();
    },
    async addMembers(executor: Executor, importId: string, customerIds: readonly string[]): Promise<void> {
      if (customerIds.length === 0) return;
      await members.run(executor, customerIds.map((customer_id) => ({ import_id: importId, customer_id })));
    },
    /** The error report in row order; `after` is the last row number seen. */
    errors(importId: string, page: { after?: number; limit: number }): Promise<ImportErrorRow[]> {
      let q = db.selectFrom('customer_import_errors').selectAll().where('import_id', '=', importId).orderBy('row_number').orderBy('field').limit(page.limit);
      if (page.after !== undefined) q = q.where('row_number', '>', page.after);
      return q.execute();
    },
  };
}

export type ImportsRepo = ReturnType<typeof createImportsRepo>;
