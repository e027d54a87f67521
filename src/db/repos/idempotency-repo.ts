import type { Database } from '../schema.ts';
import type { Executor } from './executor.ts';

export type IdempotencyRow = Database['idempotency_keys'];

/** The first answer to each `Idempotency-Key` of a project, so a repeated request gets the same answer. */
export function createIdempotencyRepo(db: Executor) {
  return {
    find(projectId: string, key: string, executor: Executor = db): Promise<IdempotencyRow | undefined> {
      return executor.selectFrom('idempotency_keys').selectAll().where('project_id', '=', projectId).where('key', '=', key).executeTakeFirst();
    },
    async insert(executor: Executor, row: IdempotencyRow): Promise<void> {
      await executor.insertInto('idempotency_keys').values(row).execute();
    },
  };
}

export type IdempotencyRepo = ReturnType<typeof createIdempotencyRepo>;
