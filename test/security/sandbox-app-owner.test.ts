/**
 * A sandbox app belongs to one integration: another project's (or the same project's) SANDBOX integration naming
 * it is refused with `field: "app_id"`, so it cannot take over the first one's inbound messages or break its sends.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { up } from '../../src/db/migrations/0009-sandbox-apps.ts';
import { call, createProjectWithTokens } from '../helpers/app.ts';
import { openTestDatabase } from '../helpers/database.ts';
import { sandboxIntegration, startSandboxApp, whatsappTemplate, type SandboxApp } from '../helpers/sandbox.ts';
import { waitFor } from './helpers.ts';

describe('sandbox app ownership', () => {
  let s: SandboxApp;
  before(async () => { s = await startSandboxApp(); });
  after(() => s.close());

  test('project B naming project A\'s sandbox app: 409 with field app_id; A keeps its inbound messages and its sends', async () => {
    const B = await createProjectWithTokens(s, 'B');
    const takeover = await call(s.app, 'POST', `/api/v1/projects/${B.id}/integrations`, B.adminToken, {
      ...sandboxIntegration, access_key: 'b-key', access_secret: 'b-secret', sinch_project_id: 'b-project',
    });
    assert.equal(takeover.status, 409, JSON.stringify(takeover.body));
    assert.equal(takeover.body.error.code, 'sandbox_app_taken');
    assert.equal(takeover.body.error.field, 'app_id');
    assert.match(takeover.body.error.message, /app_id/);
    assert.equal((await call(s.app, 'GET', `/api/v1/projects/${B.id}/integrations`, B.adminToken)).body.data.length, 0, 'nothing stored');

    // The emulator's app still has A's account, so A's inbound lands in A and A's sends still work.
    assert.equal(s.emulator.state.apps.get('sandbox-app')?.project_id, 'sandbox-project');
    const phone = '+46732310001';
    await s.control('POST', '/apps/sandbox-app/inbound', { identity: phone.slice(1), channel: 'WHATSAPP', text: 'hi A' });
    await waitFor('the inbound message in project A', async () =>
      (await call(s.app, 'GET', `/api/v1/projects/${s.project.id}/customers/${encodeURIComponent(phone)}`, s.project.memberToken)).status === 200);
    assert.equal((await call(s.app, 'GET', `/api/v1/projects/${B.id}/customers/${encodeURIComponent(phone)}`, B.adminToken)).status, 404);
    const sent = await s.send({ channel: 'whatsapp', to: '+46732311122', message: whatsappTemplate });
    assert.equal(sent.status, 202);
    const m = await s.waitForMessage(sent.body.id as string, (x) => ['delivered', 'read', 'enqueued_failed', 'failed', 'rejected'].includes(x.status as string));
    assert.ok(['delivered', 'read'].includes(m.status as string), JSON.stringify(m.error));
  });

  test('PATCH onto another integration\'s sandbox app, or a second one in the same project: refused too; other app ids and other regions are fine', async () => {
    const B = await createProjectWithTokens(s, 'B2');
    const own = await call(s.app, 'POST', `/api/v1/projects/${B.id}/integrations`, B.adminToken, { ...sandboxIntegration, app_id: 'b2-app', access_key: 'b2-key' });
    assert.equal(own.status, 201, JSON.stringify(own.body));
    const patch = await call(s.app, 'PATCH', `/api/v1/projects/${B.id}/integrations/${own.body.id as string}`, B.adminToken, { app_id: 'sandbox-app' });
    assert.equal(patch.status, 409);
    assert.equal(patch.body.error.field, 'app_id');
    assert.equal((await call(s.app, 'GET', `/api/v1/projects/${B.id}/integrations/${own.body.id as string}`, B.adminToken)).body.app_id, 'b2-app');
    // Its own app id again (a no-op rename) is fine.
    assert.equal((await call(s.app, 'PATCH', `/api/v1/projects/${B.id}/integrations/${own.body.id as string}`, B.adminToken, { app_id: 'b2-app', name: 'renamed' })).status, 200);
    const second = await call(s.app, 'POST', `/api/v1/projects/${s.project.id}/integrations`, s.project.adminToken, { ...sandboxIntegration, name: 'second' });
    assert.equal(second.status, 409);
    // An EU integration may name any app id: Sinch apps are not ours to hand out.
    const eu = await call(s.app, 'POST', `/api/v1/projects/${B.id}/integrations`, B.adminToken, { ...sandboxIntegration, region: 'EU' });
    assert.equal(eu.status, 201);
    // …but it cannot then become a sandbox integration on A's app.
    assert.equal((await call(s.app, 'PATCH', `/api/v1/projects/${B.id}/integrations/${eu.body.id as string}`, B.adminToken, { region: 'SANDBOX' })).status, 409);
  });

  test('two projects claiming one new sandbox app at the same moment: exactly one gets it', async () => {
    const C = await createProjectWithTokens(s, 'C');
    const D = await createProjectWithTokens(s, 'D');
    const body = { ...sandboxIntegration, app_id: 'contested-app' };
    const results = await Promise.all([C, D, C, D].map((p) => call(s.app, 'POST', `/api/v1/projects/${p.id}/integrations`, p.adminToken, body)));
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409, 409]);
    assert.ok(results.filter((r) => r.status === 409).every((r) => r.body.error.field === 'app_id'));
  });
});

describe('migration 0009 on a database that already has a taken-over sandbox app', () => {
  test('the oldest integration keeps the app id, later ones get an app of their own; EU integrations are left alone', async () => {
    const database = await openTestDatabase();
    try {
      const db = database.db.kysely;
      await sql`drop index integrations_sandbox_app`.execute(db); // as before the migration
      await db.insertInto('projects').values({ id: 'prj_m', name: 'm', created_at: '2026-01-01T00:00:00.000Z' }).execute();
      const row = (id: string, region: 'SANDBOX' | 'EU', createdAt: string) => ({
        id, project_id: 'prj_m', provider: 'sinch_mobile_messaging' as const, name: id, sinch_project_id: 'p', app_id: 'shared-app', access_key: 'k',
        access_secret_enc: 'x', region, webhook_secret_enc: 'x', previous_webhook_secret_enc: null, previous_webhook_secret_until: null,
        senders_json: '{}', send_rate_per_second: null, callback_token_hash: `h_${id}`, callback_token_enc: 'x', created_at: createdAt, updated_at: createdAt,
      });
      await db.insertInto('integrations').values([
        row('int_victim', 'SANDBOX', '2026-01-01T00:00:00.000Z'), row('int_taker', 'SANDBOX', '2026-02-01T00:00:00.000Z'), row('int_eu', 'EU', '2026-03-01T00:00:00.000Z'),
      ]).execute();
      await up(db as never);
      const apps = Object.fromEntries((await db.selectFrom('integrations').select(['id', 'app_id']).execute()).map((r) => [r.id, r.app_id]));
      assert.deepEqual(apps, { int_victim: 'shared-app', int_taker: 'shared-app-int_taker', int_eu: 'shared-app' });
      await assert.rejects(db.insertInto('integrations').values(row('int_third', 'SANDBOX', '2026-04-01T00:00:00.000Z')).execute(), 'the index holds from now on');
    } finally {
      await database.dropAll();
    }
  });
});
