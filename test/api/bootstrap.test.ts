import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureAdminToken, loadMasterKeys } from '../../src/bootstrap.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createInstanceRepo } from '../../src/db/repos/instance-repo.ts';
import { hashToken } from '../../src/lib/secret-box.ts';
import { openTestDatabase } from '../helpers/database.ts';

function configFor(dir: string, env: Record<string, string> = {}) {
  const r = loadConfig({ DATA_DIR: dir, ...env });
  if (!r.ok) throw new Error(r.problems.join());
  return r.config;
}

test('first start generates the master key and the admin token into the data dir with mode 0600; later starts reuse them', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mm-boot-'));
  const t = await openTestDatabase();
  try {
    const config = configFor(dir);
    const first = loadMasterKeys(config);
    assert.equal(first.generatedAt, path.join(dir, 'master.key'));
    assert.equal(statSync(path.join(dir, 'master.key')).mode & 0o777, 0o600);
    assert.deepEqual(loadMasterKeys(config), { keys: first.keys }, 'the same key on the next start');

    const instance = createInstanceRepo(t.db.kysely);
    const admin = await ensureAdminToken(config, instance);
    assert.equal(admin.source.kind, 'generated');
    if (admin.source.kind !== 'generated') return;
    const file = path.join(dir, 'admin-token');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file, 'utf8').trim(), admin.source.token);
    assert.equal(admin.hash, hashToken(admin.source.token));
    assert.equal(await instance.get('admin_token_hash'), admin.hash, 'only the hash is stored');
    const again = await ensureAdminToken(config, instance);
    assert.deepEqual(again, { hash: admin.hash, source: { kind: 'file', file } }, 'not generated (or printed) twice');
    const viaEnv = await ensureAdminToken(configFor(dir, { ADMIN_TOKEN: 'x'.repeat(32) }), instance);
    assert.deepEqual(viaEnv, { hash: hashToken('x'.repeat(32)), source: { kind: 'env' } });
  } finally {
    await t.dropAll();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('MASTER_KEY from the environment is used as given and nothing is written', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mm-boot-'));
  try {
    const key = Buffer.alloc(32, 3).toString('base64');
    assert.deepEqual(loadMasterKeys(configFor(dir, { MASTER_KEY: key })), { keys: [key] });
    assert.throws(() => statSync(path.join(dir, 'master.key')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
