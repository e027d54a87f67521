import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { call, createProjectWithTokens, sampleIntegration, startTestApp, type TestApp } from '../helpers/app.ts';

/** A stand-in for Sinch's hosts at the network boundary: answers the token and webhook-list calls. */
function startSinchStub(behaviour: { token: number; app: number }): Promise<{ server: Server; url: string; calls: string[] }> {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    calls.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
    if (req.url === '/oauth2/token') {
      res.writeHead(behaviour.token, { 'content-type': 'application/json' });
      res.end(behaviour.token === 200 ? JSON.stringify({ access_token: 'tok-1', expires_in: 3600, token_type: 'bearer', scope: '' }) : '{"error":"invalid_client"}');
      return;
    }
    res.writeHead(behaviour.app, { 'content-type': 'application/json' });
    res.end(behaviour.app === 200 ? '{"webhooks":[]}' : '{"error":{"code":404,"message":"not found","status":"NOT_FOUND"}}');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    resolve({ server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, calls });
  }));
}

describe('integrations', () => {
  let t: TestApp;
  let p: Awaited<ReturnType<typeof createProjectWithTokens>>;
  const base = () => `/api/v1/projects/${p.id}/integrations`;

  before(async () => {
    t = await startTestApp({ env: { PUBLIC_URL: 'https://mm.example.com' } });
    p = await createProjectWithTokens(t, 'P');
  });
  after(() => t.close());

  test('create returns every field but the secrets, and a callback URL under PUBLIC_URL', async () => {
    const r = await call(t.app, 'POST', base(), p.adminToken, sampleIntegration);
    assert.equal(r.status, 201);
    const { access_secret: _s, webhook_secret: _w, ...visible } = sampleIntegration;
    for (const [k, v] of Object.entries(visible)) assert.deepEqual(r.body[k], v, k);
    assert.equal(r.body.access_secret_set, true);
    assert.equal(r.body.webhook_secret_set, true);
    assert.equal('access_secret' in r.body, false);
    assert.equal('webhook_secret' in r.body, false);
    assert.match(r.body.callback_url, /^https:\/\/mm\.example\.com\/callbacks\/sinch\/cb_[A-Za-z0-9_-]{32}$/);
    assert.match(r.body.id, /^int_/);
    assert.ok(!Number.isNaN(Date.parse(r.body.created_at)));
    const again = await call(t.app, 'GET', `${base()}/${r.body.id}`, p.memberToken);
    assert.equal(again.body.callback_url, r.body.callback_url);
  });

  test('each integration gets its own callback URL; the webhook secret is generated when absent', async () => {
    const { webhook_secret: _w, ...noSecret } = sampleIntegration;
    const a = await call(t.app, 'POST', base(), p.adminToken, noSecret);
    const b = await call(t.app, 'POST', base(), p.adminToken, noSecret);
    assert.equal(a.status, 201);
    assert.equal(a.body.webhook_secret_set, true);
    assert.notEqual(a.body.callback_url, b.body.callback_url);
  });

  const invalid: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['region outside EU/US/BR/SANDBOX', { region: 'APAC' }, 'region', /region must be one of EU, US, BR, SANDBOX/],
    ['missing app_id', { app_id: undefined }, 'app_id', /app_id is required/],
    ['empty access_secret', { access_secret: '' }, 'access_secret', /access_secret/],
    ['unknown provider', { provider: 'twilio' }, 'provider', /provider must be one of sinch_mobile_messaging/],
    ['bad WhatsApp sender', { senders: { whatsapp: '12345' } }, 'senders.whatsapp', /senders\.whatsapp must be an international number/],
    ['unknown field', { colour: 'red' }, 'colour', /colour is not a known field/],
    ['short webhook secret', { webhook_secret: 'short' }, 'webhook_secret', /webhook_secret/],
  ];
  for (const [name, change, field, message] of invalid) {
    test(`400 naming the field: ${name}`, async () => {
      const before = await call(t.app, 'GET', `${base()}?limit=1000`, p.adminToken);
      const body = { ...sampleIntegration, ...change };
      const r = await call(t.app, 'POST', base(), p.adminToken, JSON.parse(JSON.stringify(body)));
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, 'invalid_request');
      assert.equal(r.body.error.field, field);
      assert.match(r.body.error.message, message);
      const afterList = await call(t.app, 'GET', `${base()}?limit=1000`, p.adminToken);
      assert.equal(afterList.body.data.length, before.body.data.length, 'nothing half-written');
    });
  }

  test('patch changes fields, keeps the callback URL, and never returns secrets', async () => {
    const created = await call(t.app, 'POST', base(), p.adminToken, sampleIntegration);
    const r = await call(t.app, 'PATCH', `${base()}/${created.body.id}`, p.adminToken, {
      name: 'Sinch US', region: 'US', access_secret: 'new-secret-value', senders: { whatsapp: '+1 415 555 2671' },
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.name, 'Sinch US');
    assert.equal(r.body.region, 'US');
    assert.deepEqual(r.body.senders, { whatsapp: '+14155552671' });
    assert.equal(r.body.callback_url, created.body.callback_url);
    assert.equal(JSON.stringify(r.body).includes('new-secret-value'), false);
    const bad = await call(t.app, 'PATCH', `${base()}/${created.body.id}`, p.adminToken, { region: 'MARS' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'region');
  });

  test('lists page with a cursor', async () => {
    const first = await call(t.app, 'GET', `${base()}?limit=2`, p.memberToken);
    assert.equal(first.body.data.length, 2);
    assert.equal(typeof first.body.next_cursor, 'string');
    const second = await call(t.app, 'GET', `${base()}?limit=2&cursor=${first.body.next_cursor}`, p.memberToken);
    assert.ok(second.body.data.length >= 1);
    assert.ok(second.body.data[0].id > first.body.data[1].id);
    const bad = await call(t.app, 'GET', `${base()}?limit=2&cursor=garbage`, p.memberToken);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'cursor');
    const tooMany = await call(t.app, 'GET', `${base()}?limit=1001`, p.memberToken);
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.body.error.field, 'limit');
  });

  test('an integration that is a default provider cannot be deleted until the default changes', async () => {
    const created = await call(t.app, 'POST', base(), p.adminToken, sampleIntegration);
    const id = created.body.id;
    await call(t.app, 'PUT', `/api/v1/projects/${p.id}/settings/channels`, p.adminToken, { whatsapp_integration_id: null, rcs_integration_id: id });
    const shown = await call(t.app, 'GET', `${base()}/${id}`, p.adminToken);
    assert.deepEqual(shown.body.default_for, ['rcs']);
    const blocked = await call(t.app, 'DELETE', `${base()}/${id}`, p.adminToken);
    assert.equal(blocked.status, 409);
    assert.equal(blocked.body.error.code, 'default_provider_in_use');
    assert.equal((await call(t.app, 'GET', `${base()}/${id}`, p.adminToken)).status, 200);
    await call(t.app, 'PUT', `/api/v1/projects/${p.id}/settings/channels`, p.adminToken, { whatsapp_integration_id: null, rcs_integration_id: null });
    assert.equal((await call(t.app, 'DELETE', `${base()}/${id}`, p.adminToken)).status, 204);
    assert.equal((await call(t.app, 'GET', `${base()}/${id}`, p.adminToken)).status, 404);
    assert.equal((await call(t.app, 'DELETE', `${base()}/${id}`, p.adminToken)).status, 404);
  });
});

