import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createProjectWithTokens, startTestApp, type TestApp } from '../helpers/app.ts';
import { APP, FAST, PROJECT, startEmulator, type Running } from '../emulator/helpers.ts';
import { freePort } from '../../bench/lib/proc.ts';

/**
 * Region BR: Sinch apps are regional (br.conversation.api.sinch.com beside eu and us). A Brazilian app is reached
 * on the BR host only: here the emulator stands in for Sinch Brazil at SINCH_CONVERSATION_URL_BR, and EU points at a
 * closed port, so anything sent to the wrong region fails.
 */
let emu: Running;
let t: TestApp;

before(async () => {
  emu = await startEmulator({ ...FAST, knobs: { enforce_whatsapp_window: false } });
  const port = await freePort();
  t = await startTestApp({
    listen: true, port,
    env: {
      PUBLIC_URL: `http://127.0.0.1:${port}`, SINCH_AUTH_URL: emu.base, SINCH_CONVERSATION_URL_BR: emu.base,
      SINCH_CONVERSATION_URL_EU: 'http://127.0.0.1:9', SINCH_CONVERSATION_URL_US: 'http://127.0.0.1:9', SANDBOX_ENABLED: 'false', WORKER_POLL_MS: '20',
    },
  });
});
after(async () => {
  await t.close();
  await emu.close();
});

test('a BR integration verifies and sends through the BR host, and its message is delivered', async () => {
  const p = await createProjectWithTokens(t, 'Brasil');
  const created = await call(t.app, 'POST', `/api/v1/projects/${p.id}/integrations`, p.adminToken, {
    provider: 'sinch_mobile_messaging', name: 'Sinch BR', sinch_project_id: PROJECT, app_id: APP,
    access_key: 'sandbox-key', access_secret: 'sandbox-secret', region: 'BR', senders: { rcs: 'agente' },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.region, 'BR');
  const verified = await call(t.app, 'POST', `/api/v1/projects/${p.id}/integrations/${created.body.id}/verify`, p.adminToken);
  assert.equal(verified.body.ok, true, JSON.stringify(verified.body));
  assert.equal((await call(t.app, 'POST', `/api/v1/projects/${p.id}/integrations/${created.body.id}/register-webhook`, p.adminToken)).body.ok, true);
  const sent = await call(t.app, 'POST', `/api/v1/projects/${p.id}/messages`, p.adminToken, {
    channel: 'rcs', to: '+5511987654321', integration_id: created.body.id, message: { text_message: { text: 'Olá' } },
  });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  let status = '';
  for (let i = 0; i < 400 && status !== 'delivered' && status !== 'read'; i++) {
    status = (await call(t.app, 'GET', `/api/v1/projects/${p.id}/messages/${sent.body.id}`, p.adminToken)).body.status as string;
    if (status === 'failed' || status === 'enqueued_failed') break;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.ok(status === 'delivered' || status === 'read', `status ${status}`);
});

test('an unknown region is refused naming the field, with the regions there are', async () => {
  const p = await createProjectWithTokens(t, 'Nowhere');
  const r = await call(t.app, 'POST', `/api/v1/projects/${p.id}/integrations`, p.adminToken, {
    provider: 'sinch_mobile_messaging', name: 'X', sinch_project_id: PROJECT, app_id: APP, access_key: 'k', access_secret: 's', region: 'APAC', senders: { rcs: 'a' },
  });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.field, 'region');
  assert.match(r.body.error.message, /BR/);
});
