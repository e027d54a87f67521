/**
 * Small defects of the hardening issue, each through the real app: the sender an RCS message fell back to SMS went
 * out from; a 413 that reaches a client still uploading (not a reset connection); verify naming webhooks Sinch still
 * has on an old address; event mapping set for one channel. (Malformed cursors: input-cursors.test.ts.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { freePort } from '../../bench/lib/proc.ts';
import { APP, FAST, PROJECT, startEmulator, type Running } from '../emulator/helpers.ts';
import { call, createProjectWithTokens, sampleIntegration, startTestApp, type TestApp } from '../helpers/app.ts';
import { startSandboxApp, type SandboxApp } from '../helpers/sandbox.ts';
import { deliveryReport, sinchHeaders } from '../helpers/signing.ts';
import { waitFor } from '../helpers/wait.ts';

describe('the sender of what went by SMS', () => {
  let s: SandboxApp;
  before(async () => { s = await startSandboxApp(); });
  after(() => s.close());
  const eventsOf = async (query: string) => (await call(s.app, 'GET', `/api/v1/projects/${s.project.id}/events?${query}`, s.project.memberToken)).body.data as any[];

  test('an RCS message that fell back to SMS: its SMS reports and the message name the SMS sender, its enqueued event the RCS agent', async () => {
    // …0003: no RCS capability, so Sinch switches to SMS and delivers there.
    const sent = await s.send({ channel: 'rcs', to: '+46732000003', message: { text_message: { text: 'hi' } }, channel_priority_order: ['rcs', 'sms'] });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const message = await s.waitForMessage(sent.body.id, (m) => m.current_channel === 'sms' && (m.status === 'delivered' || m.status === 'read'));
    assert.equal(message.sender, '+46732000099', 'the view names the sender of the channel that carried it');
    const events = await waitFor(async () => {
      const all = await eventsOf(`message_id=${message.id as string}`);
      return all.some((e) => e.properties.status === 'delivered') ? all : undefined;
    }, 'the delivered event');
    const byStatus = Object.fromEntries(events.map((e) => [e.properties.status, e.properties]));
    assert.equal(byStatus.enqueued.sender, 'sandbox-agent', 'handed to Sinch for RCS first, from the agent');
    assert.equal(byStatus.delivered.delivery_channel, 'sms');
    assert.equal(byStatus.delivered.sender, '+46732000099');
    for (const e of events.filter((x) => x.properties.delivery_channel === 'sms')) assert.equal(e.properties.sender, '+46732000099', e.properties.status);
  });

  test('an SMS a customer sent to the RCS thread without a sender id is tracked as received by the SMS sender', async () => {
    await s.control('POST', '/apps/sandbox-app/inbound', { identity: '46732006201', channel: 'SMS', text: 'hello' });
    const [event] = await waitFor(async () => {
      const found = await eventsOf('status=incoming_message&recipient=%2B46732006201');
      return found.length > 0 ? found : undefined;
    }, 'the incoming_message event');
    assert.equal(event.properties.delivery_channel, 'sms');
    assert.equal(event.properties.sender, '+46732000099');
  });
});

describe('413 always reaches the client', () => {
  let t: TestApp;
  let p: Awaited<ReturnType<typeof createProjectWithTokens>>;
  let agent: Agent;
  let callbackPath: string;
  before(async () => {
    t = await startTestApp({ listen: true, env: { IMPORT_MAX_BYTES: '100000', BODY_LIMIT_BYTES: '65536', ROLE: 'api' } });
    p = await createProjectWithTokens(t, 'Big bodies');
    const integration = await call(t.app, 'POST', `/api/v1/projects/${p.id}/integrations`, p.adminToken, sampleIntegration);
    callbackPath = new URL(integration.body.callback_url as string).pathname;
    // One connection: each upload must leave it usable for the next (kept alive, the rest of the body read).
    agent = new Agent({ connections: 1 });
  });
  after(async () => {
    await agent.close();
    await t.close();
  });

  /** Sends `size` bytes (a CSV of one repeated row), with a Content-Length or chunked, while the answer may come. */
  const upload = async (method: 'POST' | 'PUT', path: string, size: number, chunked: boolean, contentType: string) => {
    const row = Buffer.from('+46732007001,Lund\n'.repeat(4000));
    async function* body() {
      yield Buffer.from('phone,city\n');
      for (let sent = 11; sent < size; sent += row.length) yield row.subarray(0, Math.min(row.length, size - sent));
    }
    const res = await request(`${t.baseUrl!}${path}`, {
      method, dispatcher: agent, body: Readable.from(body()),
      headers: { authorization: `Bearer ${p.adminToken}`, 'content-type': contentType, ...(chunked ? {} : { 'content-length': String(size) }) },
    });
    return { status: res.statusCode, body: await res.body.json() as any };
  };

  test('a CSV import over IMPORT_MAX_BYTES: the 413 every time, sized or chunked, never a reset connection', async () => {
    const imports = `/api/v1/projects/${p.id}/customer-imports`;
    for (let i = 0; i < 6; i += 1) {
      const chunked = i % 2 === 1;
      const r = await upload('POST', `${imports}?name=big-${i}`, (2 + i) * 1024 * 1024, chunked, 'text/csv');
      assert.equal(r.status, 413, `try ${i} (${chunked ? 'chunked' : 'sized'}): ${JSON.stringify(r.body)}`);
      assert.deepEqual(r.body.error, { code: 'payload_too_large', message: 'the file is larger than 100000 bytes (IMPORT_MAX_BYTES)' });
    }
    const waiting = await call(t.app, 'POST', imports, p.adminToken, { name: 'two steps' });
    const put = await upload('PUT', `${imports}/${waiting.body.id as string}/csv`, 3 * 1024 * 1024, true, 'text/csv');
    assert.equal(put.status, 413);
    const listed = (await call(t.app, 'GET', `${imports}?limit=100`, p.adminToken)).body.data as any[];
    assert.equal(listed.filter((x) => x.status === 'failed').length, 7, 'each import shows it failed');
    // The one connection is still good for an ordinary request.
    const ok = await request(`${t.baseUrl!}/api/v1/projects/${p.id}/customer-imports?limit=1`, { dispatcher: agent, headers: { authorization: `Bearer ${p.adminToken}` } });
    assert.equal(ok.statusCode, 200);
    await ok.body.dump();
  });

  test('a JSON body and a callback over BODY_LIMIT_BYTES: the 413 in the error shape', async () => {
    for (const chunked of [false, true]) {
      const api = await upload('POST', `/api/v1/projects/${p.id}/customers`, 1024 * 1024, chunked, 'application/json');
      assert.equal(api.status, 413, JSON.stringify(api.body));
      assert.equal(api.body.error.code, 'payload_too_large');
      const callback = await upload('POST', callbackPath, 1024 * 1024, chunked, 'application/json');
      assert.equal(callback.status, 413, JSON.stringify(callback.body));
      assert.equal(callback.body.error.code, 'payload_too_large');
    }
    const report = deliveryReport('01JAFTER413000000000000001', 'DELIVERED');
    const fine = await request(`${t.baseUrl!}${callbackPath}`, { method: 'POST', dispatcher: agent, headers: sinchHeaders(sampleIntegration.webhook_secret, report), body: report });
    assert.equal(fine.statusCode, 200);
    await fine.body.dump();
  });
});

