import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createProjectWithTokens, sampleIntegration, startTestApp, type TestApp } from '../helpers/app.ts';
import { createConversationsRepo } from '../../src/db/repos/conversations-repo.ts';

/**
 * Route by route: who may do what. Another project's token gets 404 (existence is not revealed),
 * a member gets 403 on admin actions, a missing or unknown token gets 401.
 */
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
interface RouteCase {
  name: string;
  method: Method;
  /** Path for project A, built from the fixtures. */
  path: (f: Fixtures) => string;
  body?: (f: Fixtures) => unknown;
  need: 'admin' | 'member';
  ok: number;
}
interface Fixtures {
  a: string; b: string; integrationA: string; messageA: string; customerA: string; ruleA: string; conversationA: string; destinationA: string;
  spareIntegrationA: () => Promise<string>; tokenIdA: () => Promise<string>; spareRuleA: () => Promise<string>; spareDestinationA: () => Promise<string>;
}

const randomPhone = () => `+4673${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
const randomKeyword = () => `KW${Math.random().toString(36).slice(2, 10).toUpperCase()}`;
const template = { template_message: { channel_template: { WHATSAPP: { template_id: 'welcome', language_code: 'en_US', parameters: { 'body[1]text': 'Ada' } } } } };

const routes: RouteCase[] = [
  { name: 'get project', method: 'GET', path: (f) => `/api/v1/projects/${f.a}`, need: 'member', ok: 200 },
  { name: 'create token', method: 'POST', path: (f) => `/api/v1/projects/${f.a}/tokens`, body: () => ({ name: 'x', role: 'member' }), need: 'admin', ok: 201 },
  { name: 'list tokens', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/tokens`, need: 'admin', ok: 200 },
  { name: 'create integration', method: 'POST', path: (f) => `/api/v1/projects/${f.a}/integrations`, body: () => sampleIntegration, need: 'admin', ok: 201 },
  { name: 'list integrations', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/integrations`, need: 'member', ok: 200 },
  { name: 'get integration', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/integrations/${f.integrationA}`, need: 'member', ok: 200 },
  { name: 'patch integration', method: 'PATCH', path: (f) => `/api/v1/projects/${f.a}/integrations/${f.integrationA}`, body: () => ({ name: 'Renamed' }), need: 'admin', ok: 200 },
  { name: 'verify integration', method: 'POST', path: (f) => `/api/v1/projects/${f.a}/integrations/${f.integrationA}/verify`, need: 'admin', ok: 200 },
  { name: 'import Sinch opt-outs', method: 'POST', path: (f) => `/api/v1/projects/${f.a}/integrations/${f.integrationA}/consents/sync`, need: 'admin', ok: 200 },
  { name: 'last opt-out import', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/integrations/${f.integrationA}/consents/sync`, need: 'member', ok: 200 },
  { name: 'register webhook', method: 'POST', path: (f) => `/api/v1/projects/${f.a}/integrations/${f.integrationA}/register-webhook`, need: 'admin', ok: 200 },
  { name: 'get channel settings', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/settings/channels`, need: 'member', ok: 200 },
  { name: 'put channel settings', method: 'PUT', path: (f) => `/api/v1/projects/${f.a}/settings/channels`, body: (f) => ({ whatsapp_integration_id: f.integrationA, rcs_integration_id: null }), need: 'admin', ok: 200 },
  { name: 'get event mapping', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/settings/event-mapping`, need: 'member', ok: 200 },
  { name: 'put event mapping', method: 'PUT', path: (f) => `/api/v1/projects/${f.a}/settings/event-mapping`, body: () => ({ whatsapp: 'campaign', rcs: 'rcs_campaign' }), need: 'admin', ok: 200 },
  { name: 'get two-way settings', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/settings/two-way`, need: 'member', ok: 200 },
  { name: 'put two-way settings', method: 'PUT', path: (f) => `/api/v1/projects/${f.a}/settings/two-way`, body: () => ({ whatsapp_window_check: true }), need: 'admin', ok: 200 },
  { name: 'send a message', method: 'POST', path: (f) => `/api/v1/projects/${f.a}/messages`, body: () => ({ channel: 'whatsapp', to: '+46732001122', message: template }), need: 'member', ok: 202 },
  { name: 'list messages', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/messages`, need: 'member', ok: 200 },
  { name: 'get a message', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/messages/${f.messageA}`, need: 'member', ok: 200 },
  { name: 'create a customer', method: 'POST', path: (f) => `/api/v1/projects/${f.a}/customers`, body: () => ({ phone: randomPhone() }), need: 'member', ok: 201 },
  { name: 'list customers', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/customers`, need: 'member', ok: 200 },
  { name: 'get a customer', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/customers/${f.customerA}`, need: 'member', ok: 200 },
  { name: 'patch a customer', method: 'PATCH', path: (f) => `/api/v1/projects/${f.a}/customers/${f.customerA}`, body: () => ({ attributes: { seen: true } }), need: 'member', ok: 200 },
  { name: 'consent ledger', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/customers/${f.customerA}/consent`, need: 'member', ok: 200 },
  { name: 'list keyword rules', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/keyword-rules`, need: 'member', ok: 200 },
  { name: 'add a keyword rule', method: 'POST', path: (f) => `/api/v1/projects/${f.a}/keyword-rules`, body: () => ({ keyword: randomKeyword(), action: 'no_action', channel_group: 'whatsapp' }), need: 'admin', ok: 201 },
  { name: 'change a keyword rule', method: 'PATCH', path: (f) => `/api/v1/projects/${f.a}/keyword-rules/${f.ruleA}`, body: () => ({ reply_text: 'Hi' }), need: 'admin', ok: 200 },
  { name: 'keyword dry run', method: 'POST', path: (f) => `/api/v1/projects/${f.a}/keyword-rules/dry-run`, body: () => ({ text: 'stop', channel: 'rcs' }), need: 'member', ok: 200 },
  { name: 'list conversations', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/conversations`, need: 'member', ok: 200 },
  { name: 'get a conversation', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/conversations/${f.conversationA}`, need: 'member', ok: 200 },
  { name: 'mark a conversation read', method: 'POST', path: (f) => `/api/v1/projects/${f.a}/conversations/${f.conversationA}/read`, need: 'member', ok: 200 },
  { name: 'reply in a conversation', method: 'POST', path: (f) => `/api/v1/projects/${f.a}/conversations/${f.conversationA}/messages`, body: () => ({ message: template }), need: 'member', ok: 202 },
  { name: 'list events', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/events`, need: 'member', ok: 200 },
  { name: 'export events', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/events/export?format=csv`, need: 'member', ok: 200 },
  { name: 'list callbacks', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/callbacks`, need: 'member', ok: 200 },
  { name: 'add an event destination', method: 'POST', path: (f) => `/api/v1/projects/${f.a}/event-destinations`, body: () => ({ name: 'cdp', url: 'http://127.0.0.1:9/hook' }), need: 'admin', ok: 201 },
  { name: 'list event destinations', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/event-destinations`, need: 'member', ok: 200 },
  { name: 'get an event destination', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/event-destinations/${f.destinationA}`, need: 'member', ok: 200 },
  { name: 'change an event destination', method: 'PATCH', path: (f) => `/api/v1/projects/${f.a}/event-destinations/${f.destinationA}`, body: () => ({ enabled: false }), need: 'admin', ok: 200 },
];

/** Routes that consume their target: each call gets a fresh one. */
const consumingRoutes: Array<Omit<RouteCase, 'path'> & { path: (f: Fixtures) => Promise<string> }> = [
  { name: 'delete integration', method: 'DELETE', path: async (f) => `/api/v1/projects/${f.a}/integrations/${await f.spareIntegrationA()}`, need: 'admin', ok: 204 },
  { name: 'revoke token', method: 'DELETE', path: async (f) => `/api/v1/projects/${f.a}/tokens/${await f.tokenIdA()}`, need: 'admin', ok: 204 },
  { name: 'delete a keyword rule', method: 'DELETE', path: async (f) => `/api/v1/projects/${f.a}/keyword-rules/${await f.spareRuleA()}`, need: 'admin', ok: 204 },
  { name: 'delete an event destination', method: 'DELETE', path: async (f) => `/api/v1/projects/${f.a}/event-destinations/${await f.spareDestinationA()}`, need: 'admin', ok: 204 },
];

describe('access control matrix', () => {
  let t: TestApp;
  let A: Awaited<ReturnType<typeof createProjectWithTokens>>;
  let B: Awaited<ReturnType<typeof createProjectWithTokens>>;
  let f: Fixtures;

  before(async () => {
    t = await startTestApp({ env: { EVENT_DESTINATION_ALLOWED_NETWORKS: '127.0.0.0/8' } }); // destinations on 127.0.0.1
    A = await createProjectWithTokens(t, 'A');
    B = await createProjectWithTokens(t, 'B');
    const integration = await call(t.app, 'POST', `/api/v1/projects/${A.id}/integrations`, A.adminToken, sampleIntegration);
    await call(t.app, 'PUT', `/api/v1/projects/${A.id}/settings/channels`, A.adminToken, { whatsapp_integration_id: integration.body.id, rcs_integration_id: null });
    const message = await call(t.app, 'POST', `/api/v1/projects/${A.id}/messages`, A.adminToken, { channel: 'whatsapp', to: '+46732001122', message: template });
    const customer = await call(t.app, 'POST', `/api/v1/projects/${A.id}/customers`, A.adminToken, { phone: '+46732009999' });
    const rules = await call(t.app, 'GET', `/api/v1/projects/${A.id}/keyword-rules`, A.adminToken);
    const conversation = await createConversationsRepo(t.database.db.kysely).ensure(t.database.db.kysely, {
      id: 'cnv_matrix', project_id: A.id, customer_id: customer.body.id, channel: 'whatsapp', last_message_at: new Date().toISOString(),
      last_inbound_at: null, unread_count: 0, created_at: new Date().toISOString(),
    });
    const destination = await call(t.app, 'POST', `/api/v1/projects/${A.id}/event-destinations`, A.adminToken, { name: 'cdp', url: 'http://127.0.0.1:9/hook' });
    f = {
      a: A.id, b: B.id, integrationA: integration.body.id, messageA: message.body.id, customerA: customer.body.id,
      ruleA: rules.body.data[0].id, conversationA: conversation.id, destinationA: destination.body.id,
      spareRuleA: async () => (await call(t.app, 'POST', `/api/v1/projects/${A.id}/keyword-rules`, A.adminToken, { keyword: randomKeyword(), action: 'no_action', channel_group: 'rcs_sms' })).body.id,
      spareDestinationA: async () => (await call(t.app, 'POST', `/api/v1/projects/${A.id}/event-destinations`, A.adminToken, { name: 'spare', url: 'http://127.0.0.1:9/spare' })).body.id,
      spareIntegrationA: async () => (await call(t.app, 'POST', `/api/v1/projects/${A.id}/integrations`, A.adminToken, sampleIntegration)).body.id,
      tokenIdA: async () => (await call(t.app, 'POST', `/api/v1/projects/${A.id}/tokens`, A.adminToken, { name: 'tmp', role: 'member' })).body.id,
    };
  });
  after(() => t.close());

  const all = [
    ...routes.map((r) => ({ ...r, resolve: (fx: Fixtures) => Promise.resolve(r.path(fx)) })),
    ...consumingRoutes.map((r) => ({ ...r, resolve: r.path })),
  ];

  for (const route of all) {
    describe(`${route.method} ${route.name}`, () => {
      const send = async (token: string | undefined) => call(t.app, route.method, await route.resolve(f), token, route.body?.(f));

      test('no token: 401', async () => {
        const r = await send(undefined);
        assert.equal(r.status, 401);
        assert.equal(r.body.error.code, 'unauthorized');
      });
      test('unknown token: 401', async () => {
        assert.equal((await send('mmt_not-a-real-token')).status, 401);
      });
      test('another project\'s admin: 404', async () => {
        const r = await send(B.adminToken);
        assert.equal(r.status, 404);
        assert.equal(r.body.error.code, 'not_found');
      });
      test(`member: ${route.need === 'admin' ? '403' : route.ok}`, async () => {
        const r = await send(A.memberToken);
        if (route.need === 'admin') {
          assert.equal(r.status, 403);
          assert.equal(r.body.error.code, 'forbidden');
        } else {
          assert.equal(r.status, route.ok);
        }
      });
      if (route.body !== undefined) {
        // Access is decided before the body is validated: a bad body must not reveal a project or skip a role check.
        const bad = async (token: string) => call(t.app, route.method, await route.resolve(f), token, { not_a_field: true });
        test('another project\'s admin with an invalid body: still 404', async () => {
          assert.equal((await bad(B.adminToken)).status, 404);
        });
        if (route.need === 'admin') {
          test('member with an invalid body: still 403', async () => {
            assert.equal((await bad(A.memberToken)).status, 403);
          });
        }
        test('project admin with an invalid body: 400 naming the field', async () => {
          const r = await bad(A.adminToken);
          assert.equal(r.status, 400);
          assert.equal(r.body.error.code, 'invalid_request');
        });
      }
      test(`project admin: ${route.ok}`, async () => {
        assert.equal((await send(A.adminToken)).status, route.ok);
      });
      test(`instance admin: ${route.ok}`, async () => {
        assert.equal((await send(t.adminToken)).status, route.ok);
      });
    });
  }

  test('a resource of project A addressed through project B\'s path is 404 for B', async () => {
    const r = await call(t.app, 'GET', `/api/v1/projects/${B.id}/integrations/${f.integrationA}`, B.adminToken);
    assert.equal(r.status, 404);
    const p = await call(t.app, 'PATCH', `/api/v1/projects/${B.id}/integrations/${f.integrationA}`, B.adminToken, { name: 'stolen' });
    assert.equal(p.status, 404);
    const d = await call(t.app, 'DELETE', `/api/v1/projects/${B.id}/tokens/${A.adminTokenId}`, B.adminToken);
    assert.equal(d.status, 404);
    const still = await call(t.app, 'GET', `/api/v1/projects/${A.id}/integrations/${f.integrationA}`, A.adminToken);
    assert.notEqual(still.body.name, 'stolen');
  });

  test('B cannot set A\'s integration as its default provider', async () => {
    const r = await call(t.app, 'PUT', `/api/v1/projects/${B.id}/settings/channels`, B.adminToken, { whatsapp_integration_id: f.integrationA, rcs_integration_id: null });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'whatsapp_integration_id');
  });

  test('only the instance admin creates projects; project tokens list only their own project', async () => {
    assert.equal((await call(t.app, 'POST', '/api/v1/projects', A.adminToken, { name: 'x' })).status, 403);
    assert.equal((await call(t.app, 'POST', '/api/v1/projects', A.memberToken, { name: 'x' })).status, 403);
    assert.equal((await call(t.app, 'POST', '/api/v1/projects', undefined, { name: 'x' })).status, 401);
    const mine = await call(t.app, 'GET', '/api/v1/projects', A.memberToken);
    assert.deepEqual(mine.body.data.map((p: { id: string }) => p.id), [A.id]);
    const all = await call(t.app, 'GET', '/api/v1/projects', t.adminToken);
    assert.ok(all.body.data.length >= 2);
  });

  test('the live event stream is guarded like the rest (401, 404 for another project)', async () => {
    assert.equal((await call(t.app, 'GET', `/api/v1/projects/${A.id}/events/stream`, undefined)).status, 401);
    assert.equal((await call(t.app, 'GET', `/api/v1/projects/${A.id}/events/stream`, B.adminToken)).status, 404);
  });

  test('the error-code catalogue needs any valid token', async () => {
    assert.equal((await call(t.app, 'GET', '/api/v1/error-codes', undefined)).status, 401);
    assert.equal((await call(t.app, 'GET', '/api/v1/error-codes', A.memberToken)).status, 200);
  });

  test('instance admin on a project that does not exist: 404', async () => {
    assert.equal((await call(t.app, 'GET', '/api/v1/projects/prj_missing/integrations', t.adminToken)).status, 404);
  });
});
