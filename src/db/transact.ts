import { sql, type Kysely, type Transaction } from 'kysely';
import type { Dialect } from './database.ts';
import type { Database } from './schema.ts';

/** A unit of work that must commit atomically. Inside it, use only `trx` (on SQLite the one connection is held). */
export type Work<T> = (trx: Transaction<Database>) => Promise<T>;

/** Runs units of work in transactions; resolves only after the unit's commit. */
export type Transact = <T>(work: Work<T>) => Promise<T>;

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };
type Unit = { work: Work<unknown>; resolve: (value: unknown) => void; reject: (error: unknown) => void };

/**
 * On PostgreSQL every unit is its own transaction (a pool of connections commits in parallel).
 *
 * SQLite has one writer and a commit costs far more than the statements before it (ten times, measured in
 * BENCHMARKS.md), so units that arrive while a transaction is running are committed together in the next one
 * (group commit): each unit inside its own savepoint, so a unit that throws is rolled back alone and its caller
 * gets its error, while the others commit. A failed commit fails every unit in it. Nobody hears "done" before
 * the commit that holds their work.
 */
export function createTransact(kysely: Kysely<Database>, dialect: Dialect, maxBatch = 256): Transact {
  if (dialect === 'postgres') return (work) => kysely.transaction().execute(work);

  let waiting: Unit[] = [];
  let flushing = false;

  async function runBatch(trx: Transaction<Database>, batch: Unit[]): Promise<Outcome[]> {
    if (batch.length === 1) return [{ ok: true, value: await batch[0]!.work(trx) }];
    const outcomes: Outcome[] = [];
    for (const unit of batch) {
      await sql`savepoint unit`.execute(trx);
      try {
        const value = await unit.work(trx);
        await sql`release unit`.execute(trx);
        outcomes.push({ ok: true, value });
      } catch (error) {
        await sql`rollback to unit`.execute(trx);
        await sql`release unit`.execute(trx);
        outcomes.push({ ok: false, error });
      }
    }
    return outcomes;
  }

  async function flush(): Promise<void> {
    while (waiting.length > 0) {
      const batch = waiting.length <= maxBatch ? waiting : waiting.slice(0, maxBatch);
      waiting = waiting.length <= maxBatch ? [] : waiting.slice(maxBatch);
      let outcomes: Outcome[];
      try {
        outcomes = await kysely.transaction().execute((trx) => runBatch(trx, batch));
      } catch (error) {
        for (const unit of batch) unit.reject(error);
        continue;
      }
      batch.forEach((unit, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) unit.resolve(outcome.value);
        else unit.reject(outcome.error);
      });
    }
    flushing = false;
  }

  return <T>(work: Work<T>) => new Promise<T>((resolve, reject) => {
    waiting.push({ work, resolve: resolve as (value: unknown) => void, reject });
    if (!flushing) {
      flushing = true;
      setImmediate(() => void flush());
    }
  });
}
