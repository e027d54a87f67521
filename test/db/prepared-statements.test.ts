import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type Transaction } from 'kysely';
import pg from 'pg';
import { maxNamedTextLength, openDatabase, type Db } from '../../src/db/database.ts';
import { prepareQuery } from '../../src/db/prepared.ts';
import type { Database } from '../../src/db/schema.ts';
import { openTestDatabase, testPostgresUrl, type TestDatabase } from '../helpers/database.ts';

const postgresOnly = { skip: testPostgresUrl === undefined ? 'PostgreSQL only (TEST_DATABASE_URL)' : false } as const;

/** What the connection of this transaction has prepared under a name, by statement text. */
async function preparedOnConnection(db: Db, run: (trx: Transaction<Database>) => Promise<unknown>): Promise<string[]> {
  return db.kysely.transaction().execute(async (trx) => {
    await run(trx);
    const rows = await sql<{ statement: string }>`select statement from pg_prepared_statements where name like 'mm\\_%'`.execute(trx);
    return rows.rows.map((r) => r.statement);
  });
}

describe('hot queries on PostgreSQL are named prepared statements (DATABASE_PREPARED_STATEMENTS)', () => {
  let t: TestDatabase;
  before(async () => { t = await openTestDatabase(); });
  after(() => t.dropAll());

  test('on SQLite there is nothing to name', { skip: testPostgresUrl !== undefined }, () => {
    assert.equal(t.db.nameStatement, undefined);
  });

  test('a hot query is prepared once under a name on its connection and answers as before; one whose result is `*`, or a very long one, is not', postgresOnly, async () => {
    const hot = prepareQuery<{ x: number }>(t.db, 'select $1::int + 1 as x');
    const star = prepareQuery<{ id: string }>(t.db, 'update projects set name = name where id = $1 returning *');
    // A multi-row insert's length: a parse tree too large to keep in every connection.
    const long = prepareQuery<{ n: number }>(t.db, `select ${Array.from({ length: 1_000 }, (_, i) => `$${i + 1}::int`).join(' + ')} as n`);
    assert.ok(long.sql.length > maxNamedTextLength);
    const statements = await preparedOnConnection(t.db, async (trx) => {
      assert.deepEqual(await hot.run(trx, [1]), [{ x: 2 }]);
      assert.deepEqual(await hot.run(trx, [41]), [{ x: 42 }]);
      assert.deepEqual(await star.run(trx, ['prj_none']), []);
      assert.deepEqual(await long.run(trx, Array.from({ length: 1_000 }, () => 1)), [{ n: 1_000 }]);
    });
    assert.deepEqual(statements, ['select $1::int + 1 as x']);
  });

  test('a statement that fails keeps its error, and the connection serves the next one, also one first sent into a failed transaction', postgresOnly, async () => {
    const divide = prepareQuery<{ x: number }>(t.db, 'select 10 / $1::int as x');
    const late = prepareQuery<{ x: number }>(t.db, 'select $1::int - 1 as x');
    await t.db.kysely.connection().execute(async (conn) => {
      await assert.rejects(conn.transaction().execute((trx) => divide.run(trx, [0])), /division by zero/);
      assert.deepEqual(await conn.transaction().execute((trx) => divide.run(trx, [5])), [{ x: 2 }]);
      // Its first Parse is refused (the transaction is aborted): the name must not count as prepared afterwards.
      await assert.rejects(conn.transaction().execute(async (trx) => {
        await divide.run(trx, [0]).catch(() => undefined);
        await late.run(trx, [1]);
      }), /current transaction is aborted/);
      assert.deepEqual(await conn.transaction().execute((trx) => late.run(trx, [1])), [{ x: 0 }]);
    });
  });

  test('with DATABASE_PREPARED_STATEMENTS=false nothing is prepared under a name (a pooler that cannot keep them)', postgresOnly, async () => {
    const schema = `t_np_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: testPostgresUrl });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    const db = openDatabase({ kind: 'postgres', url: testPostgresUrl!, schema, preparedStatements: false });
    try {
      assert.equal(db.nameStatement, undefined);
      const hot = prepareQuery<{ x: number }>(db, 'select $1::int * 2 as x');
      const statements = await preparedOnConnection(db, async (trx) => {
        assert.deepEqual(await hot.run(trx, [21]), [{ x: 42 }]);
      });
      assert.deepEqual(statements, []);
    } finally {
      await db.close();
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    }
  });
});
