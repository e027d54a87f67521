/**
 * Read-only look into a running service's SQLite database (WAL: readers never block its writer), for counting
 * what is done and checking effects. Only SELECTs go through here.
 */
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import path from 'node:path';

export interface Inspector {
  all<T = Record<string, unknown>>(sql: string, ...params: SQLInputValue[]): T[];
  one<T = Record<string, unknown>>(sql: string, ...params: SQLInputValue[]): T;
  /** `select count(*) …` shortcut. */
  count(sql: string, ...params: SQLInputValue[]): number;
  close(): void;
}

/**
 * `readOnly`: for looking at the files a killed process left, so that the service, not this connection, is the
 * one that recovers the WAL when it starts again (a read-write connection would checkpoint and remove it on close).
 */
export function openInspector(dataDir: string, options: { readOnly?: boolean } = {}): Inspector {
  const db = new DatabaseSync(path.join(dataDir, 'mobile-messaging.db'), { timeout: 5_000, readOnly: options.readOnly === true });
  const all = <T>(sql: string, ...params: SQLInputValue[]): T[] => {
    if (!/^\s*(select|with)\b/i.test(sql)) throw new Error('the inspector only reads');
    return db.prepare(sql).all(...params) as T[];
  };
  return {
    all,
    one<T>(sql: string, ...params: SQLInputValue[]): T {
      const rows = all<T>(sql, ...params);
      if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}: ${sql}`);
      return rows[0]!;
    },
    count(sql: string, ...params: SQLInputValue[]): number {
      const row = all<Record<string, unknown>>(sql, ...params)[0];
      return Number(row === undefined ? 0 : Object.values(row)[0]);
    },
    close: () => db.close(),
  };
}
