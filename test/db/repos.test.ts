import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { createInstanceRepo } from '../../src/db/repos/instance-repo.ts';
import { createIntegrationsRepo } from '../../src/db/repos/integrations-repo.ts';
import { createProjectsRepo } from '../../src/db/repos/projects-repo.ts';
import { createSettingsRepo } from '../../src/db/repos/settings-repo.ts';
import { createTokensRepo } from '../../src/db/repos/tokens-repo.ts';
import { openTestDatabase, testPostgresUrl, type TestDatabase } from '../helpers/database.ts';
import { integrationRow as integrationRowAt } from '../helpers/rows.ts';

const now = '2026-11-24T10:00:00.000Z';

const integrationRow = (id: string, projectId: string) => integrationRowAt(id, projectId, now);

describe(`repositories on ${testPostgresUrl !== undefined ? 'PostgreSQL' : 'SQLite'}`, () => {
  let t: TestDatabase;
  before(async () => { t = await openTestDatabase(); });
  after(() => t.dropAll());

  test('migrations are recorded and re-running them is a no-op', async () => {
    await t.db.migrate();
    await t.db.migrate();
    const rows = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(t.db.kysely);
    assert.deepEqual(rows.rows.map((r) => r.name), ['0001-foundation', '0002-messaging', '0003-callback-nonces', '0004-event-destinations', '0005-two-way', '0006-jobs-claim-index', '0007-engine', '0008-campaigns', '0009-sandbox-apps', '0010-event-destination-secrets', '0011-users', '0012-template-catalogues', '0013-channel-capabilities', '0014-sinch-consents', '0015-import-columns', '0016-sign-in-failures']);
    assert.equal(await t.db.ping(), true);
  });

  test('SQLite runs in WAL mode', { skip: testPostgresUrl !== undefined }, async () => {
    const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(t.db.kysely);
    assert.equal(mode.rows[0]?.journal_mode, 'wal');
  });

  test('a project is created with default settings in one transaction', async () => {
    const projects = createProjectsRepo(t.db.kysely);
    await projects.insert({ id: 'prj_1', name: 'One', created_at: now });
    assert.deepEqual(await projects.find('prj_1'), { id: 'prj_1', name: 'One', created_at: now });
    const settings = await createSettingsRepo(t.db.kysely).get('prj_1');
    assert.equal(settings.event_name_whatsapp, 'campaign');
    assert.equal(settings.event_name_rcs, 'campaign');
    assert.equal(settings.whatsapp_integration_id, null);
    await assert.rejects(projects.insert({ id: 'prj_1', name: 'Dup', created_at: now }));
    assert.equal((await projects.find('prj_1'))?.name, 'One');
  });

  test('project list pages by id and can be narrowed to one project', async () => {
    const projects = createProjectsRepo(t.db.kysely);
    await projects.insert({ id: 'prj_2', name: 'Two', created_at: now });
    await projects.insert({ id: 'prj_3', name: 'Three', created_at: now });
    assert.deepEqual((await projects.list({ limit: 2 })).map((p) => p.id), ['prj_1', 'prj_2']);
    assert.deepEqual((await projects.list({ after: 'prj_2', limit: 10 })).map((p) => p.id), ['prj_3']);
    assert.deepEqual((await projects.list({ onlyIds: ['prj_2'], limit: 10 })).map((p) => p.id), ['prj_2']);
  });

  test('tokens: found by hash while active, not after revocation; hashes are unique', async () => {
    const tokens = createTokensRepo(t.db.kysely);
    await tokens.insert({ id: 'tok_1', project_id: 'prj_1', name: 'a', role: 'admin', token_hash: 'h1', created_at: now, last_used_at: null, revoked_at: null });
    assert.equal((await tokens.findActiveByHash('h1'))?.role, 'admin');
    await assert.rejects(tokens.insert({ id: 'tok_2', project_id: 'prj_1', name: 'b', role: 'member', token_hash: 'h1', created_at: now, last_used_at: null, revoked_at: null }));
    assert.equal(await tokens.revoke('prj_2', 'tok_1', now), false, 'another project cannot revoke it');
    assert.equal(await tokens.revoke('prj_1', 'tok_1', now), true);
    assert.equal(await tokens.revoke('prj_1', 'tok_1', now), false);
    assert.equal(await tokens.findActiveByHash('h1'), undefined);
  });

  test('integrations: scoped by project; a default provider is not deleted', async () => {
    const integrations = createIntegrationsRepo(t.db.kysely);
    const settings = createSettingsRepo(t.db.kysely);
    await integrations.insert(integrationRow('int_1', 'prj_1'));
    await integrations.insert(integrationRow('int_2', 'prj_1'));
    assert.equal(await integrations.find('prj_2', 'int_1'), undefined);
    assert.equal((await integrations.findByCallbackTokenHash('hash-int_2'))?.id, 'int_2');
    await settings.update('prj_1', { whatsapp_integration_id: 'int_1' });
    assert.equal(await integrations.deleteUnlessDefault('prj_1', 'int_1'), 'in_use');
    assert.equal(await integrations.deleteUnlessDefault('prj_2', 'int_2'), 'missing');
    assert.equal(await integrations.deleteUnlessDefault('prj_1', 'int_2'), 'deleted');
    await settings.update('prj_1', { whatsapp_integration_id: null });
    // What was kept for the integration alone goes with it.
    await t.db.kysely.insertInto('template_catalogues').values({ integration_id: 'int_1', fetched_at: now, catalogue_json: '{}' }).execute();
    await t.db.kysely.insertInto('channel_capabilities').values({
      integration_id: 'int_1', phone: '+46732000001', channel: 'rcs', status: 'capable', reason: null, request_id: null, queried_at: null, checked_at: now, expires_at: now,
    }).execute();
    assert.equal(await integrations.deleteUnlessDefault('prj_1', 'int_1'), 'deleted');
    assert.deepEqual(await integrations.list('prj_1', { limit: 10 }), []);
    for (const table of ['template_catalogues', 'channel_capabilities'] as const) {
      assert.deepEqual(await t.db.kysely.selectFrom(table).select('integration_id').execute(), [], `${table} emptied`);
    }
  });

  test('instance settings: the first value set wins', async () => {
    const instance = createInstanceRepo(t.db.kysely);
    const results = await Promise.all([instance.setIfAbsent('k', 'a'), instance.setIfAbsent('k', 'b')]);
    assert.equal(results[0], results[1]);
    assert.equal(await instance.get('k'), results[0]);
    assert.equal(await instance.get('missing'), undefined);
  });
});
