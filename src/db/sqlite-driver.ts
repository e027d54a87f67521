import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Prepared statements on the one connection, for the hot queries of units of work (see db/prepared.ts). */
export interface DirectSqlite {
  statement(sql: string): SqliteStatement;
}

/**
 * Adapts Node's built-in `node:sqlite` to the small better-sqlite3-shaped interface Kysely's SQLite dialect
 * drives, so the embedded database needs no native build; `direct` hands out the same cached statements.
 */
export function openSqlite(file: string): { database: SqliteDatabase; direct: DirectSqlite } {
  const db = new DatabaseSync(file, { timeout: 5000 });
  db.exec('PRAGMA journal_mode = WAL');
  // FULL: a commit is on disk before it returns, so a 202 or a 200 survives power loss, not only a crash of the
  // process (NORMAL in WAL mode can lose the last commits). Group commit (transact.ts) keeps the fsyncs few.
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA foreign_keys = ON');
  // 64 MiB of page cache (SQLite's default is 2 MiB): the hot rows and index pages stay in memory instead of being
  // read back through the operating system on every statement.
  db.exec('PRAGMA cache_size = -65536');
  // Preparing is a large part of a small query's cost; the service issues the same few hundred SQL texts over and
  // over, so statements are prepared once and reused (one connection, queries run one at a time).
  const cache = new Map<string, SqliteStatement>();
  function prepare(sql: string): SqliteStatement {
    const cached = cache.get(sql);
    if (cached !== undefined) return cached;
    const statement = db.prepare(sql);
    const reader = statement.columns().length > 0;
    const prepared: SqliteStatement = {
      reader,
      // node:sqlite rows have a null prototype; hand the rest of the code ordinary objects.
      all: (parameters) => statement.all(...(parameters as SQLInputValue[])).map((row) => ({ ...row })),
      run: (parameters) => statement.run(...(parameters as SQLInputValue[])),
      iterate: (parameters) => statement.iterate(...(parameters as SQLInputValue[])),
    };
    if (cache.size < 2000) cache.set(sql, prepared);
    return prepared;
  }
  return { database: { close: () => db.close(), prepare }, direct: { statement: prepare } };
}
