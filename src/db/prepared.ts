import { CompiledQuery } from 'kysely';
import type { Dialect } from './database.ts';
import type { Executor } from './repos/executor.ts';
import type { DirectSqlite } from './sqlite-driver.ts';

/** What a repo needs to prepare hot queries: the dialect, and on SQLite the connection's statements. */
export interface SqlContext {
  readonly dialect: Dialect;
  readonly direct?: DirectSqlite | undefined;
}

/**
 * A hot query written once as SQL text and run many times with new parameters: no query building or compiling
 * per call (Kysely's builder was 20% of the service's CPU on the hot paths, BENCHMARKS.md). Parameters are
 * written `$1`, `$2`, … (PostgreSQL's form); for SQLite they become `?1`, `?2`, …, which bind by the same
 * position. On SQLite the driver also keeps the prepared statement (sqlite-driver.ts), and inside a transaction
 * (a unit of work, db/transact.ts) the statement runs on it directly: the transaction holds the one connection,
 * so nothing else can interleave, and Kysely's per-query machinery (a connection hand-over and several promise
 * hops) is skipped. Outside a transaction the query goes through Kysely, which serialises it with transactions.
 */
export interface PreparedQuery<R> {
  readonly sql: string;
  run(executor: Executor, parameters: readonly unknown[]): Promise<R[]>;
  /** Rows changed, for statements without RETURNING. */
  count(executor: Executor, parameters: readonly unknown[]): Promise<number>;
}

export function prepareQuery<R>(ctx: SqlContext, text: string): PreparedQuery<R> {
  const sqlText = ctx.dialect === 'sqlite' ? text.replace(/\$(\d+)/g, '?$1') : text;
  const direct = ctx.direct;
  return {
    sql: sqlText,
    async run(executor, parameters) {
      if (direct !== undefined && executor.isTransaction) {
        const statement = direct.statement(sqlText);
        if (statement.reader) return statement.all(parameters) as R[];
        statement.run(parameters);
        return [];
      }
      const result = await executor.executeQuery<R>(CompiledQuery.raw(sqlText, [...parameters]));
      return result.rows;
    },
    async count(executor, parameters) {
      if (direct !== undefined && executor.isTransaction) {
        const statement = direct.statement(sqlText);
        return statement.reader ? statement.all(parameters).length : Number(statement.run(parameters).changes);
      }
      const result = await executor.executeQuery<R>(CompiledQuery.raw(sqlText, [...parameters]));
      return Number(result.numAffectedRows ?? 0n);
    },
  };
}

/** `a` or `b` by dialect, for the few functions whose names differ (`max`/`greatest`, `min`/`least`). */
export function byDialect(dialect: Dialect, sqlite: string, postgres: string): string {
  return dialect === 'sqlite' ? sqlite : postgres;
}
