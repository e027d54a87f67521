import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConversationCallbackWebhooks, SinchClient } from '@sinch/sdk-core';
import { APP, PROJECT, startEmulator, startReceiver, statusesOf, type Receiver, type Running } from './helpers.ts';

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
