import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createProjectWithTokens, sampleIntegration, startTestApp, type TestApp } from '../helpers/app.ts';

describe('errors', () => {
  let t: TestApp;
  before(async () => { t = await startTestApp({ env: { BODY_LIMIT_BYTES: '2048' } }); });
  after(() => t.close());

  test('unknown route: 404 in the common error shape', async () => {
    const r = await call(t.app, 'GET', '/api/v1/nope', t.adminToken);
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'not_found');
  });

  test('body that is not JSON: 400 invalid_json', async () => {
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/projects', headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' }, payload: '{"name": ' });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error.code, 'invalid_json');
  });

  test('body over the limit: 413', async () => {
    const r = await call(t.app, 'POST', '/api/v1/projects', t.adminToken, { name: 'x'.repeat(5000) });
    assert.equal(r.status, 413);
    assert.equal(r.body.error.code, 'payload_too_large');
  });

  test('empty string field names the field and the rule', async () => {
    const r = await call(t.app, 'POST', '/api/v1/projects', t.adminToken, { name: '' });
    assert.deepEqual(r.body, { error: { code: 'invalid_request', message: 'name must not be empty', field: 'name' } });
  });

  test('event names must follow the rule', async () => {
    const p = await createProjectWithTokens(t, 'E');
    const r = await call(t.app, 'PUT', `/api/v1/projects/${p.id}/settings/event-mapping`, p.adminToken, { whatsapp: 'Campaign Events', rcs: 'campaign' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, 'whatsapp');
    const unchanged = await call(t.app, 'GET', `/api/v1/projects/${p.id}/settings/event-mapping`, p.adminToken);
    assert.deepEqual(unchanged.body, { whatsapp: 'campaign', rcs: 'campaign' });
  });
});

describe('5xx never leaks internals', () => {
  test('a database failure answers a masked 500 and logs the cause', async () => {
    const logs: string[] = [];
    const { Writable } = await import('node:stream');
    const logStream = new Writable({ write(chunk: Buffer, _enc, cb) { logs.push(chunk.toString()); cb(); } });
    const t = await startTestApp({ env: { LOG_LEVEL: 'error' }, logStream });
    const p = await createProjectWithTokens(t, 'X');
    await t.database.db.close();
    try {
      const r = await call(t.app, 'POST', `/api/v1/projects/${p.id}/integrations`, t.adminToken, sampleIntegration);
      assert.equal(r.status, 500);
      assert.deepEqual(Object.keys(r.body.error).sort(), ['code', 'message']);
      assert.equal(r.body.error.code, 'internal_error');
      const text = JSON.stringify(r.body).toLowerCase();
      for (const leak of ['sqlite', 'database', 'kysely', 'stack', 'at ', '.ts', 'driver']) assert.ok(!text.includes(leak), `leaks ${leak}`);
      assert.ok(logs.some((l) => l.includes('unhandled error')), 'the cause is logged');
      const ready = await call(t.app, 'GET', '/readyz', undefined);
      assert.equal(ready.status, 503);
    } finally {
      await t.app.close();
      await t.database.dropAll().catch(() => undefined);
    }
  });
});

describe('health and docs', () => {
  let t: TestApp;
  before(async () => { t = await startTestApp(); });
  after(() => t.close());

  test('/healthz and /readyz answer without a token', async () => {
    assert.deepEqual((await call(t.app, 'GET', '/healthz', undefined)).body, { status: 'ok' });
    const ready = await call(t.app, 'GET', '/readyz', undefined);
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, 'ready');
  });

  test('OpenAPI document lists every api-v1 path; /docs serves the reference', async () => {
    const doc = await call(t.app, 'GET', '/docs/json', undefined);
    assert.equal(doc.status, 200);
    assert.equal(doc.body.openapi.startsWith('3.'), true);
    for (const path of [
      '/api/v1/projects', '/api/v1/projects/{project_id}/tokens', '/api/v1/projects/{project_id}/integrations',
      '/api/v1/projects/{project_id}/integrations/{integration_id}', '/api/v1/projects/{project_id}/integrations/{integration_id}/verify',
      '/api/v1/projects/{project_id}/settings/channels', '/api/v1/projects/{project_id}/settings/event-mapping',
    ]) assert.ok(doc.body.paths[path], path);
    const html = await t.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(html.statusCode, 200);
    assert.match(html.body, /swagger/i);
  });
});
