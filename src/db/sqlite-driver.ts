import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Prepared statements on the one connection, for the hot queries of units of work (see db/prepared.ts). */
export interface DirectSqlite {
  statement(sql: string): SqliteStatement;
}

/** How many write transactions this connection has committed so far (autocommit writes included). */
export type CommitCounter = () => number;

/**
 * Adapts Node's built-in `node:sqlite` to the small better-sqlite3-shaped interface Kysely's SQLite dialect
 * drives, so the embedded database needs no native build; `direct` hands out the same cached statements.
 */
export function openSqlite(file: string): { database: SqliteDatabase; direct: DirectSqlite; committed: CommitCounter } {
  const db = new DatabaseSync(file, { timeout: 5000 });
  db.exec('PRAGMA journal_mode = WAL');
  // NORMAL: a commit appends to the log without waiting for the disk; units of work (transact.ts) are answered
  // only after the log is fsynced (wal-sync.ts), off the event loop: as durable as FULL for everything answered.
  // Statements outside units of work (schema, the odd housekeeping write) rely on SQLite's own syncs.
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA foreign_keys = ON');
  // 16 MiB of page cache (SQLite's default is 2 MiB): the hot rows and index pages stay in memory instead of being
  // read back through the operating system on every statement. 64 MiB measured no faster (send, ingest, campaign
  // fan-out) and cost 40 MB of resident memory in a million-recipient campaign (BENCHMARKS.md).
  db.exec('PRAGMA cache_size = -16384');
  // Preparing is a large part of a small query's cost; the service issues the same few hundred SQL texts over and
  // over, so statements are prepared once and reused (one connection, queries run one at a time).
  const cache = new Map<string, SqliteStatement>();
  // Commits, counted so that wal-sync.ts knows whether anything was written since the last fsync: every COMMIT,
  // and every write statement run outside a transaction (it commits by itself).
  let commits = 0;
  function prepare(sql: string): SqliteStatement {
    const cached = cache.get(sql);
    if (cached !== undefined) return cached;
    const statement = db.prepare(sql);
    const reader = statement.columns().length > 0;
    const commits1 = /^\s*(commit|end)\b/i.test(sql);
    const writes = /^\s*(insert|update|delete|replace)\b/i.test(sql);
    const counted = <T>(result: T): T => {
      if (commits1 || (writes && !db.isTransaction)) commits += 1;
      return result;
    };
    const prepared: SqliteStatement = {
      reader,
      // node:sqlite rows have a null prototype; hand the rest of the code ordinary objects.
      all: (parameters) => counted(statement.all(...(parameters as SQLInputValue[])).map((row) => ({ ...row }))),
      run: (parameters) => counted(statement.run(...(parameters as SQLInputValue[]))),
      iterate: (parameters) => statement.iterate(...(parameters as SQLInputValue[])),
    };
    if (cache.size < 2000) cache.set(sql, prepared);
    return prepared;
  }
  return { database: { close: () => db.close(), prepare }, direct: { statement: prepare }, committed: () => commits };
}
