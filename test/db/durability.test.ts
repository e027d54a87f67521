import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openSqlite } from '../../src/db/sqlite-driver.ts';
import { createWalSync } from '../../src/db/wal-sync.ts';

/**
 * SQLite commits append to the log without waiting for the disk; answers wait for an fsync of the log that
 * started after their commit (db/wal-sync.ts). What decides whether a wait is needed is the commit counter.
 */
describe('durable commits on SQLite', () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mm-durable-'));
    file = path.join(dir, 'd.db');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('every commit counts, and every write outside a transaction; nothing inside one until its commit', () => {
    const { database, committed } = openSqlite(file);
    try {
      database.prepare('create table t (n integer)').run([]);
      const before = committed();
      database.prepare('insert into t (n) values (?)').run([1]);
      assert.equal(committed(), before + 1, 'an autocommit write is a commit');
      database.prepare('select n from t').all([]);
      assert.equal(committed(), before + 1, 'a read is not');
      database.prepare('begin').run([]);
      database.prepare('insert into t (n) values (?)').run([2]);
      database.prepare('update t set n = n + 1').run([]);
      assert.equal(committed(), before + 1, 'writes inside a transaction wait for its commit');
      database.prepare('commit').run([]);
      assert.equal(committed(), before + 2);
    } finally {
      database.close();
    }
  });

  test('waiting for the disk: at once when nothing was committed since the last fsync, else after one that started later', async () => {
    const { database, committed } = openSqlite(file);
    try {
      const sync = createWalSync(`${file}-wal`, committed);
      database.prepare('insert into t (n) values (?)').run([10]);
      assert.ok(statSync(`${file}-wal`).size > 0, 'the write is in the log');
      // Concurrent waiters share fsyncs; all of them resolve.
      await Promise.all([sync(), sync(), sync()]);
      let settled = false;
      const idle = sync().then(() => { settled = true; });
      await Promise.resolve();
      assert.equal(settled, true, 'nothing new: no fsync to wait for');
      await idle;
      // Commits while an fsync runs are covered by the next one, which every later waiter shares.
      database.prepare('insert into t (n) values (?)').run([11]);
      const first = sync();
      database.prepare('insert into t (n) values (?)').run([12]);
      const second = sync();
      const third = sync();
      await Promise.all([first, second, third]);
    } finally {
      database.close();
    }
  });

  test('the log stays open between fsyncs, through a checkpoint that empties it, and is closed with the database', async () => {
    const { database, committed } = openSqlite(file);
    const walFile = `${file}-wal`;
    const openOnLog = (): number => readdirSync('/proc/self/fd').filter((fd) => {
      try { return readlinkSync(`/proc/self/fd/${fd}`) === walFile; } catch { return false; }
    }).length;
    const sqliteOwn = openOnLog();
    const sync = createWalSync(walFile, committed);
    try {
      database.prepare('insert into t (n) values (?)').run([20]);
      await sync();
      assert.equal(openOnLog(), sqliteOwn + 1, 'one handle of our own, kept after the fsync');
      database.prepare('pragma wal_checkpoint(truncate)').all([]);
      assert.equal(statSync(walFile).size, 0, 'the checkpoint emptied the log in place');
      database.prepare('insert into t (n) values (?)').run([21]);
      assert.ok(statSync(walFile).size > 0);
      await sync();
      assert.equal(openOnLog(), sqliteOwn + 1, 'still the same one handle');
    } finally {
      await sync.close();
      database.close();
    }
    assert.equal(openOnLog(), 0, 'nothing left open on the log');
  });

  test('a log that cannot be synced fails the waiters (their answers become errors, not false promises)', async () => {
    let commits = 1;
    const sync = createWalSync(path.join(dir, 'no-such-dir', 'x.db-wal'), () => commits);
    await assert.rejects(sync(), /ENOENT/);
    commits = 2;
    await assert.rejects(sync(), /ENOENT/);
  });
});
