import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SinchClient } from '@sinch/sdk-core';
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
