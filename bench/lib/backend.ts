/**
 * Where a benchmarked service keeps its data: SQLite in its `DATA_DIR` (the default), or a PostgreSQL database
 * created for the run (`--db postgres`; the server from `BENCH_DATABASE_URL`, default the local one) and dropped
 * after it. Both come with an inspector that reads what the service wrote (SELECTs only; `?` placeholders).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { openInspector } from './db.ts';

export type BackendKind = 'sqlite' | 'postgres';

export interface AsyncInspector {
  all<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T[]>;
  one<T = Record<string, unknown>>(sql: string, ...params: unknown[]): Promise<T>;
  /** `select count(*) …` shortcut. */
  count(sql: string, ...params: unknown[]): Promise<number>;
  close(): Promise<void>;
}

export interface Backend {
  readonly kind: BackendKind;
  /** Settings for every service process of the run (with DATA_DIR, which each process gets on its own). */
  readonly env: Record<string, string>;
  /** The DATA_DIR of service process `i` (on SQLite there is one, holding the database). */
  dataDir(i: number): string;
  inspector(): Promise<AsyncInspector>;
  remove(): Promise<void>;
}

const serverUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function onlySelects(sql: string): void {
  if (!/^\s*(select|with)\b/i.test(sql)) throw new Error('the inspector only reads');
}

export async function createBackend(kind: BackendKind, dataDir: string): Promise<Backend> {
  if (kind === 'sqlite') {
    return {
      kind, env: {},
      dataDir: () => dataDir,
      async inspector() {
        const sync = openInspector(dataDir);
        return {
          all: async <T>(sql: string, ...params: unknown[]) => sync.all<T>(sql, ...(params as Array<string | number | null>)),
          one: async <T>(sql: string, ...params: unknown[]) => sync.one<T>(sql, ...(params as Array<string | number | null>)),
          count: async (sql: string, ...params: unknown[]) => sync.count(sql, ...(params as Array<string | number | null>)),
          close: async () => sync.close(),
        };
      },
      async remove() {},
    };
  }
  const name = `mm_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  return {
    kind,
    env: { DATABASE_URL: databaseUrl, MASTER_KEY: randomBytes(32).toString('base64') },
    dataDir: (i) => path.join(dataDir, `instance-${i}`),
    async inspector() {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      const all = async <T>(sql: string, ...params: unknown[]): Promise<T[]> => {
        onlySelects(sql);
        let n = 0;
        return (await client.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows as T[];
      };
      return {
        all,
        async one<T>(sql: string, ...params: unknown[]) {
          const rows = await all<T>(sql, ...params);
          if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}: ${sql}`);
          return rows[0]!;
        },
        async count(sql: string, ...params: unknown[]) {
          const row = (await all<Record<string, unknown>>(sql, ...params))[0];
          return Number(row === undefined ? 0 : Object.values(row)[0]);
        },
        close: () => client.end(),
      };
    },
    async remove() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
