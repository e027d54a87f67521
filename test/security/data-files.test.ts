/**
 * The SQLite database, its -wal and -shm files and the generated keys are readable by the service's user only
 * (0600) in a folder only it may enter (0700): on a fresh start under a permissive umask, and an existing install
 * with looser modes is tightened at start. Runs the real service (`node src/main.ts`); SQLite only by nature.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { startService, tempDir } from '../../bench/lib/proc.ts';

const mode = (file: string) => (statSync(file).mode & 0o777).toString(8).padStart(4, '0');

test('data folder 0700; database, -wal, -shm, master key and admin token 0600; looser existing ones are tightened at start', async () => {
  const previous = process.umask(0o022); // the usual umask: files 0644, folders 0755 unless the service says otherwise
  const root = tempDir('mm-perm-');
  const dataDir = path.join(root.dir, 'data');
  const files = ['mobile-messaging.db', 'mobile-messaging.db-wal', 'mobile-messaging.db-shm', 'master.key', 'admin-token'].map((f) => path.join(dataDir, f));
  try {
    // The generated admin token too: ADMIN_TOKEN empty means unset.
    let service = await startService({ dataDir, adminToken: '', sinchUrl: 'http://127.0.0.1:9' });
    try {
      assert.equal(mode(dataDir), '0700');
      for (const file of files) {
        assert.ok(existsSync(file), `${path.basename(file)} exists`);
        assert.equal(mode(file), '0600', path.basename(file));
      }
    } finally {
      await service.stop();
    }

    // An install made before: a 0755 folder with 0644 files.
    chmodSync(dataDir, 0o755);
    for (const file of files) if (existsSync(file)) chmodSync(file, 0o644);
    service = await startService({ dataDir, adminToken: '', sinchUrl: 'http://127.0.0.1:9' });
    try {
      assert.equal(mode(dataDir), '0700', 'the folder is tightened');
      for (const file of files) assert.equal(mode(file), '0600', `${path.basename(file)} is tightened`);
    } finally {
      await service.stop();
    }
  } finally {
    process.umask(previous);
    root.remove();
  }
});