describe('verify', () => {
  const cases: Array<[string, { token: number; app: number }, { ok: boolean; code?: string }]> = [
    ['good credentials and app', { token: 200, app: 200 }, { ok: true }],
    ['wrong credentials', { token: 401, app: 200 }, { ok: false, code: 'invalid_credentials' }],
    ['app not in that region', { token: 200, app: 404 }, { ok: false, code: 'app_not_found' }],
    ['token service down', { token: 503, app: 200 }, { ok: false, code: 'sinch_unavailable' }],
  ];
  for (const [name, behaviour, expected] of cases) {
    test(name, async () => {
      const stub = await startSinchStub(behaviour);
      const t = await startTestApp({ env: { SINCH_AUTH_URL: stub.url, SINCH_CONVERSATION_URL_EU: stub.url } });
      try {
        const p = await createProjectWithTokens(t, 'V');
        const i = await call(t.app, 'POST', `/api/v1/projects/${p.id}/integrations`, p.adminToken, sampleIntegration);
        const r = await call(t.app, 'POST', `/api/v1/projects/${p.id}/integrations/${i.body.id}/verify`, p.adminToken);
        assert.equal(r.status, 200);
        assert.equal(r.body.ok, expected.ok);
        if (expected.code !== undefined) {
          assert.equal(r.body.error.code, expected.code);
          assert.ok(r.body.error.message.length > 20);
        }
        const expectedBasic = `Basic ${Buffer.from(`${sampleIntegration.access_key}:${sampleIntegration.access_secret}`).toString('base64')}`;
        assert.equal(stub.calls[0], `POST /oauth2/token ${expectedBasic}`);
        if (behaviour.token === 200) assert.equal(stub.calls[1], `GET /v1/projects/proj-123/apps/app-456/webhooks Bearer tok-1`);
      } finally {
        await t.close();
        stub.server.close();
      }
    });
  }

  test('unreachable Sinch is reported in plain words', async () => {
    const t = await startTestApp({ env: { SINCH_AUTH_URL: 'http://127.0.0.1:9' } });
    try {
      const p = await createProjectWithTokens(t, 'V');
      const i = await call(t.app, 'POST', `/api/v1/projects/${p.id}/integrations`, p.adminToken, sampleIntegration);
      const r = await call(t.app, 'POST', `/api/v1/projects/${p.id}/integrations/${i.body.id}/verify`, p.adminToken);
      assert.deepEqual({ ok: r.body.ok, code: r.body.error.code }, { ok: false, code: 'sinch_unreachable' });
    } finally {
      await t.close();
    }
  });
});
