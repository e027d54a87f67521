import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createJobsRepo, type JobResult, type JobsRepo } from '../../src/db/repos/jobs-repo.ts';
import { createWorker } from '../../src/jobs/worker.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { until } from '../helpers/wait.ts';

const silent = { error: () => undefined, warn: () => undefined };

describe('job queue', () => {
  let t: TestDatabase;
  let q: JobsRepo;
  before(async () => { t = await openTestDatabase(); q = createJobsRepo(t.db.kysely, t.db.dialect); });
  after(() => t.dropAll());

  test('a key admits one live job; claiming respects run_at and leases', async () => {
    assert.equal(await q.enqueue(t.db.kysely, { kind: 'a', payload: { n: 1 }, key: 'k1' }, 1000), true);
    assert.equal(await q.enqueue(t.db.kysely, { kind: 'a', payload: { n: 2 }, key: 'k1' }, 1000), false);
    await q.enqueue(t.db.kysely, { kind: 'a', payload: { n: 3 }, runAt: 5000 }, 1000);
    const first = await q.claim('w1', ['a'], 10, 100, 1000);
    assert.deepEqual(first.map((j) => j.payload), [{ n: 1 }]);
    assert.equal(first[0]!.attempt, 1);
    assert.deepEqual(await q.claim('w2', ['a'], 10, 100, 1050), [], 'leased and not yet due');
    const reclaimed = await q.claim('w2', ['a'], 10, 100, 1100);
    assert.equal(reclaimed.length, 1, 'an expired lease is claimed again');
    assert.equal(reclaimed[0]!.attempt, 2);
    assert.equal(await q.complete(t.db.kysely, reclaimed[0]!.id, 'w2'), true);
    assert.equal(await q.enqueue(t.db.kysely, { kind: 'a', payload: { n: 4 }, key: 'k1' }, 1200), true, 'key free after completion');
    const later = await q.claim('w1', ['a'], 10, 100, 5000);
    assert.deepEqual(later.map((j) => j.payload).sort((x: any, y: any) => x.n - y.n), [{ n: 3 }, { n: 4 }]);
    for (const j of later) await q.complete(t.db.kysely, j.id, 'w1');
  });

  test('concurrent claimers never get the same job', async () => {
    for (let i = 0; i < 60; i++) await q.enqueue(t.db.kysely, { kind: 'c', payload: i }, 10_000);
    const batches = await Promise.all([1, 2, 3, 4].map((w) => q.claim(`w${w}`, ['c'], 20, 1000, 10_000)));
    const ids = batches.flat().map((j) => j.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(ids.length, 60);
    for (const [w, batch] of batches.entries()) for (const j of batch) await q.complete(t.db.kysely, j.id, `w${w + 1}`);
  });

  test('worker: done, retry then done, bury, and a throwing handler retried', async () => {
    let clock = 100_000;
    const seen: string[] = [];
    const results: Record<string, JobResult[]> = {
      ok: [{ kind: 'done' }],
      flaky: [{ kind: 'retry', delayMs: 0, error: 'try again' }, { kind: 'done' }],
      hopeless: [{ kind: 'bury', error: 'never' }],
    };
    let thrown = 0;
    const worker = createWorker({
      queue: q,
      handlers: {
        w: async (job) => {
          const name = job.payload as string;
          seen.push(`${name}#${job.attempt}`);
          if (name === 'boom' && thrown++ === 0) throw new Error('bug');
          return results[name]?.shift() ?? { kind: 'done' };
        },
      },
      concurrency: 4, pollMs: 5, leaseMs: 10_000, crashBackoff: { baseMs: 1, capMs: 1 }, now: () => clock, log: silent,
    });
    for (const name of ['ok', 'flaky', 'hopeless', 'boom']) await q.enqueue(t.db.kysely, { kind: 'w', payload: name }, clock);
    worker.start();
    await until(async () => {
      clock += 10;
      const c = await q.counts();
      return c.ready === 0 && c.dead === 1;
    }, 'every job done or buried', undefined, 10);
    await worker.stop();
    assert.deepEqual(seen.sort(), ['boom#1', 'boom#2', 'flaky#1', 'flaky#2', 'hopeless#1', 'ok#1']);
    assert.deepEqual(await q.counts(), { ready: 0, dead: 1 });
  });
  test('a running job keeps its lease: another worker never takes over a job whose handler outlives the lease', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => { release = resolve; });
    let runs = 0;
    const leaseMs = 1500;
    const worker = createWorker({
      queue: q, handlers: { slow: async () => { runs += 1; await held; return { kind: 'done' }; } },
      concurrency: 2, pollMs: 5, leaseMs, crashBackoff: { baseMs: 1, capMs: 1 }, now: () => Date.now(), log: silent,
    });
    await q.enqueue(t.db.kysely, { kind: 'slow', payload: null }, Date.now());
    worker.start();
    await until(() => runs > 0, 'the slow job to start');
    const lease = async (kind: string) => Number((await t.db.kysely.selectFrom('jobs').select('locked_until').where('kind', '=', kind).executeTakeFirstOrThrow()).locked_until);
    const firstLease = await lease('slow');
    // A job this worker holds but no longer runs (its result could not be recorded) must not be kept alive.
    const holder = (await t.db.kysely.selectFrom('jobs').select('locked_by').where('kind', '=', 'slow').executeTakeFirstOrThrow()).locked_by;
    await q.enqueue(t.db.kysely, { kind: 'orphaned', payload: null }, Date.now());
    const orphanUntil = Date.now() + leaseMs;
    await t.db.kysely.updateTable('jobs').set({ locked_by: holder, locked_until: orphanUntil }).where('kind', '=', 'orphaned').execute();
    // Past the end of both first leases, at a moment `at` when the running job's lease is still ahead: it was renewed.
    let at = 0;
    await until(async () => {
      at = Date.now();
      return at > Math.max(firstLease, orphanUntil) && await lease('slow') > at;
    }, 'both first leases to end and the running job\'s lease to be renewed past them');
    assert.deepEqual(await q.claim('intruder', ['slow'], 10, leaseMs, at), [], 'the lease was renewed while the job ran');
    assert.equal(await lease('orphaned'), orphanUntil, 'a job the worker does not run is not renewed');
    const orphan = await q.claim('intruder', ['orphaned'], 10, leaseMs, at);
    assert.equal(orphan.length, 1, 'its lease ran out: another worker takes it');
    await q.complete(t.db.kysely, orphan[0]!.id, 'intruder');
    release();
    await worker.stop();
    assert.equal(runs, 1);
    assert.deepEqual(await t.db.kysely.selectFrom('jobs').select('id').where('kind', '=', 'slow').execute(), [], 'done and gone');
  });

  test('a worker refuses a lease that is not a positive number of ms (a NaN lease would let claims take running jobs)', () => {
    const base = { queue: q, handlers: {}, concurrency: 1, pollMs: 5, crashBackoff: { baseMs: 1, capMs: 1 }, now: () => 0, log: silent };
    assert.throws(() => createWorker({ ...base, leaseMs: undefined as unknown as number }), /leaseMs must be an integer/);
    assert.throws(() => createWorker({ ...base, leaseMs: Number.NaN }), /leaseMs must be an integer/);
    assert.doesNotThrow(() => createWorker({ ...base, leaseMs: 1000 }));
  });

  test('a job whose worker died is claimed again once its lease runs out', async () => {
    await q.enqueue(t.db.kysely, { kind: 'orphan', payload: null }, 1000);
    assert.equal((await q.claim('dead-worker', ['orphan'], 10, 500, 1000)).length, 1);
    assert.deepEqual(await q.claim('survivor', ['orphan'], 10, 500, 1400), []);
    const again = await q.claim('survivor', ['orphan'], 10, 500, 1500);
    assert.equal(again.length, 1);
    assert.equal(again[0]!.attempt, 2);
    await q.complete(t.db.kysely, again[0]!.id, 'survivor');
  });

  test('a worker that lost its lease cannot complete, retry or bury the job: the worker holding it now decides', async () => {
    await q.enqueue(t.db.kysely, { kind: 'contested', payload: null }, 1000);
    const [mine] = await q.claim('slow-worker', ['contested'], 1, 500, 1000);
    assert.ok(mine !== undefined);
    const [theirs] = await q.claim('other-worker', ['contested'], 1, 500, 1600); // the first lease ran out
    assert.equal(theirs?.id, mine.id);
    assert.equal(await q.complete(t.db.kysely, mine.id, 'slow-worker'), false, 'complete refused');
    assert.equal(await q.bury(mine.id, 'slow-worker', 'gave up'), false, 'bury refused');
    assert.equal(await q.retryLater(mine.id, 'slow-worker', 9_999_999, 'later'), false, 'retry refused');
    const row = await t.db.kysely.selectFrom('jobs').selectAll().where('id', '=', mine.id).executeTakeFirstOrThrow();
    assert.deepEqual({ locked_by: row.locked_by, dead: Number(row.dead), run_at: Number(row.run_at) }, { locked_by: 'other-worker', dead: 0, run_at: 1000 });
    assert.equal(await q.complete(t.db.kysely, mine.id, 'other-worker'), true);
  });
});
