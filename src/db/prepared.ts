import { CompiledQuery } from 'kysely';
import type { Dialect } from './database.ts';
import type { Executor } from './repos/executor.ts';

/**
 * A hot query written once as SQL text and run many times with new parameters: no query building or compiling
 * per call (Kysely's builder was 20% of the service's CPU on the hot paths, BENCHMARKS.md). Parameters are
 * written `$1`, `$2`, … (PostgreSQL's form); for SQLite they become `?1`, `?2`, …, which bind by the same
 * position. On SQLite the driver also keeps the prepared statement (sqlite-driver.ts).
 */
export interface PreparedQuery<R> {
  readonly sql: string;
  run(executor: Executor, parameters: readonly unknown[]): Promise<R[]>;
  /** Rows changed, for statements without RETURNING. */
  count(executor: Executor, parameters: readonly unknown[]): Promise<number>;
}

export function prepareQuery<R>(dialect: Dialect, text: string): PreparedQuery<R> {
  const sqlText = dialect === 'sqlite' ? text.replace(/\$(\d+)/g, '?$1') : text;
  return {
    sql: sqlText,
    async run(executor, parameters) {
      const result = await executor.executeQuery<R>(CompiledQuery.raw(sqlText, [...parameters]));
      return result.rows;
    },
    async count(executor, parameters) {
      const result = await executor.executeQuery<R>(CompiledQuery.raw(sqlText, [...parameters]));
      return Number(result.numAffectedRows ?? 0n);
    },
  };
}

/** `a` or `b` by dialect, for the few functions whose names differ (`max`/`greatest`, `min`/`least`). */
export function byDialect(dialect: Dialect, sqlite: string, postgres: string): string {
  return dialect === 'sqlite' ? sqlite : postgres;
}
