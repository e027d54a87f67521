import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createProjectWithTokens } from '../helpers/app.ts';
import { sandboxIntegration, startSandboxApp, whatsappTemplate, type SandboxApp } from '../helpers/sandbox.ts';
import { waitFor } from '../helpers/wait.ts';

/** Two-way messaging driven by the emulator's inbound injection (a customer typing on their phone). */
describe('two-way messaging', () => {
  let s: SandboxApp;
  before(async () => { s = await startSandboxApp(); });
  after(() => s.close());

  const api = (method: 'GET' | 'POST' | 'PUT' | 'PATCH', path: string, body?: unknown) =>
    call(s.app, method, `/api/v1/projects/${s.project.id}${path}`, s.project.adminToken, body);
  const inject = (body: Record<string, unknown>, app = 'sandbox-app') => s.control('POST', `/apps/${app}/inbound`, body);
  const inboundEvent = (phone: string, predicate: (p: any) => boolean = () => true) => waitFor(async () => {
    const rows = await s.database.db.kysely.selectFrom('events').selectAll().where('status', '=', 'incoming_message').where('recipient', '=', phone).orderBy('id').execute();
    return rows.map((r) => ({ ...JSON.parse(r.properties_json), event: r.event })).filter(predicate).at(-1);
  }, `incoming_message from ${phone}`);
  const customer = async (phone: string) => (await api('GET', `/customers/${encodeURIComponent(phone)}`)).body;

  test('each inbound kind is stored on an auto-created customer and conversation and tracked as incoming_message', async () => {
    const phone = '+46732101001';
    const kinds: Array<[string, Record<string, unknown>]> = [
      ['text_message', { text: 'Hello there' }],
      ['media_message', { contact_message: { media_message: { url: 'https://example.com/photo.jpg' } } }],
      ['media_card_message', { contact_message: { media_card_message: { url: 'https://example.com/p.jpg', caption: 'look' } } }],
      ['location_message', { contact_message: { location_message: { coordinates: { latitude: 59.3, longitude: 18.1 }, title: 'Home' } } }],
      ['product_response_message', { contact_message: { product_response_message: { products: [{ id: 'sku-1', marketplace: 'FACEBOOK', quantity: 2, item_price: 9.5, currency: 'EUR' }], catalog_id: 'cat-1' } } }],
      ['fallback_message', { contact_message: { fallback_message: { raw_message: '{"sticker":1}', reason: { code: 'UNSUPPORTED', description: 'sticker' } } } }],
    ];
    for (const [kind, payload] of kinds) {
      await inject({ identity: phone.slice(1), channel: 'WHATSAPP', ...payload });
      const e = await inboundEvent(phone, (p) => p.content_kind === kind);
      assert.equal(e.status, 'incoming_message');
      assert.equal(e.action_type, 'whatsapp');
      assert.equal(e.event, 'campaign');
      assert.equal(e.direction, 'inbound');
      assert.ok(e.content[kind], `content of ${kind}`);
      assert.equal(e.sender, '+46732000000', 'the business number it was sent to');
      assert.equal(typeof e.sent_timestamp, 'number');
    }
    const c = await customer(phone);
    assert.equal(c.phone, phone);
    assert.equal(c.whatsapp_window.open, true);
    const list = await api('GET', `/conversations?customer_id=${c.id}`);
    assert.equal(list.body.data.length, 1);
    assert.equal(list.body.data[0].unread_count, kinds.length);
    const thread = await api('GET', `/conversations/${list.body.data[0].id}`);
    assert.deepEqual(thread.body.items.map((i: any) => i.kind), kinds.map(([k]) => k));
    const read = await api('POST', `/conversations/${list.body.data[0].id}/read`);
    assert.equal(read.body.unread_count, 0);
  });

  test('a campaign reply (reply_to) and a button tap (choice response) are attributed to the campaign and the message', async () => {
    const phone = '+46732101002';
    await inject({ identity: phone.slice(1), channel: 'WHATSAPP', text: 'hi' }); // opens the window for the interactive message
    await inboundEvent(phone);
    const sent = await s.send({ channel: 'whatsapp', to: phone, campaign_id: 'autumn-42', message: { choice_message: { text_message: { text: 'Join?' }, choices: [{ text_message: { text: 'Yes' }, postback_data: 'join-yes' }] } } });
    assert.equal(sent.status, 202);
    const m = await s.waitForMessage(sent.body.id, (x) => x.provider_message_id !== null);
    await inject({ identity: phone.slice(1), channel: 'WHATSAPP', text: 'Tell me more', reply_to: m.provider_message_id });
    const reply = await inboundEvent(phone, (p) => p.text === 'Tell me more');
    assert.equal(reply.campaign_id, 'autumn-42');
    assert.equal(reply.reply_to_message_id, sent.body.id);
    await inject({ identity: phone.slice(1), channel: 'WHATSAPP', contact_message: { choice_response_message: { message_id: m.provider_message_id, postback_data: 'join-yes' } } });
    const tap = await inboundEvent(phone, (p) => p.content_kind === 'choice_response_message');
    assert.equal(tap.campaign_id, 'autumn-42');
    assert.equal(tap.postback_data, 'join-yes');
    assert.equal(tap.reply_to_message_id, sent.body.id);
  });

  test('keyword matching edge cases (dry run)', async () => {
    const cases: Array<[string, string | null]> = [
      ['stop', 'STOP'], ['Stop please', 'STOP'], ['STOP.', 'STOP'], ['don\'t stop', null], ['Stóp', 'STOP'], ['   stop', 'STOP'],
      ['STOPALL', 'STOPALL'], ['stopping', null], ['help', 'HELP'], ['Unsubscribe me', 'UNSUBSCRIBE'], ['start', 'START'],
    ];
    for (const [text, keyword] of cases) {
      const r = await api('POST', '/keyword-rules/dry-run', { text, channel: 'whatsapp' });
      assert.equal(r.status, 200);
      assert.equal(r.body.rule?.keyword ?? null, keyword, JSON.stringify(text));
      assert.equal(r.body.matched, keyword !== null);
    }
    const stop = await api('POST', '/keyword-rules/dry-run', { text: 'STOP', channel: 'sms' });
    assert.equal(stop.body.channel_group, 'rcs_sms');
    assert.deepEqual(stop.body.would.slice(0, 2), ['revoke rcs consent', 'revoke sms consent']);
  });

  test('STOP: consent revoked in the ledger, the confirmation still delivered, later sends refused; START grants it back', async () => {
    const phone = '+46732101003';
    await inject({ identity: phone.slice(1), channel: 'WHATSAPP', text: '  Stóp please' });
    const e = await inboundEvent(phone);
    assert.equal(e.keyword, 'STOP');
    const c = await waitFor(async () => { const x = await customer(phone); return x.consent.whatsapp === 'revoked' ? x : undefined; }, 'revocation');
    assert.deepEqual(c.consent, { whatsapp: 'revoked', rcs: 'unknown', sms: 'unknown' });
    const ledger = await api('GET', `/customers/${c.id}/consent`);
    assert.equal(ledger.body.data.length, 1);
    assert.deepEqual({ ...ledger.body.data[0], id: undefined, at: undefined, rule_id: undefined, inbound_message_id: undefined }, {
      id: undefined, at: undefined, rule_id: undefined, inbound_message_id: undefined, channel: 'whatsapp', action: 'revoke', source: 'keyword', keyword: 'STOP', token_id: null,
    });
    assert.ok(ledger.body.data[0].rule_id);
    assert.ok(ledger.body.data[0].inbound_message_id);
    // The confirmation went out after the block and reached the phone.
    const confirmation = await waitFor(async () => {
      const r = await api('GET', `/messages?recipient=${encodeURIComponent(phone)}`);
      return r.body.data.find((m: any) => m.status === 'read' || m.status === 'delivered');
    }, 'the opt-out confirmation delivered');
    assert.match(confirmation.message.text_message.text, /unsubscribed/);
    // A marketing send is refused before reaching Sinch, and the API says why.
    const refused = await s.send({ channel: 'whatsapp', to: phone, message: whatsappTemplate });
    assert.equal(refused.status, 202);
    assert.equal(refused.body.status, 'enqueued_failed');
    assert.equal(refused.body.error, 'CONSENT_REVOKED');
    assert.match(refused.body.error_description, /revoked/);
    assert.equal(refused.body.provider_message_id, null);
    const stored = await s.getMessage(refused.body.id);
    assert.equal(stored.timeline.filter((t: any) => t.kind === 'attempt').length, 0, 'never handed to Sinch');
    // START grants consent again; sends go through.
    await inject({ identity: phone.slice(1), channel: 'WHATSAPP', text: 'START' });
    await waitFor(async () => ((await customer(phone)).consent.whatsapp === 'granted' ? true : undefined), 'grant');
    const ok = await s.send({ channel: 'whatsapp', to: phone, message: whatsappTemplate });
    assert.equal(ok.body.status, 'queued');
    assert.equal((await api('GET', `/customers/${c.id}/consent`)).body.data.length, 2);
  });

  test('STOP on RCS revokes RCS and SMS consent, not WhatsApp', async () => {
    const phone = '+46732101004';
    await inject({ identity: phone.slice(1), channel: 'RCS', text: 'STOP' });
    const c = await waitFor(async () => { const x = await customer(phone).catch(() => undefined); return x?.consent?.rcs === 'revoked' ? x : undefined; }, 'rcs revocation');
    assert.deepEqual(c.consent, { whatsapp: 'unknown', rcs: 'revoked', sms: 'revoked' });
    const refused = await s.send({ channel: 'rcs', to: phone, message: { text_message: { text: 'promo' } } });
    assert.equal(refused.body.error, 'CONSENT_REVOKED');
  });

  test('WhatsApp window: free-form refused before Sinch when closed, templates always pass; open after an inbound', async () => {
    const phone = '+46732101005';
    const closed = await s.send({ channel: 'whatsapp', to: phone, message: { text_message: { text: 'hello' } } });
    assert.equal(closed.body.status, 'enqueued_failed');
    assert.equal(closed.body.error, 'OUTSIDE_WHATSAPP_WINDOW');
    assert.match(closed.body.error_description, /template/);
    const template = await s.send({ channel: 'whatsapp', to: phone, message: whatsappTemplate });
    assert.equal(template.body.status, 'queued');
    await inject({ identity: phone.slice(1), channel: 'WHATSAPP', text: 'hey' });
    await inboundEvent(phone);
    const c = await customer(phone);
    assert.equal(c.whatsapp_window.open, true);
    assert.ok(Date.parse(c.whatsapp_window.closes_at) > Date.now() + 23 * 3600 * 1000);
    const open = await s.send({ channel: 'whatsapp', to: phone, message: { text_message: { text: 'hello again' } } });
    assert.equal(open.body.status, 'queued');
    const m = await s.waitForMessage(open.body.id, (x) => x.status === 'read');
    assert.equal(m.error, null);
    const conv = (await api('GET', `/conversations?customer_id=${c.id}`)).body.data[0];
    assert.equal(conv.whatsapp_window.open, true);
  });

  test('a reply from the thread goes through the send pipeline and shows in order', async () => {
    const phone = '+46732101006';
    await inject({ identity: phone.slice(1), channel: 'WHATSAPP', text: 'Where is my order?' });
    await inboundEvent(phone);
    const c = await customer(phone);
    const conv = (await api('GET', `/conversations?customer_id=${c.id}`)).body.data[0];
    const r = await call(s.app, 'POST', `/api/v1/projects/${s.project.id}/conversations/${conv.id}/messages`, s.project.memberToken, { message: { text_message: { text: 'On its way!' } } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    await s.waitForMessage(r.body.id, (x) => x.status === 'read');
    const thread = (await api('GET', `/conversations/${conv.id}`)).body;
    assert.deepEqual(thread.items.map((i: any) => [i.direction, i.text ?? i.message?.text_message?.text]), [['inbound', 'Where is my order?'], ['outbound', 'On its way!']]);
    assert.equal(thread.items[1].status, 'read');
  });

  test('without a default provider two-way is off: inbound is stored but not tracked, STOP still revokes consent, no auto-response, settings say why', async () => {
    const other = await createProjectWithTokens(s, 'No two-way');
    const integ = await call(s.app, 'POST', `/api/v1/projects/${other.id}/integrations`, other.adminToken, { ...sandboxIntegration, app_id: 'second-app', access_key: 'second-key' });
    assert.equal(integ.status, 201);
    const settings = await call(s.app, 'GET', `/api/v1/projects/${other.id}/settings/two-way`, other.memberToken);
    assert.equal(settings.body.whatsapp.enabled, false);
    assert.match(settings.body.whatsapp.reason, /default WhatsApp provider/);
    const phone = '+46732101007';
    await inject({ identity: phone.slice(1), channel: 'WHATSAPP', text: 'STOP' }, 'second-app');
    const row = await waitFor(async () => s.database.db.kysely.selectFrom('inbound_messages').selectAll().where('project_id', '=', other.id).executeTakeFirst(), 'stored inbound');
    assert.equal(row.text, 'STOP');
    // The inbound message, the consent change and anything it would trigger commit together: nothing to wait for.
    const cust = await call(s.app, 'GET', `/api/v1/projects/${other.id}/customers/${encodeURIComponent(phone)}`, other.adminToken);
    assert.equal(cust.body.consent.whatsapp, 'revoked', 'an opt-out is honoured even without two-way');
    const ledger = await call(s.app, 'GET', `/api/v1/projects/${other.id}/customers/${cust.body.id}/consent`, other.adminToken);
    assert.deepEqual(ledger.body.data.map((e: { action: string; keyword: string }) => [e.action, e.keyword]), [['revoke', 'STOP']]);
    const callback = await s.database.db.kysely.selectFrom('callbacks').select('outcome').where('project_id', '=', other.id).executeTakeFirstOrThrow();
    assert.equal(callback.outcome, 'keyword_revoke_consent_no_reply');
    const tracked = await s.database.db.kysely.selectFrom('events').select('status').where('project_id', '=', other.id).execute();
    assert.deepEqual(tracked, [], 'incoming_message requires two-way messaging to be enabled (product page)');
    const sent = await call(s.app, 'GET', `/api/v1/projects/${other.id}/messages`, other.adminToken);
    assert.equal(sent.body.data.length, 0, 'no auto-response');
  });

  test('customers API: create, look up, patch attributes and consent (ledger), duplicates refused', async () => {
    const created = await api('POST', '/customers', { phone: '+46 73 210 10 08', attributes: { name: 'Ada', tier: 'gold' }, consent: { whatsapp: 'granted' } });
    assert.equal(created.status, 201);
    assert.equal(created.body.phone, '+46732101008');
    assert.deepEqual(created.body.consent, { whatsapp: 'granted', rcs: 'unknown', sms: 'unknown' });
    assert.equal((await api('POST', '/customers', { phone: '+46732101008' })).status, 409);
    const bad = await api('POST', '/customers', { phone: '12' });
    assert.equal(bad.body.error.field, 'phone');
    const patched = await api('PATCH', `/customers/${created.body.id}`, { attributes: { tier: null, city: 'Lund' }, consent: { whatsapp: 'revoked' } });
    assert.deepEqual(patched.body.attributes, { name: 'Ada', city: 'Lund' });
    assert.equal(patched.body.consent.whatsapp, 'revoked');
    const ledger = await api('GET', `/customers/${created.body.id}/consent`);
    assert.deepEqual(ledger.body.data.map((l: any) => [l.action, l.source]), [['grant', 'api'], ['revoke', 'api']]);
    const listed = await api('GET', '/customers?consent_channel=whatsapp&consent_state=revoked');
    assert.ok(listed.body.data.some((x: any) => x.id === created.body.id));
  });

  test('keyword rules and the consent ledger page with limit and cursor, each item once, in order', async () => {
    const all = (await api('GET', '/keyword-rules?limit=1000')).body.data as Array<{ id: string }>;
    assert.ok(all.length >= 20);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await api('GET', `/keyword-rules?limit=7${cursor !== null ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200);
      assert.ok(page.body.data.length <= 7);
      paged.push(...page.body.data.map((r: { id: string }) => r.id));
      cursor = page.body.next_cursor;
    } while (cursor !== null);
    assert.deepEqual(paged, all.map((r) => r.id));
    const whatsapp = (await api('GET', '/keyword-rules?channel_group=whatsapp&limit=3')).body;
    assert.equal(whatsapp.data.length, 3);
    assert.ok(whatsapp.data.every((r: { channel_group: string }) => r.channel_group === 'whatsapp'));
    assert.equal((await api('GET', '/keyword-rules?cursor=bogus')).body.error.field, 'cursor');

    const created = await api('POST', '/customers', { phone: '+46732101077', consent: { whatsapp: 'granted', rcs: 'revoked', sms: 'revoked' } });
    const ledger = `/customers/${created.body.id as string}/consent`;
    const first = await api('GET', `${ledger}?limit=2`);
    assert.equal(first.body.data.length, 2);
    assert.notEqual(first.body.next_cursor, null);
    const rest = await api('GET', `${ledger}?limit=2&cursor=${first.body.next_cursor as string}`);
    assert.equal(rest.body.data.length, 1);
    assert.equal(rest.body.next_cursor, null);
    assert.deepEqual([...first.body.data, ...rest.body.data].map((e: { channel: string }) => e.channel).sort(), ['rcs', 'sms', 'whatsapp']);
  });

  test('a thread moves up the list when the business writes to the customer, whichever way the message is sent', async () => {
    const [older, newer] = ['+46732101081', '+46732101082'];
    await inject({ identity: older.slice(1), channel: 'WHATSAPP', text: 'first' });
    await inboundEvent(older);
    await inject({ identity: newer.slice(1), channel: 'WHATSAPP', text: 'second' });
    await inboundEvent(newer);
    const order = async () => ((await api('GET', '/conversations?limit=1000')).body.data as Array<{ phone: string }>)
      .map((c) => c.phone).filter((phone) => phone === older || phone === newer);
    assert.deepEqual(await order(), [newer, older]);
    const sent = await api('POST', '/messages', { channel: 'whatsapp', to: older, message: { text_message: { text: 'Any news?' } } });
    assert.equal(sent.status, 202);
    assert.deepEqual(await order(), [older, newer], 'a send through the messages API counts as thread activity');
  });

  test('keyword rules: add, refuse duplicates, disable', async () => {
    const added = await api('POST', '/keyword-rules', { keyword: 'Désabonner', action: 'revoke_consent', reply_text: 'Au revoir', channel_group: 'whatsapp' });
    assert.equal(added.status, 201);
    assert.equal(added.body.keyword, 'DESABONNER');
    assert.equal((await api('POST', '/keyword-rules', { keyword: 'desabonner', action: 'no_action', channel_group: 'whatsapp' })).status, 409);
    assert.equal((await api('POST', '/keyword-rules/dry-run', { text: 'désabonner', channel: 'whatsapp' })).body.rule.id, added.body.id);
    await api('PATCH', `/keyword-rules/${added.body.id}`, { enabled: false });
    assert.equal((await api('POST', '/keyword-rules/dry-run', { text: 'désabonner', channel: 'whatsapp' })).body.matched, false);
    const member = await call(s.app, 'POST', `/api/v1/projects/${s.project.id}/keyword-rules`, s.project.memberToken, { keyword: 'X', action: 'no_action', channel_group: 'whatsapp' });
    assert.equal(member.status, 403);
  });
});
