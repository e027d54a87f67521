import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createProjectWithTokens, sampleIntegration, startTestApp, type TestApp } from '../helpers/app.ts';

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
interface Fixtures { a: string; b: string; integrationA: string; spareIntegrationA: () => Promise<string>; tokenIdA: () => Promise<string> }

const routes: RouteCase[] = [
  { name: 'get project', method: 'GET', path: (f) => `/api/v1/projects/${f.a}`, need: 'member', ok: 200 },
  { name: 'create token', method: 'POST', path: (f) => `/api/v1/projects/${f.a}/tokens`, body: () => ({ name: 'x', role: 'member' }), need: 'admin', ok: 201 },
  { name: 'list tokens', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/tokens`, need: 'admin', ok: 200 },
  { name: 'create integration', method: 'POST', path: (f) => `/api/v1/projects/${f.a}/integrations`, body: () => sampleIntegration, need: 'admin', ok: 201 },
  { name: 'list integrations', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/integrations`, need: 'member', ok: 200 },
  { name: 'get integration', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/integrations/${f.integrationA}`, need: 'member', ok: 200 },
  { name: 'patch integration', method: 'PATCH', path: (f) => `/api/v1/projects/${f.a}/integrations/${f.integrationA}`, body: () => ({ name: 'Renamed' }), need: 'admin', ok: 200 },
  { name: 'verify integration', method: 'POST', path: (f) => `/api/v1/projects/${f.a}/integrations/${f.integrationA}/verify`, need: 'admin', ok: 200 },
  { name: 'get channel settings', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/settings/channels`, need: 'member', ok: 200 },
  { name: 'put channel settings', method: 'PUT', path: (f) => `/api/v1/projects/${f.a}/settings/channels`, body: (f) => ({ whatsapp_integration_id: f.integrationA, rcs_integration_id: null }), need: 'admin', ok: 200 },
  { name: 'get event mapping', method: 'GET', path: (f) => `/api/v1/projects/${f.a}/settings/event-mapping`, need: 'member', ok: 200 },
  { name: 'put event mapping', method: 'PUT', path: (f) => `/api/v1/projects/${f.a}/settings/event-mapping`, body: () => ({ whatsapp: 'campaign', rcs: 'rcs_campaign' }), need: 'admin', ok: 200 },
];

/** Routes that consume their target: each call gets a fresh one. */
const consumingRoutes: Array<Omit<RouteCase, 'path'> & { path: (f: Fixtures) => Promise<string> }> = [
  { name: 'delete integration', method: 'DELETE', path: async (f) => `/api/v1/projects/${f.a}/integrations/${await f.spareIntegrationA()}`, need: 'admin', ok: 204 },
  { name: 'revoke token', method: 'DELETE', path: async (f) => `/api/v1/projects/${f.a}/tokens/${await f.tokenIdA()}`, need: 'admin', ok: 204 },
];

describe('access control matrix', () => {
  let t: TestApp;
  let A: Awaited<ReturnType<typeof createProjectWithTokens>>;
  let B: Awaited<ReturnType<typeof createProjectWithTokens>>;
  let f: Fixtures;

  before(async () => {
    t = await startTestApp();
    A = await createProjectWithTokens(t, 'A');
    B = await createProjectWithTokens(t, 'B');
    const integration = await call(t.app, 'POST', `/api/v1/projects/${A.id}/integrations`, A.adminToken, sampleIntegration);
    f = {
      a: A.id, b: B.id, integrationA: integration.body.id,
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

  test('instance admin on a project that does not exist: 404', async () => {
    assert.equal((await call(t.app, 'GET', '/api/v1/projects/prj_missing/integrations', t.adminToken)).status, 404);
  });
});
