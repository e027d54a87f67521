import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createJobsRepo, type JobsRepo } from '../../src/db/repos/jobs-repo.ts';
import { openTestDatabase, testPostgresUrl, type TestDatabase } from '../helpers/database.ts';

describe('transact (group commit on SQLite, a transaction per unit on PostgreSQL)', () => {
  let t: TestDatabase;
  let q: JobsRepo;
  before(async () => { t = await openTestDatabase(); q = createJobsRepo(t.db.kysely, t.db.dialect); });
  after(() => t.dropAll());

  const keysOf = async (prefix: string) => (await t.db.kysely.selectFrom('jobs').select('key').where('key', 'like', `${prefix}%`).execute())
    .map((r) => r.key).sort();

  test('a unit that throws is rolled back alone; its caller gets its error, the others commit (each run once more, alone)', async () => {
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => t.db.transact(async (trx) => {
      await q.enqueue(trx, { kind: 'x', key: `iso:${i}`, payload: { i } }, 1000);
      if (i === 2 || i === 4) throw new Error(`unit ${i} failed`);
      return i * 10;
    })));
    assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
      [0, 10, 'unit 2 failed', 30, 'unit 4 failed', 50]);
    assert.deepEqual(await keysOf('iso:'), ['iso:0', 'iso:1', 'iso:3', 'iso:5']);
  });

  test('a unique violation inside a unit reaches its caller as that error, and the unit leaves nothing behind', async () => {
    await t.db.transact((trx) => q.enqueue(trx, { kind: 'x', key: 'uv:taken', payload: {} }, 1000));
    const results = await Promise.allSettled([
      t.db.transact(async (trx) => {
        await trx.insertInto('jobs').values({
          id: 'job_dup_1', kind: 'x', key: 'uv:other', payload: '{}', run_at: 1, attempts: 0, max_attempts: 1, locked_by: null,
          locked_until: null, last_error: null, dead: 0, created_at: new Date(0).toISOString(),
        }).execute();
        await trx.insertInto('jobs').values({
          id: 'job_dup_2', kind: 'x', key: 'uv:taken', payload: '{}', run_at: 1, attempts: 0, max_attempts: 1, locked_by: null,
          locked_until: null, last_error: null, dead: 0, created_at: new Date(0).toISOString(),
        }).execute();
      }),
      t.db.transact((trx) => q.enqueue(trx, { kind: 'x', key: 'uv:fine', payload: {} }, 1000)),
    ]);
    assert.equal(results[0].status, 'rejected');
    assert.match(String((results[0]).reason), /unique|UNIQUE/);
    assert.equal(results[1].status, 'fulfilled');
    assert.deepEqual(await keysOf('uv:'), ['uv:fine', 'uv:taken']);
  });

  test('on SQLite, units that arrive together commit together in one transaction: nobody hears "done" before the last of them ran', { skip: testPostgresUrl !== undefined }, async () => {
    const log: string[] = [];
    await Promise.all(Array.from({ length: 5 }, (_, i) => t.db.transact(async (trx) => {
      log.push(`work ${i}`);
      await q.enqueue(trx, { kind: 'x', key: `grp:${i}`, payload: {} }, 1000);
    }).then(() => { log.push(`done ${i}`); })));
    assert.deepEqual(log, ['work 0', 'work 1', 'work 2', 'work 3', 'work 4', 'done 0', 'done 1', 'done 2', 'done 3', 'done 4']);
    assert.equal((await keysOf('grp:')).length, 5);
  });
});
