import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConversationCallbackWebhooks, SinchClient } from '@sinch/sdk-core';
import { APP, PROJECT, call, startEmulator, startReceiver, statusesOf, type Receiver, type Running } from './helpers.ts';

let emu: Running;
let rx: Receiver;
let offset = 0;
before(async () => {
  emu = await startEmulator({
    delays: { queuedMs: 5, deliveredMs: 5, readMs: 5 },
    callbackRetryScheduleMs: [50],
    now: () => Date.now() + offset,
    knobs: { enforce_whatsapp_window: false },
  });
  rx = await startReceiver();
});
after(async () => { await rx.close(); await emu.close(); });

function client(): SinchClient {
  return new SinchClient({
    projectId: PROJECT,
    keyId: 'sandbox-key',
    keySecret: 'sandbox-secret',
    conversationRegion: 'us',
    authHostname: emu.base,
    conversationHostname: emu.base,
    conversationTemplatesHostname: emu.base,
  });
}

test('the official @sinch/sdk-core client gets a token, registers a webhook and sends messages', async () => {
  const sinch = client();
  const webhook = await sinch.conversation.webhooks.create({
    webhookCreateRequestBody: { app_id: APP, target: `${rx.url}/sdk`, target_type: 'HTTP', triggers: ['MESSAGE_DELIVERY'], secret: 'sdk-secret' },
  });
  assert.equal(webhook.app_id, APP);
  const listed = await sinch.conversation.webhooks.list({ app_id: APP });
  assert.ok(listed.webhooks?.some((w) => w.id === webhook.id));

  const sent = await sinch.conversation.messages.send({
    sendMessageRequestBody: {
      app_id: APP,
      recipient: { identified_by: { channel_identities: [{ channel: 'WHATSAPP', identity: '46700004000' }] } },
      message: { text_message: { text: 'Hello from the SDK' } },
      message_metadata: 'sdk-meta',
      ttl: 60,
    },
  });
  assert.match(sent.message_id ?? '', /^[0-9A-Z]{26}$/);
  assert.ok(sent.accepted_time instanceof Date);

  const typed = await sinch.conversation.messages.sendTemplateMessage({
    sendMessageRequestBody: {
      app_id: APP,
      recipient: { identified_by: { channel_identities: [{ channel: 'WHATSAPP', identity: '46700004000' }] } },
      message: { template_message: { channel_template: { WHATSAPP: { template_id: 'welcome', version: '1', language_code: 'en_US', parameters: { 'body[1]text': 'Ana' } } } } },
    },
  });
  await rx.waitFor((all) => statusesOf(all, sent.message_id!).includes('READ') && statusesOf(all, typed.message_id!).includes('READ'));
  assert.equal(emu.emulator.state.messages.get(sent.message_id!)!.request.ttl, '60s');
  await sinch.conversation.webhooks.delete({ webhook_id: webhook.id! });
});

test('the SDK refreshes an expired token on 401 + WWW-Authenticate "expired" and retries', async () => {
  const sinch = client();
  const body = {
    app_id: APP,
    recipient: { identified_by: { channel_identities: [{ channel: 'WHATSAPP' as const, identity: '46700004001' }] } },
    message: { text_message: { text: 'one' } },
  };
  await sinch.conversation.messages.send({ sendMessageRequestBody: body });
  offset += 3601 * 1000;
  try {
    const again = await sinch.conversation.messages.send({ sendMessageRequestBody: body });
    assert.match(again.message_id ?? '', /^[0-9A-Z]{26}$/);
  } finally {
    offset -= 3601 * 1000;
  }
});

test('SDK errors carry the google.rpc body', async () => {
  const sinch = client();
  await assert.rejects(
    sinch.conversation.messages.send({
      sendMessageRequestBody: {
        app_id: APP,
        recipient: { identified_by: { channel_identities: [{ channel: 'WHATSAPP', identity: '46700004002' }] } },
        message: { choice_message: { choices: Array.from({ length: 11 }, (_, i) => ({ text_message: { text: String(i) } })) } },
      },
    }),
    (err: { statusCode?: number; data?: string }) => {
      assert.equal(err.statusCode, 400);
      assert.match(String(err.data), /INVALID_ARGUMENT/);
      return true;
    },
  );
});