describe('verify names webhooks left on an old address', () => {
  let emu: Running;
  let t: TestApp;
  let p: Awaited<ReturnType<typeof createProjectWithTokens>>;
  before(async () => {
    emu = await startEmulator({ ...FAST, knobs: { enforce_whatsapp_window: false } });
    const port = await freePort();
    t = await startTestApp({ listen: true, port, env: { PUBLIC_URL: `http://127.0.0.1:${port}`, SINCH_AUTH_URL: emu.base, SINCH_CONVERSATION_URL_EU: emu.base, SANDBOX_ENABLED: 'false', ROLE: 'api' } });
    p = await createProjectWithTokens(t, 'Stale webhooks');
  });
  after(async () => {
    await t.close();
    await emu.close();
  });

  test('with the current address registered, a webhook on an old one is still reported (stale), and gone once replaced', async () => {
    const created = await call(t.app, 'POST', `/api/v1/projects/${p.id}/integrations`, p.adminToken, {
      provider: 'sinch_mobile_messaging', name: 'EU', sinch_project_id: PROJECT, app_id: APP, access_key: 'sandbox-key', access_secret: 'sandbox-secret', region: 'EU',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const at = (action: string) => `/api/v1/projects/${p.id}/integrations/${created.body.id as string}/${action}`;
    const path = new URL(created.body.callback_url as string).pathname;
    const old = `https://old-host.example.com${path}`;
    const sinch = await fetch(`${emu.base}/v1/projects/${PROJECT}/webhooks`, {
      method: 'POST', headers: { authorization: `Basic ${Buffer.from('sandbox-key:sandbox-secret').toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ app_id: APP, target: old, target_type: 'HTTP', triggers: ['MESSAGE_DELIVERY', 'MESSAGE_INBOUND'] }),
    });
    assert.equal(sinch.status, 200);
    assert.equal((await call(t.app, 'POST', at('register-webhook'), p.adminToken)).body.ok, true);

    const verified = await call(t.app, 'POST', at('verify'), p.adminToken);
    assert.equal(verified.status, 200);
    assert.deepEqual({ ok: verified.body.ok, registered: verified.body.webhook.registered, stale: verified.body.webhook.stale }, { ok: true, registered: true, stale: [old] });
    assert.ok(verified.body.webhook.hint.includes(old) && verified.body.webhook.hint.includes('replace_stale=true'), verified.body.webhook.hint);

    assert.deepEqual((await call(t.app, 'POST', `${at('register-webhook')}?replace_stale=true`, p.adminToken)).body.webhook.removed, [old]);
    const clean = await call(t.app, 'POST', at('verify'), p.adminToken);
    assert.deepEqual({ registered: clean.body.webhook.registered, stale: clean.body.webhook.stale, hint: clean.body.webhook.hint }, { registered: true, stale: [], hint: undefined });
  });
});

describe('event mapping for one channel', () => {
  let t: TestApp;
  let p: Awaited<ReturnType<typeof createProjectWithTokens>>;
  before(async () => {
    t = await startTestApp({ env: { ROLE: 'api' } });
    p = await createProjectWithTokens(t, 'Mapping');
  });
  after(() => t.close());
  const mapping = `/api/v1/projects/${'{id}'}/settings/event-mapping`;
  const put = (body: unknown) => call(t.app, 'PUT', mapping.replace('{id}', p.id), p.adminToken, body);

  test('PUT with one channel sets it and keeps the other; with none, 400 naming the field', async () => {
    const whatsapp = await put({ whatsapp: 'wa_sent' });
    assert.equal(whatsapp.status, 200, JSON.stringify(whatsapp.body));
    assert.deepEqual(whatsapp.body, { whatsapp: 'wa_sent', rcs: 'campaign' });
    const rcs = await put({ rcs: 'rcs_sent' });
    assert.deepEqual(rcs.body, { whatsapp: 'wa_sent', rcs: 'rcs_sent' });
    assert.deepEqual((await call(t.app, 'GET', mapping.replace('{id}', p.id), p.memberToken)).body, { whatsapp: 'wa_sent', rcs: 'rcs_sent' });
    const none = await put({});
    assert.equal(none.status, 400);
    assert.equal(none.body.error.field, 'whatsapp');
    const bad = await put({ rcs: 'Not Valid' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'rcs');
    assert.deepEqual((await call(t.app, 'GET', mapping.replace('{id}', p.id), p.memberToken)).body, { whatsapp: 'wa_sent', rcs: 'rcs_sent' });
  });
});
