import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createProjectWithTokens } from '../helpers/app.ts';
import { startSandboxApp, whatsappTemplate, type SandboxApp } from '../helpers/sandbox.ts';

const media = { url: 'https://example.com/pic.jpg' };
const card = { title: 'Autumn sale', description: 'Everything -20%', media_message: media, choices: [{ text_message: { text: 'Shop now' } }] };
const contents: Record<string, Record<string, unknown>> = {
  text: { text_message: { text: 'Hello from the test' } },
  media: { media_message: media },
  card: { card_message: card },
  carousel: { carousel_message: { cards: [card, { ...card, title: 'Winter sale' }] } },
  choice: { choice_message: { text_message: { text: 'Pick one' }, choices: [{ text_message: { text: 'A' } }, { text_message: { text: 'B' } }] } },
  location: { location_message: { coordinates: { latitude: 59.33, longitude: 18.06 }, title: 'Office' } },
};

describe('sending through the pipeline to the sandbox', () => {
  let s: SandboxApp;
  // The pipeline itself is under test here: our own WhatsApp window check is off (tested in two-way tests).
  before(async () => { s = await startSandboxApp({ whatsappWindowCheck: false }); });
  after(() => s.close());

  const cases: Array<[string, 'whatsapp' | 'rcs', Record<string, unknown>]> = [
    ...Object.entries(contents).flatMap(([kind, message]) => (['whatsapp', 'rcs'] as const).map((ch): [string, 'whatsapp' | 'rcs', Record<string, unknown>] => [kind, ch, message])),
    ['template', 'whatsapp', whatsappTemplate],
    ['template', 'rcs', { template_message: { omni_template: { template_id: 'promo', version: '1' } } }],
    ['list', 'whatsapp', { list_message: { title: 'Menu', sections: [{ title: 'Drinks', items: [{ choice: { title: 'Coffee' } }, { choice: { title: 'Tea' } }] }] } }],
  ];
  for (const [kind, channel, message] of cases) {
    test(`${kind} on ${channel}: 202 queued, then enqueued with Sinch's message id`, async () => {
      const r = await s.send({ channel, to: '+46 73 200 11 22', message, campaign_id: 'cmp-1' });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.equal(r.body.status, 'queued');
      assert.equal(r.body.to, '+46732001122');
      // Sinch's first report may be applied before the attempt's own outcome is recorded: wait for both.
      const m = await s.waitForMessage(r.body.id, (x) => x.status !== 'queued' && x.timeline.some((e: any) => e.kind === 'attempt' && e.detail.outcome !== 'in_flight'));
      assert.equal(m.status === 'enqueued' || ['sent', 'delivered', 'read', 'failed', 'rejected'].includes(m.status), true, m.status);
      assert.match(m.provider_message_id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
      const seen = await s.control('GET', `/messages/${m.provider_message_id}`);
      const seenText = JSON.stringify(seen);
      assert.ok(seenText.includes(r.body.id), 'our id travels as message_metadata / correlation_id');
      assert.ok(seenText.includes('46732001122'));
      assert.ok(!seenText.includes('+46732001122'), 'identities go without +');
      assert.equal(m.timeline.filter((e: any) => e.kind === 'attempt').length, 1);
      assert.equal(m.timeline.find((e: any) => e.kind === 'attempt').detail.outcome, 'accepted');
    });
  }

  test('the enqueued event carries the seed\'s properties', async () => {
    const r = await s.send({ channel: 'whatsapp', to: '+46732001122', message: whatsappTemplate, campaign_id: '123546' });
    const m = await s.waitForMessage(r.body.id, (x) => x.status !== 'queued');
    const events = await s.app.inject({ method: 'GET', url: `/api/v1/projects/${s.project.id}/messages/${m.id}`, headers: { authorization: `Bearer ${s.project.memberToken}` } });
    assert.equal(events.statusCode, 200);
    const rows = await s.database.db.kysely.selectFrom('events').selectAll().where('message_id', '=', m.id).where('status', '=', 'enqueued').execute();
    assert.equal(rows.length, 1);
    const p = JSON.parse(rows[0]!.properties_json);
    assert.deepEqual({ ...p, sent_timestamp: typeof p.sent_timestamp }, {
      message_type: 'campaign', action_type: 'whatsapp', campaign_id: '123546', recipient: '+46732001122', sender: '+46732000000',
      sent_timestamp: 'number', status: 'enqueued', error: null, error_description: null, message_id: m.id, integration_id: s.integrationId,
    });
    assert.equal(rows[0]!.event, 'campaign');
  });

  test('RCS with SMS fallback to a customer who revoked SMS consent: sent as RCS only, and the timeline says why', async () => {
    const phone = '+46732001188';
    const customer = await call(s.app, 'POST', `/api/v1/projects/${s.project.id}/customers`, s.project.adminToken, { phone, consent: { sms: 'revoked' } });
    assert.equal(customer.status, 201, JSON.stringify(customer.body));
    const r = await s.send({ channel: 'rcs', to: phone, message: contents.text, channel_priority_order: ['rcs', 'sms'] });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const m = await s.waitForMessage(r.body.id, (x) => x.provider_message_id !== null);
    const atSinch = await s.control('GET', `/messages/${m.provider_message_id}`);
    assert.deepEqual(atSinch.request.recipient.identified_by.channel_identities.map((c: { channel: string }) => c.channel), ['RCS']);
    assert.equal(atSinch.request.channel_priority_order, undefined);
    const dropped = m.timeline.filter((e: { kind: string }) => e.kind === 'sms_fallback_dropped');
    assert.equal(dropped.length, 1);
    assert.equal(dropped[0].detail.reason, 'CONSENT_REVOKED');
  });

  test('RCS with SMS fallback sends both identities and the SMS sender', async () => {
    const r = await s.send({ channel: 'rcs', to: '+46732001122', message: contents.text, channel_priority_order: ['rcs', 'sms'] });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.deepEqual(r.body.channel_priority_order, ['rcs', 'sms']);
    const m = await s.waitForMessage(r.body.id, (x) => x.provider_message_id !== null);
    const seen = JSON.stringify(await s.control('GET', `/messages/${m.provider_message_id}`));
    assert.ok(seen.includes('+46732000099') || seen.includes('46732000099'), 'SMS_SENDER from the integration');
    assert.ok(seen.includes('"SMS"'));
  });

  const invalid: Array<[string, Record<string, unknown>, number, string, RegExp]> = [
    ['a national number', { channel: 'whatsapp', to: '0732001122', message: contents.text }, 400, 'to', /international/],
    ['an impossible number', { channel: 'whatsapp', to: '+46 12', message: contents.text }, 400, 'to', /not a possible phone number/],
    ['RCS text over 3072 characters', { channel: 'rcs', to: '+46732001122', message: { text_message: { text: 'x'.repeat(3073) } } }, 400, 'message.text_message.text', /3072/],
    ['two kinds at once', { channel: 'rcs', to: '+46732001122', message: { ...contents.text, ...contents.media } }, 400, 'message', /exactly one/],
    ['an unknown kind', { channel: 'rcs', to: '+46732001122', message: { hologram_message: {} } }, 400, 'message.hologram_message', /not a known field/],
    ['a list on RCS', { channel: 'rcs', to: '+46732001122', message: { list_message: { title: 'M', sections: [{ items: [{ choice: { title: 'a' } }] }] } } }, 400, 'message.list_message', /not supported on RCS/],
    ['eleven choices', { channel: 'rcs', to: '+46732001122', message: { choice_message: { text_message: { text: 'x' }, choices: Array.from({ length: 11 }, (_, i) => ({ text_message: { text: `c${i}` } })) } } }, 400, 'message.choice_message.choices', /^message.choice_message.choices must have at most 10 items$/],
    ['an unknown channel', { channel: 'telegram', to: '+46732001122', message: contents.text }, 400, 'channel', /whatsapp, rcs/],
    ['another project\'s integration', { channel: 'rcs', to: '+46732001122', message: contents.text, integration_id: 'int_nope' }, 400, 'integration_id', /integration of this project/],
    ['SMS fallback on WhatsApp', { channel: 'whatsapp', to: '+46732001122', message: contents.text, channel_priority_order: ['rcs', 'sms'] }, 400, 'channel_priority_order', /rcs/],
  ];
  for (const [name, body, status, field, message] of invalid) {
    test(`refused before queueing: ${name}`, async () => {
      const before = await s.database.db.kysely.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const r = await s.send(body);
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(r.body.error.field, field);
      assert.match(r.body.error.message, message);
      const afterCount = await s.database.db.kysely.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(afterCount.n), Number(before.n), 'nothing was written');
    });
  }

  test('no integration and no default provider: 422 no_default_provider', async () => {
    const other = await createProjectWithTokens(s, 'No defaults');
    const r = await call(s.app, 'POST', `/api/v1/projects/${other.id}/messages`, other.memberToken, { channel: 'rcs', to: '+46732001122', message: contents.text });
    assert.equal(r.status, 422);
    assert.equal(r.body.error.code, 'no_default_provider');
  });

  test('Idempotency-Key: same body returns the first response, a different body 422', async () => {
    const body = { channel: 'whatsapp', to: '+46732001122', message: whatsappTemplate };
    const first = await s.send(body, { 'idempotency-key': 'order-42' });
    const again = await s.send({ message: whatsappTemplate, to: '+46732001122', channel: 'whatsapp' }, { 'idempotency-key': 'order-42' });
    assert.equal(first.status, 202);
    assert.equal(again.status, 202);
    assert.deepEqual(again.body, first.body);
    const clash = await s.send({ ...body, campaign_id: 'other' }, { 'idempotency-key': 'order-42' });
    assert.equal(clash.status, 422);
    assert.equal(clash.body.error.code, 'idempotency_key_reused');
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => s.send(body, { 'idempotency-key': 'race-1' })));
    assert.equal(new Set(concurrent.map((c) => c.body.id)).size, 1);
    const listed = await call(s.app, 'GET', `/api/v1/projects/${s.project.id}/messages?limit=1000`, s.project.memberToken);
    assert.equal(listed.body.data.filter((m: any) => m.id === first.body.id).length, 1);
  });

  test('a message from another project is 404', async () => {
    const other = await createProjectWithTokens(s, 'Other');
    const r = await s.send({ channel: 'whatsapp', to: '+46732001122', message: whatsappTemplate });
    assert.equal((await call(s.app, 'GET', `/api/v1/projects/${other.id}/messages/${r.body.id}`, other.adminToken)).status, 404);
    assert.equal((await call(s.app, 'GET', `/api/v1/projects/${s.project.id}/messages/${r.body.id}`, other.adminToken)).status, 404);
  });

  test('list filters by status, recipient and campaign, newest first, with a cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await s.send({ channel: 'rcs', to: '+46732009876', message: contents.text, campaign_id: 'list-test' })).body.id);
    const base = `/api/v1/projects/${s.project.id}/messages?campaign_id=list-test&recipient=%2B46732009876`;
    const page1 = await call(s.app, 'GET', `${base}&limit=2`, s.project.memberToken);
    assert.deepEqual(page1.body.data.map((m: any) => m.id), [ids[2], ids[1]]);
    const page2 = await call(s.app, 'GET', `${base}&limit=2&cursor=${page1.body.next_cursor}`, s.project.memberToken);
    assert.deepEqual(page2.body.data.map((m: any) => m.id), [ids[0]]);
    assert.equal(page2.body.next_cursor, null);
  });
});