test('the SDK manages omni-channel templates (Templates v2) and a WhatsApp send of one goes as its WHATSAPP override', async () => {
  const sinch = client();
  const created = await sinch.conversation.templatesV2.create({
    createTemplateRequestBody: {
      id: 'sdk_welcome',
      description: 'welcome, with a WhatsApp override',
      default_translation: 'en-US',
      translations: [{
        language_code: 'en-US',
        text_message: { text: 'Hi ${name}' },
        variables: [{ key: 'name', preview_value: 'Ana' }],
        channel_template_overrides: {
          WHATSAPP: { template_reference: { template_id: 'welcome', version: '1', language_code: 'en_US' }, parameter_mappings: { 'body[1]text': 'name' } },
        },
      }],
    },
  });
  assert.equal(created.id, 'sdk_welcome');
  assert.equal(created.version, 1);
  const listed = await sinch.conversation.templatesV2.list({});
  assert.deepEqual(listed.templates?.map((t) => t.id), ['sdk_welcome']);
  const got = await sinch.conversation.templatesV2.get({ template_id: 'sdk_welcome' });
  assert.equal(got.translations?.[0]?.channel_template_overrides?.WHATSAPP?.parameter_mappings?.['body[1]text'], 'name');
  const translations = await sinch.conversation.templatesV2.listTranslations({ template_id: 'sdk_welcome', language_code: 'en-US' });
  assert.equal(translations.translations?.length, 1);

  const sent = await sinch.conversation.messages.send({
    sendMessageRequestBody: {
      app_id: APP,
      recipient: { identified_by: { channel_identities: [{ channel: 'WHATSAPP', identity: '46700004003' }] } },
      message: { template_message: { omni_template: { template_id: 'sdk_welcome', version: 'latest', language_code: 'en-US', parameters: { name: 'Ana' } } } },
    },
  });
  await rx.waitFor(() => emu.emulator.state.messages.get(sent.message_id!)?.state === 'READ');
  await sinch.conversation.templatesV2.delete({ template_id: 'sdk_welcome' });
  assert.deepEqual((await sinch.conversation.templatesV2.list({})).templates, []);
});

test('the SDK queries RCS capability; the answer comes as a signed CAPABILITY callback', async () => {
  const sinch = client();
  const webhook = await sinch.conversation.webhooks.create({
    webhookCreateRequestBody: { app_id: APP, target: `${rx.url}/capability`, target_type: 'HTTP', triggers: ['CAPABILITY'], secret: 'cap-secret' },
  });
  const lookup = (identity: string, requestId?: string) => sinch.conversation.capability.lookup({
    lookupCapabilityRequestBody: {
      app_id: APP, recipient: { identified_by: { channel_identities: [{ channel: 'RCS', identity }] } }, ...(requestId === undefined ? {} : { request_id: requestId }),
    },
  });
  const noRcs = await lookup('46700000003', 'cap-1');
  assert.equal(noRcs.request_id, 'cap-1');
  const capable = await lookup('46700004005');
  assert.match(capable.request_id ?? '', /^[0-9A-Z]{26}$/);
  const all = await rx.waitFor((received) => received.filter((r) => r.path === '/capability').length >= 2);
  const byRequest = new Map(all.filter((r) => r.path === '/capability').map((r) => [r.body.capability_notification.request_id as string, r]));
  const none = byRequest.get('cap-1')!;
  assert.equal(none.body.capability_notification.capability_status, 'NO_CAPABILITY');
  assert.equal(none.body.capability_notification.channel, 'RCS');
  assert.equal(none.body.capability_notification.identity, '46700000003');
  assert.equal(none.body.capability_notification.reason.code, 'RECIPIENT_NOT_REACHABLE');
  assert.equal(byRequest.get(capable.request_id!)!.body.capability_notification.capability_status, 'CAPABILITY_FULL');
  const { ConversationCallbackWebhooks } = await import('@sinch/sdk-core');
  const hooks = new ConversationCallbackWebhooks('cap-secret');
  assert.equal(hooks.validateAuthenticationHeader(none.headers as Record<string, string>, none.raw), true);
  assert.equal((hooks.parseEvent(none.raw) as { trigger?: string }).trigger, 'CAPABILITY');
  await sinch.conversation.webhooks.delete({ webhook_id: webhook.id! });
});

