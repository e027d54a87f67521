import { CompiledQuery } from 'kysely';
import type { Dialect } from './database.ts';
import type { Executor } from './repos/executor.ts';
import type { DirectSqlite } from './sqlite-driver.ts';

/** What a repo needs to prepare hot queries: the dialect, and on SQLite the connection's statements. */
export interface SqlContext {
  readonly dialect: Dialect;
  readonly direct?: DirectSqlite | undefined;
  /**
   * PostgreSQL: makes this text a named prepared statement on every connection (parsed and planned by the server
   * once per connection instead of on every execution; database.ts). Absent on SQLite, or when turned off.
   */
  readonly nameStatement?: ((text: string) => void) | undefined;
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

/**
 * `$1, $2, …` for SQLite: plain `?` when each appears once and in order, else `?1, ?2, …`. node:sqlite binds
 * positional values to numbered parameters in time quadratic in their number (it looks for the next unnamed one
 * for each value): a 500-row insert took 100 times longer with `?NNN` than with `?`.
 */
function sqliteParameters(text: string): string {
  const numbers = [...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
  return numbers.every((n, i) => n === i + 1) ? text.replace(/\$\d+/g, '?') : text.replace(/\$(\d+)/g, '?$1');
}

export function prepareQuery<R>(ctx: SqlContext, text: string): PreparedQuery<R> {
  const sqlText = ctx.dialect === 'sqlite' ? sqliteParameters(text) : text;
  ctx.nameStatement?.(sqlText);
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

/**
 * Many rows into one table with multi-row INSERTs written as SQL text (no query building per row), in statements
 * of power-of-two sizes, so that any number of rows needs at most a dozen distinct (prepared, reused) statements.
 * `suffix`: an `on conflict …` clause. Rows must all have the keys of the first (they are built in one place).
 */
export function prepareInsertMany(ctx: SqlContext, table: string, suffix = ''): { run(executor: Executor, rows: ReadonlyArray<Record<string, unknown>>): Promise<void> } {
  const queries = new Map<string, PreparedQuery<never>>();
  const maxParameters = ctx.dialect === 'sqlite' ? 32_766 : 65_535;
  function query(columns: readonly string[], size: number): PreparedQuery<never> {
    const key = `${columns.join(',')}|${size}`;
    let q = queries.get(key);
    if (q === undefined) {
      let n = 0;
      const values = Array.from({ length: size }, () => `(${columns.map(() => `$${++n}`).join(',')})`).join(',');
      q = prepareQuery<never>(ctx, `insert into ${table} (${columns.join(',')}) values ${values} ${suffix}`);
      queries.set(key, q);
    }
    return q;
  }
  return {
    async run(executor, rows) {
      if (rows.length === 0) return;
      const columns = Object.keys(rows[0]!);
      let largest = 1;
      while (largest * 2 * columns.length <= maxParameters && largest * 2 <= 512) largest *= 2;
      for (let from = 0; from < rows.length;) {
        let size = largest;
        while (size > rows.length - from) size /= 2;
        const part = rows.slice(from, from + size);
        const parameters: unknown[] = [];
        for (const row of part) for (const c of columns) parameters.push(row[c]);
        await query(columns, size).count(executor, parameters);
        from += size;
      }
    },
  };
}
