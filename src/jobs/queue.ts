import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Dialect } from '../db/database.ts';
import { createId } from '../lib/ids.ts';

export interface JobSpec {
  kind: string;
  payload: unknown;
  /** At most one live job per key: enqueueing an existing key is a no-op. */
  key?: string;
  /** Epoch ms; default now. */
  runAt?: number;
  maxAttempts?: number;
}

export interface ClaimedJob {
  id: string;
  kind: string;
  key: string | null;
  payload: unknown;
  /** 1 for the first run. */
  attempt: number;
  maxAttempts: number;
}

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * A durable job queue in the application database (the graphile-worker model): jobs are rows, claimed with a
 * lease that expires if the worker dies, so a crashed run is picked up again. On PostgreSQL, claims use
 * `FOR UPDATE SKIP LOCKED` so several instances share the work; on SQLite one writer claims at a time.
 */
export function createJobQueue(db: Kysely<Database>, dialect: Dialect) {
  return {
    db,
    /** Adds a job, usually inside the transaction that wrote what the job is about. Returns false for a duplicate key. */
    async enqueue(executor: Executor, spec: JobSpec, now: number): Promise<boolean> {
      const result = await executor.insertInto('jobs').values({
        id: createId('job'),
        kind: spec.kind,
        key: spec.key ?? null,
        payload: JSON.stringify(spec.payload),
        run_at: spec.runAt ?? now,
        attempts: 0,
        max_attempts: spec.maxAttempts ?? 10,
        locked_by: null,
        locked_until: null,
        last_error: null,
        dead: 0,
        created_at: new Date(now).toISOString(),
      }).onConflict((oc) => oc.column('key').doNothing()).returning('id').executeTakeFirst();
      return result !== undefined;
    },

    async claim(workerId: string, kinds: readonly string[], limit: number, leaseMs: number, now: number): Promise<ClaimedJob[]> {
      if (limit <= 0 || kinds.length === 0) return [];
      const lockTail = dialect === 'postgres' ? sql`for update skip locked` : sql``;
      const rows = await sql<{ id: string; kind: string; key: string | null; payload: string; attempts: number; max_attempts: number }>`
        update jobs set locked_by = ${workerId}, locked_until = ${now + leaseMs}, attempts = attempts + 1
        where id in (
          select id from jobs
          where dead = 0 and kind in (${sql.join(kinds)}) and run_at <= ${now}
            and (locked_until is null or locked_until <= ${now})
          order by run_at, id
          limit ${limit}
          ${lockTail}
        )
        returning id, kind, key, payload, attempts, max_attempts`.execute(db);
      return rows.rows.map((r) => ({
        id: r.id, kind: r.kind, key: r.key, payload: JSON.parse(r.payload) as unknown, attempt: Number(r.attempts), maxAttempts: Number(r.max_attempts),
      }));
    },

    /** Finished: the row goes, and with it the key, so the same key can be used again. */
    async complete(executor: Executor, jobId: string): Promise<void> {
      await executor.deleteFrom('jobs').where('id', '=', jobId).execute();
    },

    async retryLater(jobId: string, runAt: number, error: string): Promise<void> {
      await db.updateTable('jobs').set({ run_at: runAt, locked_by: null, locked_until: null, last_error: error.slice(0, 2000) })
        .where('id', '=', jobId).execute();
    },

    /** Keeps the job for people to inspect, never to run again. */
    async bury(jobId: string, error: string): Promise<void> {
      await db.updateTable('jobs').set({ dead: 1, locked_by: null, locked_until: null, last_error: error.slice(0, 2000) })
        .where('id', '=', jobId).execute();
    },

    /**
     * Renews the leases of these running jobs (one statement), only while this worker still holds them; returns how
     * many it renewed.
     */
    async extendLeases(workerId: string, jobIds: readonly string[], until: number): Promise<number> {
      if (jobIds.length === 0) return 0;
      const result = await db.updateTable('jobs').set({ locked_until: until })
        .where('id', 'in', [...jobIds]).where('locked_by', '=', workerId).executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    /** Earliest run_at among runnable jobs of these kinds, to sleep exactly until then. */
    async nextRunAt(kinds: readonly string[]): Promise<number | undefined> {
      const row = await db.selectFrom('jobs').select((eb) => eb.fn.min('run_at').as('next'))
        .where('dead', '=', 0).where('kind', 'in', kinds).executeTakeFirst();
      return row?.next === null || row?.next === undefined ? undefined : Number(row.next);
    },

    async counts(): Promise<{ ready: number; dead: number }> {
      const rows = await db.selectFrom('jobs').select(['dead', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('dead').execute();
      return { ready: Number(rows.find((r) => Number(r.dead) === 0)?.n ?? 0), dead: Number(rows.find((r) => Number(r.dead) === 1)?.n ?? 0) };
    },
  };
}

export type JobQueue = ReturnType<typeof createJobQueue>;
