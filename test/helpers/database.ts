import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase, type Db } from '../../src/db/database.ts';

/** The PostgreSQL server tests use when TEST_DATABASE_URL is set (CI sets it); otherwise SQLite in a temp dir. */
export const testPostgresUrl: string | undefined = process.env.TEST_DATABASE_URL;

export interface TestDatabase {
  db: Db;
  /** The SQLite file, when the backend is SQLite. */
  file: string | undefined;
  dropAll(): Promise<void>;
}

/** A fresh, migrated database: a temp SQLite file, or a new schema in the test PostgreSQL. */
export async function openTestDatabase(): Promise<TestDatabase> {
  if (testPostgresUrl !== undefined) {
    const schema = `t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    const admin = new pg.Client({ connectionString: testPostgresUrl });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    const db = openDatabase({ kind: 'postgres', url: testPostgresUrl, schema });
    await db.migrate();
    return {
      db,
      file: undefined,
      async dropAll() {
        await db.close();
        const c = new pg.Client({ connectionString: testPostgresUrl });
        await c.connect();
        await c.query(`drop schema ${schema} cascade`);
        await c.end();
      },
    };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'mm-test-'));
  const file = path.join(dir, 'test.db');
  const db = openDatabase({ kind: 'sqlite', file });
  await db.migrate();
  return {
    db,
    file,
    async dropAll() {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
