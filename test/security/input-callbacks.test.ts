/**
 * Validly signed callbacks with odd bodies: keys that name Object.prototype members, bodies nested 100,000 deep, and
 * text holding NUL. Each is answered 200 once stored (a callback answered 2xx is never lost, and Sinch retries
 * anything else for ever), stored with the right trigger, and the list of callbacks keeps working. The same on
 * SQLite and PostgreSQL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createProjectWithTokens, sampleIntegration, startTestApp, type TestApp } from '../helpers/app.ts';
import { deliveryReport, sinchHeaders } from '../helpers/signing.ts';

describe('signed callbacks with odd bodies', () => {
  let t: TestApp;
  let p: Awaited<ReturnType<typeof createProjectWithTokens>>;
  let path: string;
  const secret = sampleIntegration.webhook_secret;
  const post = (body: string, headers = sinchHeaders(secret, body)) => t.app.inject({ method: 'POST', url: path, headers, payload: body });
  const stored = (id: string) => t.database.db.kysely.selectFrom('callbacks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const newest = async () => (await t.database.db.kysely.selectFrom('callbacks').select('id').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow()).id;
  const inbound = (id: string, identity: string, text: string) => JSON.stringify({
    app_id: sampleIntegration.app_id, project_id: sampleIntegration.sinch_project_id, event_time: '2026-11-24T10:00:00Z',
    message: { id, direction: 'TO_APP', channel_identity: { channel: 'WHATSAPP', identity, app_id: '' }, contact_message: { text_message: { text } }, accept_time: '2026-11-24T10:00:00Z' },
  });

  before(async () => {
    t = await startTestApp({ env: { ROLE: 'api' } });
    p = await createProjectWithTokens(t, 'Odd callbacks');
    const i = await call(t.app, 'POST', `/api/v1/projects/${p.id}/integrations`, p.adminToken, sampleIntegration);
    path = new URL(i.body.callback_url as string).pathname;
    // Two-way on for WhatsApp: inbound messages are tracked as events too.
    await call(t.app, 'PUT', `/api/v1/projects/${p.id}/settings/channels`, p.adminToken, { whatsapp_integration_id: i.body.id, rcs_integration_id: null });
  });
  after(() => t.close());

  for (const key of ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__']) {
    test(`a top-level "${key}" key: 200, stored as the unknown trigger it is (it answered 500 or was stored as a function)`, async () => {
      const body = `{"app_id": "a", "${key}": {"x": 1}}`;
      const r = await post(body);
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json(), { received: true, duplicate: false });
      const row = await stored(await newest());
      assert.equal(row.trigger, `UNKNOWN:${key}`);
      assert.equal(row.outcome, 'stored');
      assert.equal(row.body, body);
    });
  }

  test('such a key before the real one: the report is read as the delivery report it is', async () => {
    const body = deliveryReport('01JODDKEYS0000000000000001', 'DELIVERED').replace(/^\{/, '{"constructor": 1, "toString": "x", "__proto__": {"polluted": true}, ');
    const r = await post(body);
    assert.equal(r.statusCode, 200, r.body);
    const row = await stored(await newest());
    assert.deepEqual({ trigger: row.trigger, outcome: row.outcome, provider_message_id: row.provider_message_id }, {
      trigger: 'MESSAGE_DELIVERY', outcome: 'unknown_message', provider_message_id: '01JODDKEYS0000000000000001',
    });
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'nothing reached Object.prototype');
  });

  test('a body nested 100,000 deep: 200, stored as UNKNOWN with outcome too_deep, and the list of callbacks still answers', async () => {
    const before = inbound('MO-ODD-BEFORE', '46732003001', 'before');
    assert.equal((await post(before)).statusCode, 200);
    const deep = `{"app_id": "a", "message": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const r = await post(deep);
    assert.equal(r.statusCode, 200, r.body);
    const id = await newest();
    const row = await stored(id);
    assert.deepEqual({ trigger: row.trigger, outcome: row.outcome, provider_message_id: row.provider_message_id }, { trigger: 'UNKNOWN', outcome: 'too_deep', provider_message_id: null });
    assert.equal(row.body, deep, 'the exact bytes are kept');
    const afterIt = inbound('MO-ODD-AFTER', '46732003002', 'after');
    assert.equal((await post(afterIt)).statusCode, 200);

    const list = await call(t.app, 'GET', `/api/v1/projects/${p.id}/callbacks?limit=3`, p.memberToken);
    assert.equal(list.status, 200, JSON.stringify(list.body).slice(0, 300));
    assert.equal(list.body.data.length, 3);
    const shown = list.body.data.find((c: any) => c.id === id);
    assert.equal(shown.body, deep, 'too deep to write out as JSON: shown as the text received');
    assert.deepEqual(list.body.data.filter((c: any) => c.id !== id).map((c: any) => c.body.message.contact_message.text_message.text).sort(), ['after', 'before']);
    const filtered = await call(t.app, 'GET', `/api/v1/projects/${p.id}/callbacks?outcome=too_deep`, p.memberToken);
    assert.deepEqual(filtered.body.data.map((c: any) => c.id), [id]);
  });

  test('an inbound message whose text holds NUL is applied alike on both databases (U+FFFD), not left failing', async () => {
    const body = inbound('MO-ODD-NUL', '46732003003', 'hi\u0000there');
    assert.match(body, /\\u0000/);
    const r = await post(body);
    assert.equal(r.statusCode, 200, r.body);
    const row = await stored(await newest());
    assert.deepEqual({ trigger: row.trigger, outcome: row.outcome, last_error: row.last_error, next_attempt_at: row.next_attempt_at }, {
      trigger: 'MESSAGE_INBOUND', outcome: 'inbound_stored', last_error: null, next_attempt_at: null,
    });
    assert.equal(row.body, body);
    const conversations = await call(t.app, 'GET', `/api/v1/projects/${p.id}/conversations`, p.memberToken);
    const conversation = conversations.body.data.find((c: any) => c.phone === '+46732003003');
    const thread = await call(t.app, 'GET', `/api/v1/projects/${p.id}/conversations/${conversation.id as string}`, p.memberToken);
    assert.deepEqual(thread.body.items.map((m: any) => m.text), ['hi\uFFFDthere']);
    const events = await call(t.app, 'GET', `/api/v1/projects/${p.id}/events?status=incoming_message&recipient=%2B46732003003`, p.memberToken);
    assert.equal(events.body.data.length, 1);
    assert.equal(events.body.data[0].properties.text, 'hi\uFFFDthere');
  });
});
