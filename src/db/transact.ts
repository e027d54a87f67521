import type { Kysely, Transaction } from 'kysely';
import type { Dialect } from './database.ts';
import type { Database } from './schema.ts';

/**
 * A unit of work that must commit atomically. Inside it, use only `trx` (on SQLite the one connection is held),
 * await nothing but the database, and change nothing outside the transaction: a unit may run more than once
 * (see below), so whatever it wants to hand back goes through its return value.
 */
export type Work<T> = (trx: Transaction<Database>) => Promise<T>;

/** Runs units of work in transactions; resolves only after the unit's commit. */
export type Transact = <T>(work: Work<T>) => Promise<T>;

type Unit = { work: Work<unknown>; resolve: (value: unknown) => void; reject: (error: unknown) => void };

/**
 * On PostgreSQL every unit is its own transaction (a pool of connections commits in parallel).
 *
 * SQLite has one writer and a commit costs far more than the statements before it (BENCHMARKS.md), so units that
 * arrive while a transaction is running are committed together in the next one (group commit). Units rarely fail
 * (conflicts are handled in SQL with `on conflict`), so a batch runs them one after the other with nothing in
 * between; if one throws, the whole batch is rolled back and every unit of it runs again alone, in its own
 * transaction, so only the failing unit's caller gets an error (a unique violation stays a unique violation).
 * A failed commit fails every unit in it. Nobody hears "done" before the commit that holds their work.
 */
export function createTransact(kysely: Kysely<Database>, dialect: Dialect, options: { durable?: () => Promise<void>; maxBatch?: number } = {}): Transact {
  if (dialect === 'postgres') return (work) => kysely.transaction().execute(work);
  const maxBatch = options.maxBatch ?? 256;
  const durable = options.durable;

  let waiting: Unit[] = [];
  let flushing = false;

  /** Answers the units of a commit once it is on disk (wal-sync.ts); meanwhile the next batch runs. */
  function answer(units: Unit[], values: unknown[]): void {
    if (durable === undefined) {
      units.forEach((unit, i) => unit.resolve(values[i]));
      return;
    }
    durable().then(
      () => units.forEach((unit, i) => unit.resolve(values[i])),
      (error: unknown) => { for (const unit of units) unit.reject(error); },
    );
  }

  async function runAlone(unit: Unit): Promise<void> {
    try {
      answer([unit], [await kysely.transaction().execute(unit.work)]);
    } catch (error) {
      unit.reject(error);
    }
  }

  async function runBatch(batch: Unit[]): Promise<void> {
    if (batch.length === 1) return runAlone(batch[0]!);
    let values: unknown[];
    try {
      values = await kysely.transaction().execute(async (trx) => {
        const out: unknown[] = [];
        for (const unit of batch) out.push(await unit.work(trx));
        return out;
      });
    } catch {
      // One unit (or the commit) failed and everything was rolled back: find out which, one transaction each.
      for (const unit of batch) await runAlone(unit);
      return;
    }
    answer(batch, values);
  }

  async function flush(): Promise<void> {
    while (waiting.length > 0) {
      const batch = waiting.length <= maxBatch ? waiting : waiting.slice(0, maxBatch);
      waiting = waiting.length <= maxBatch ? [] : waiting.slice(maxBatch);
      await runBatch(batch);
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
