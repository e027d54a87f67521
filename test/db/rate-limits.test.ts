import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRateLimitsRepo, type RateLimitsRepo } from '../../src/db/repos/rate-limits-repo.ts';
import { openDatabase } from '../../src/db/database.ts';
import { openTestDatabase, testPostgresUrl, type TestDatabase } from '../helpers/database.ts';

describe('shared rate limits (token buckets in the database)', () => {
  let t: TestDatabase;
  let limits: RateLimitsRepo;
  before(async () => { t = await openTestDatabase(); limits = createRateLimitsRepo(t.db); });
  after(() => t.dropAll());

  test('a fresh bucket holds one second of permits; then one permit per interval', async () => {
    const first = await limits.reserve(t.db.kysely, 'a', 100, 20, 1_000_000);
    assert.equal(first.granted, 20, 'one second of a 20/s rate');
    const none = await limits.reserve(t.db.kysely, 'a', 5, 20, 1_000_000);
    assert.equal(none.granted, 0);
    assert.equal(none.nextFreeAt, 1_000_050, 'the next permit 50 ms later');
    assert.equal((await limits.reserve(t.db.kysely, 'a', 5, 20, 1_000_049)).granted, 0);
    assert.equal((await limits.reserve(t.db.kysely, 'a', 5, 20, 1_000_050)).granted, 1);
    assert.equal((await limits.reserve(t.db.kysely, 'a', 5, 20, 1_000_200)).granted, 3, '150 ms later: three more');
    assert.equal((await limits.reserve(t.db.kysely, 'a', 100, 20, 1_010_000)).granted, 20, 'idle for long: never more than a full bucket');
  });

  test('over any stretch of time, no more than the rate (plus the initial bucket) is granted, however the calls fall', async () => {
    let granted = 0;
    let now = 2_000_000;
    for (let i = 0; i < 500; i += 1) {
      now += (i * 7919) % 37; // irregular gaps of 0–36 ms
      granted += (await limits.reserve(t.db.kysely, 'b', 1 + (i % 4), 50, now)).granted;
    }
    const seconds = (now - 2_000_000) / 1000;
    assert.ok(granted <= 50 + 50 * seconds + 1, `granted ${granted} in ${seconds} s at 50/s`);
    assert.ok(granted >= 50 * seconds * 0.9, `and close to it: ${granted} in ${seconds} s`);
  });

  test('unused permits can be given back, unless someone reserved after', async () => {
    const mine = await limits.reserve(t.db.kysely, 'c', 10, 10, 3_000_000);
    assert.equal(mine.granted, 10);
    await limits.refund(t.db.kysely, 'c', mine, 4, 10);
    assert.equal((await limits.reserve(t.db.kysely, 'c', 10, 10, 3_000_000)).granted, 4, 'the four given back');
    const again = await limits.reserve(t.db.kysely, 'c', 10, 10, 3_000_000);
    assert.equal(again.granted, 0);
    const theirs = await limits.reserve(t.db.kysely, 'c', 1, 10, 3_000_500); // 500 ms later: five permits came back, one taken
    assert.equal(theirs.granted, 1);
    await limits.refund(t.db.kysely, 'c', mine, 4, 10); // stale: other reservations came after
    assert.equal((await limits.reserve(t.db.kysely, 'c', 10, 10, 3_000_500)).granted, 4, 'the four left, not eight: a stale refund gives nothing back');
  });

  test('two database connections (two instances) share one bucket', { skip: testPostgresUrl === undefined ? 'PostgreSQL only (TEST_DATABASE_URL)' : false }, async () => {
    const schema = (await t.db.kysely.selectNoFrom((eb) => eb.fn<string>('current_schema').as('s')).executeTakeFirstOrThrow()).s;
    const other = openDatabase({ kind: 'postgres', url: testPostgresUrl!, schema });
    try {
      const theirs = createRateLimitsRepo(other);
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? limits.reserve(t.db.kysely, 'd', 1, 20, 4_000_000) : theirs.reserve(other.kysely, 'd', 1, 20, 4_000_000))));
      assert.equal(results.reduce((sum, r) => sum + r.granted, 0), 20, 'one second of permits between them');
    } finally {
      await other.close();
    }
  });
});
