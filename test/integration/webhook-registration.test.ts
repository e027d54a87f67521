import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createProjectWithTokens, startTestApp, type TestApp } from '../helpers/app.ts';
import { APP, FAST, PROJECT, startEmulator, type Running } from '../emulator/helpers.ts';
import { startSandboxApp } from '../helpers/sandbox.ts';
import { until } from '../helpers/wait.ts';
import { freePort } from '../../bench/lib/proc.ts';

/**
 * An EU/US integration against the emulator standing in for Sinch: verify tells that Sinch has no webhook for
 * the integration yet, register-webhook creates it through the Webhooks API, and reports then flow in.
 */
let emu: Running;
let t: TestApp;
let p: Awaited<ReturnType<typeof createProjectWithTokens>>;
let integration: { id: string; callback_url: string };


before(async () => {
  emu = await startEmulator({ ...FAST, knobs: { enforce_whatsapp_window: false } });
  const port = await freePort();
  t = await startTestApp({
    listen: true, port,
    env: { PUBLIC_URL: `http://127.0.0.1:${port}`, SINCH_AUTH_URL: emu.base, SINCH_CONVERSATION_URL_EU: emu.base, SANDBOX_ENABLED: 'false', WORKER_POLL_MS: '20' },
  });
  p = await createProjectWithTokens(t, 'Webhooks');
  const created = await call(t.app, 'POST', `/api/v1/projects/${p.id}/integrations`, p.adminToken, {
    provider: 'sinch_mobile_messaging', name: 'Sinch EU', sinch_project_id: PROJECT, app_id: APP,
    access_key: 'sandbox-key', access_secret: 'sandbox-secret', region: 'EU', senders: { rcs: 'my-agent' },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  integration = created.body;
  await call(t.app, 'PUT', `/api/v1/projects/${p.id}/settings/channels`, p.adminToken, { whatsapp_integration_id: null, rcs_integration_id: integration.id });
});
after(async () => {
  await t.close();
  await emu.close();
});

const path_ = (action: string) => `/api/v1/projects/${p.id}/integrations/${integration.id}/${action}`;
const webhooksAtSinch = async () => ((await (await fetch(`${emu.base}/v1/projects/${PROJECT}/apps/${APP}/webhooks`, {
  headers: { authorization: `Basic ${Buffer.from('sandbox-key:sandbox-secret').toString('base64')}` },
})).json()) as { webhooks: Array<{ target: string; triggers: string[] }> }).webhooks;

test('verify says when Sinch has no webhook for the integration, and how to fix it', async () => {
  const r = await call(t.app, 'POST', path_('verify'), p.adminToken);
  assert.equal(r.status, 200);
  assert.equal(r.body.ok, true);
  assert.equal(r.body.webhook.registered, false);
  assert.match(r.body.webhook.hint, /register-webhook/);
});

test('register-webhook aims the app\'s webhook at the callback URL; again, it replaces rather than duplicates', async () => {
  const first = await call(t.app, 'POST', path_('register-webhook'), p.adminToken);
  assert.equal(first.status, 200);
  assert.equal(first.body.ok, true, JSON.stringify(first.body));
  assert.equal(first.body.webhook.target, integration.callback_url);
  assert.match(first.body.webhook.warning, /PUBLIC_URL/, 'a loopback PUBLIC_URL is flagged: Sinch cannot reach it');
  assert.equal((await call(t.app, 'POST', path_('register-webhook'), p.adminToken)).body.ok, true);
  const ours = (await webhooksAtSinch()).filter((h) => h.target === integration.callback_url);
  assert.equal(ours.length, 1);
  assert.ok(ours[0]!.triggers.includes('MESSAGE_DELIVERY') && ours[0]!.triggers.includes('MESSAGE_INBOUND'));
  assert.ok(ours[0]!.triggers.includes('CAPABILITY'), 'RCS capability answers are subscribed to');
  const verified = await call(t.app, 'POST', path_('verify'), p.adminToken);
  assert.deepEqual({ ok: verified.body.ok, registered: verified.body.webhook.registered, hint: verified.body.webhook.hint }, { ok: true, registered: true, hint: undefined });
});

test('with the webhook registered, signed delivery reports arrive and move the message to read', async () => {
  const sent = await call(t.app, 'POST', `/api/v1/projects/${p.id}/messages`, p.memberToken, { channel: 'rcs', to: '+46732001234', message: { text_message: { text: 'Hello' } } });
  assert.equal(sent.status, 202);
  await until(async () => (await call(t.app, 'GET', `/api/v1/projects/${p.id}/messages/${sent.body.id}`, p.memberToken)).body.status === 'read', 'the message to be read');
});

test('after PUBLIC_URL changed, verify names the stale webhook; register-webhook adds the current one and deletes the old only when asked', async () => {
  const basicAuth = { authorization: `Basic ${Buffer.from('sandbox-key:sandbox-secret').toString('base64')}`, 'content-type': 'application/json' };
  const api = `${emu.base}/v1/projects/${PROJECT}`;
  const path = new URL(integration.callback_url).pathname;
  for (const hook of (await (await fetch(`${api}/apps/${APP}/webhooks`, { headers: basicAuth })).json() as { webhooks: Array<{ id: string; target: string }> }).webhooks) {
    if (hook.target.endsWith(path)) await fetch(`${api}/webhooks/${hook.id}`, { method: 'DELETE', headers: basicAuth });
  }
  const old = `https://old-host.example.com${path}`;
  const created = await fetch(`${api}/webhooks`, { method: 'POST', headers: basicAuth, body: JSON.stringify({ app_id: APP, target: old, target_type: 'HTTP', triggers: ['MESSAGE_DELIVERY'] }) });
  assert.equal(created.status, 200);
  const stale = await call(t.app, 'POST', path_('verify'), p.adminToken);
  assert.equal(stale.body.webhook.registered, false);
  assert.ok(stale.body.webhook.hint.includes(old), stale.body.webhook.hint);
  const kept = await call(t.app, 'POST', path_('register-webhook'), p.adminToken);
  assert.equal(kept.body.ok, true);
  assert.ok(kept.body.webhook.warning.includes(old), 'the webhook on the other address is named, not deleted');
  assert.deepEqual((await webhooksAtSinch()).filter((h) => h.target.endsWith(path)).map((h) => h.target).sort(), [integration.callback_url, old].sort());
  const replaced = await call(t.app, 'POST', `${path_('register-webhook')}?replace_stale=true`, p.adminToken);
  assert.deepEqual(replaced.body.webhook.removed, [old]);
  assert.deepEqual((await webhooksAtSinch()).filter((h) => h.target.endsWith(path)).map((h) => h.target), [integration.callback_url]);
});

test('wrong credentials: register-webhook explains instead of failing', async () => {
  const bad = await call(t.app, 'POST', `/api/v1/projects/${p.id}/integrations`, p.adminToken, {
    provider: 'sinch_mobile_messaging', name: 'Wrong', sinch_project_id: PROJECT, app_id: APP, access_key: 'sandbox-key', access_secret: 'wrong-secret', region: 'EU',
  });
  const r = await call(t.app, 'POST', `/api/v1/projects/${p.id}/integrations/${bad.body.id}/register-webhook`, p.adminToken);
  assert.equal(r.status, 200);
  assert.deepEqual({ ok: r.body.ok, code: r.body.error.code }, { ok: false, code: 'invalid_credentials' });
});

test('SANDBOX: when the app\'s webhook was deleted, verify notices and register-webhook sets it up again', async () => {
  const s = await startSandboxApp();
  try {
    const at = (action: string) => `/api/v1/projects/${s.project.id}/integrations/${s.integrationId}/${action}`;
    assert.equal((await call(s.app, 'POST', at('verify'), s.project.adminToken)).body.webhook.registered, true);
    const api = `${s.baseUrl!}/sandbox/v1/projects/${PROJECT}`;
    const auth = { authorization: `Basic ${Buffer.from('sandbox-key:sandbox-secret').toString('base64')}` };
    const hooks = (await (await fetch(`${api}/apps/${APP}/webhooks`, { headers: auth })).json()) as { webhooks: Array<{ id: string }> };
    for (const hook of hooks.webhooks) assert.equal((await fetch(`${api}/webhooks/${hook.id}`, { method: 'DELETE', headers: auth })).status, 200);
    const lost = await call(s.app, 'POST', at('verify'), s.project.adminToken);
    assert.deepEqual({ ok: lost.body.ok, registered: lost.body.webhook.registered }, { ok: true, registered: false });
    assert.equal((await call(s.app, 'POST', at('register-webhook'), s.project.adminToken)).body.ok, true);
    assert.equal((await call(s.app, 'POST', at('verify'), s.project.adminToken)).body.webhook.registered, true);
  } finally {
    await s.close();
  }
});