test('the SDK reads an app (apps.get) and sends events (events:send); its parser knows EVENT_DELIVERY and EVENT_INBOUND', async () => {
  const sinch = client();
  const app = await sinch.conversation.app.get({ app_id: APP });
  assert.equal(app.id, APP);
  assert.equal(app.processing_mode, 'DISPATCH');
  assert.deepEqual(app.channel_credentials?.map((c) => c.channel), ['WHATSAPP', 'RCS', 'SMS']);
  assert.equal(app.queue_stats?.outbound_limit, 500_000);
  await assert.rejects(sinch.conversation.app.get({ app_id: 'no-such-app' }), (err: { statusCode?: number }) => err.statusCode === 404);

  const webhook = await sinch.conversation.webhooks.create({
    webhookCreateRequestBody: { app_id: APP, target: `${rx.url}/events`, target_type: 'HTTP', triggers: ['EVENT_DELIVERY', 'EVENT_INBOUND'], secret: 'sdk-events' },
  });
  try {
    const sent = await sinch.conversation.events.sendComposingEvent({
      sendEventRequestBody: {
        app_id: APP,
        recipient: { identified_by: { channel_identities: [{ channel: 'RCS', identity: '46700004003' }] } },
        event: { composing_event: {} },
        event_metadata: 'typing',
      },
    });
    assert.match(sent.event_id ?? '', /^[0-9A-Z]{26}$/);
    const injected = await fetch(`${emu.base}/_emulator/apps/${APP}/events`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identity: '46700004003', channel: 'RCS', event: { composing_event: {} } }),
    });
    assert.equal(injected.status, 200);
    const hook = new ConversationCallbackWebhooks('sdk-events');
    const events = (await rx.waitFor((all) => all.filter((r) => r.path === '/events').length >= 3)).filter((r) => r.path === '/events');
    for (const r of events) assert.equal(hook.validateAuthenticationHeader(r.headers as Record<string, string>, r.raw), true);
    const parsed = events.map((r) => hook.parseEvent(r.raw) as unknown as Record<string, any>);
    const deliveries = parsed.filter((e) => e.trigger === 'EVENT_DELIVERY');
    assert.deepEqual(deliveries.map((e) => e.event_delivery_report.status), ['QUEUED_ON_CHANNEL', 'DELIVERED']);
    assert.equal(deliveries[0]!.event_delivery_report.event_id, sent.event_id);
    assert.equal(deliveries[0]!.event_delivery_report.metadata, 'typing');
    const inbound = parsed.find((e) => e.trigger === 'EVENT_INBOUND')!;
    assert.deepEqual(inbound.event.contact_event, { composing_event: {} });
    assert.equal(inbound.event.channel_identity.identity, '46700004003');
  } finally {
    await sinch.conversation.webhooks.delete({ webhook_id: webhook.id! });
  }
});

test('the SDK pages through an app\'s opt-out list (Consents API, page_token) and sees every identity once', async () => {
  const sinch = client();
  const identities = Array.from({ length: 60 }, (_, i) => `4673205${String(i).padStart(4, '0')}`);
  for (const identity of identities) {
    const r = await call('POST', `${emu.base}/_emulator/apps/${APP}/consents`, { identity, channel: 'WHATSAPP', action: 'opt_out', list: 'OPT_OUT_MARKETING', notify: false });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  const first = await sinch.conversation.consents.listIdentities({ app_id: APP, list_type: 'OPT_OUT_MARKETING', page_size: 50 });
  assert.equal(first.data.length, 50);
  assert.equal(first.hasNextPage, true, 'a next_page_token came with the first page');
  const seen: string[] = [];
  for await (const entry of sinch.conversation.consents.listIdentities({ app_id: APP, list_type: 'OPT_OUT_MARKETING', page_size: 50 })) seen.push(entry.identity);
  assert.deepEqual(seen.sort(), identities, 'both pages, each identity once');
  assert.deepEqual((await sinch.conversation.consents.listIdentities({ app_id: APP, list_type: 'OPT_OUT_NOTIFICATION' })).data, []);
});
