import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * Adapts Node's built-in `node:sqlite` to the small better-sqlite3-shaped interface Kysely's SQLite dialect
 * drives, so the embedded database needs no native build.
 */
export function openSqlite(file: string): SqliteDatabase {
  const db = new DatabaseSync(file, { timeout: 5000 });
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA foreign_keys = ON');
  const checkpointer = file === ':memory:' ? undefined : startCheckpointer(db, file);
  // Preparing is a large part of a small query's cost; the service issues the same few hundred SQL texts over and
  // over, so statements are prepared once and reused (one connection, queries run one at a time).
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => {
      void checkpointer?.terminate();
      db.close(); // the last connection to close checkpoints the rest of the WAL
    },
    prepare(sql: string): SqliteStatement {
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
    },
  };
}

/**
 * A WAL checkpoint copies committed pages back into the database file and syncs it. Left automatic, it runs
 * inside whichever commit crosses 1,000 WAL pages, on the event loop (about half of a commit's cost, measured in
 * BENCHMARKS.md). Instead this connection never checkpoints, and a thread with its own connection takes passive
 * checkpoints (which never block the writer) twice a second, on the other core.
 */
function startCheckpointer(db: DatabaseSync, file: string): Worker {
  db.exec('PRAGMA wal_autocheckpoint = 0');
  const worker = new Worker(`
    const { DatabaseSync } = require('node:sqlite');
    const { workerData } = require('node:worker_threads');
    const db = new DatabaseSync(workerData.file, { timeout: 1000 });
    const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
    setInterval(() => { try { checkpoint.all(); } catch { /* busy or closing: the next round catches up */ } }, 500);
  `, { eval: true, workerData: { file } });
  worker.unref();
  return worker;
}
