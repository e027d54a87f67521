import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { Dialect } from '../database.ts';
import { createId } from '../../lib/ids.ts';
import type { Executor } from './executor.ts';

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

/** What a job handler decided. Throwing means a bug: the job is retried with backoff and the error logged. */
export type JobResult =
  /** `completed`: the handler deleted the job itself, inside the transaction that did its work (one commit less). */
  | { kind: 'done'; completed?: boolean }
  | { kind: 'retry'; delayMs: number; error: string }
  | { kind: 'bury'; error: string };

export type JobHandler = (job: ClaimedJob) => Promise<JobResult>;

/**
 * Background jobs other than sends and callbacks (event forwarding; later campaign fan-out and imports), as rows in
 * the application database (the graphile-worker model, ADR 0003): claimed with a lease that expires if the worker
 * dies, so a crashed run is picked up again. On PostgreSQL, claims use `FOR UPDATE SKIP LOCKED` so several
 * instances share the work. Every change of a claimed job's state is made only while the worker still holds it.
 */
export function createJobsRepo(db: Kysely<Database>, dialect: Dialect) {
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

    /** Finished: the row goes, and with it the key, so the same key can be used again. False when the lease was lost. */
    async complete(executor: Executor, jobId: string, workerId: string): Promise<boolean> {
      const r = await executor.deleteFrom('jobs').where('id', '=', jobId).where('locked_by', '=', workerId).executeTakeFirst();
      return r.numDeletedRows > 0n;
    },

    /** False when the lease was lost (another worker has the job now). */
    async retryLater(jobId: string, workerId: string, runAt: number, error: string): Promise<boolean> {
      const r = await db.updateTable('jobs').set({ run_at: runAt, locked_by: null, locked_until: null, last_error: error.slice(0, 2000) })
        .where('id', '=', jobId).where('locked_by', '=', workerId).executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    /** Keeps the job for people to inspect, never to run again. False when the lease was lost. */
    async bury(jobId: string, workerId: string, error: string): Promise<boolean> {
      const r = await db.updateTable('jobs').set({ dead: 1, locked_by: null, locked_until: null, last_error: error.slice(0, 2000) })
        .where('id', '=', jobId).where('locked_by', '=', workerId).executeTakeFirst();
      return r.numUpdatedRows > 0n;
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

export type JobsRepo = ReturnType<typeof createJobsRepo>;
