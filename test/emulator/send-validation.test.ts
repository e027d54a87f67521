import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { APP, call, basic, FAST, PROJECT, send, startEmulator, type Running } from './helpers.ts';

let emu: Running;
before(async () => { emu = await startEmulator({ ...FAST, knobs: { enforce_whatsapp_window: false } }); });
after(async () => { await emu.close(); });

const to = (message: unknown, extra: Record<string, unknown> = {}, channel = 'WHATSAPP') => ({
  app_id: APP,
  recipient: { identified_by: { channel_identities: [{ channel, identity: '46700000000' }] } },
  message,
  ...extra,
});
const choice = (text: string) => ({ text_message: { text }, postback_data: `pb-${text}` });
const card = { title: 'Card', description: 'Desc', media_message: { url: 'https://example.com/a.png' }, choices: [choice('a')] };

const VALID_MESSAGES: Record<string, unknown> = {
  text: { text_message: { text: 'hi' } },
  media: { media_message: { url: 'https://example.com/a.jpg', thumbnail_url: 'https://example.com/t.jpg', filename_override: 'a.jpg' } },
  template: { template_message: { channel_template: { WHATSAPP: { template_id: 'welcome', language_code: 'en_US', parameters: { 'body[1]text': 'Ana' } } } } },
  omniTemplate: { template_message: { omni_template: { template_id: '01TEMPLATE', version: 'latest', parameters: { name: 'Ana' } } } },
  card: { card_message: { ...card, height: 'MEDIUM', message_properties: { whatsapp_header: 'h' } } },
  carousel: { carousel_message: { cards: [card, { ...card, title: 'Two' }], choices: [choice('x'), choice('y'), choice('z')] } },
  choice: {
    choice_message: {
      text_message: { text: 'Pick' },
      choices: [
        choice('one'),
        { url_message: { title: 'Site', url: 'https://example.com' } },
        { call_message: { title: 'Call', phone_number: '+46700000000' } },
        { location_message: { coordinates: { latitude: 1, longitude: 2 }, title: 'Here' } },
        { calendar_message: { title: 'Cal', event_start: '2030-01-01T10:00:00Z', event_end: '2030-01-01T11:00:00Z', event_title: 'Meet', fallback_url: 'https://example.com/c' } },
        { share_location_message: { title: 'Share', fallback_url: 'https://example.com/s' } },
      ],
      message_properties: { whatsapp_footer: 'footer' },
    },
  },
  list: { list_message: { title: 'Menu', description: 'd', sections: [{ title: 'S', items: [{ choice: { title: 'A', postback_data: 'a' } }, { choice: { title: 'B' } }] }] } },
  productList: { list_message: { title: 'Shop', sections: [{ items: [{ product: { id: 'sku1', marketplace: 'FACEBOOK' } }] }], message_properties: { catalog_id: 'cat1' } } },
  location: { location_message: { coordinates: { latitude: 59.3, longitude: 18.1 }, title: 'Office', label: 'HQ' } },
  contact: { contact_info_message: { name: { full_name: 'Ana Lima' }, phone_numbers: [{ phone_number: '+46700000000', type: 'MOBILE' }], birthday: '1990-01-31' } },
  explicitOnly: { explicit_channel_message: { WHATSAPP: '{"type":"text","text":{"body":"raw"}}' } },
  channelSpecificOnly: { channel_specific_message: { WHATSAPP: { message_type: 'FLOWS', message: { flow_id: '1' } } } },
  withAgent: { text_message: { text: 'hi' }, agent: { display_name: 'Bot', type: 'BOT' } },
};

for (const [name, message] of Object.entries(VALID_MESSAGES)) {
  test(`accepts a ${name} message`, async () => {
    const r = await send(emu.base, to(message));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(typeof r.body.message_id, 'string');
  });
}

test('accepts every documented top-level field', async () => {
  const r = await send(emu.base, {
    ...to({ text_message: { text: 'hi' } }),
    callback_url: 'https://example.com/cb',
    channel_priority_order: ['WHATSAPP'],
    channel_properties: { SMS_SENDER: '12345', WHATSAPP_FOO: 'x' },
    message_metadata: 'meta',
    conversation_metadata: { a: 1 },
    conversation_metadata_update_strategy: 'MERGE_PATCH',
    correlation_id: 'corr',
    queue: 'HIGH_PRIORITY',
    ttl: '60s',
    processing_strategy: 'DEFAULT',
    message_content_type: 'CONTENT_NOTIFICATION',
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
});

type Invalid = { body: unknown; field: string };
const many = (n: number, make: (i: number) => unknown) => Array.from({ length: n }, (_, i) => make(i));
const INVALID: Record<string, Invalid> = {
  'more than 10 choices': { body: to({ choice_message: { choices: many(11, (i) => choice(String(i))) } }), field: 'message.choice_message.choices' },
  'more than 10 carousel cards': { body: to({ carousel_message: { cards: many(11, () => card) } }), field: 'message.carousel_message.cards' },
  'more than 3 outer carousel choices': { body: to({ carousel_message: { cards: [card], choices: many(4, (i) => choice(String(i))) } }), field: 'message.carousel_message.choices' },
  'more than 10 card choices': { body: to({ card_message: { title: 't', choices: many(11, (i) => choice(String(i))) } }), field: 'message.card_message.choices' },
  'two message kinds': { body: to({ text_message: { text: 'a' }, location_message: { coordinates: { latitude: 1, longitude: 1 }, title: 't' } }), field: 'message' },
  'no message kind': { body: to({}), field: 'message' },
  'a choice with two kinds': { body: to({ choice_message: { choices: [{ text_message: { text: 'a' }, url_message: { title: 't', url: 'https://e.com' } }] } }), field: 'message.choice_message.choices[0]' },
  'an unknown field': { body: { ...to({ text_message: { text: 'a' } }), reply_message: 'x' }, field: 'reply_message' },
  'empty text': { body: to({ text_message: { text: '' } }), field: 'message.text_message.text' },
  'missing recipient': { body: { app_id: APP, message: { text_message: { text: 'a' } } }, field: 'recipient' },
  'contact_id recipient in DISPATCH mode': { body: { app_id: APP, recipient: { contact_id: '01ABC' }, message: { text_message: { text: 'a' } } }, field: 'recipient.contact_id' },
  'unknown channel': { body: { ...to({ text_message: { text: 'a' } }), recipient: { identified_by: { channel_identities: [{ channel: 'PIGEON', identity: '1' }] } } }, field: 'recipient.identified_by.channel_identities[0].channel' },
  'message_metadata over 1024': { body: to({ text_message: { text: 'a' } }, { message_metadata: 'x'.repeat(1025) }), field: 'message_metadata' },
  'correlation_id over 128': { body: to({ text_message: { text: 'a' } }, { correlation_id: 'x'.repeat(129) }), field: 'correlation_id' },
  'WhatsApp template without language_code': { body: to({ template_message: { channel_template: { WHATSAPP: { template_id: 'welcome' } } } }), field: 'message.template_message.channel_template.WHATSAPP.language_code' },
  'WhatsApp template with en-US': { body: to({ template_message: { channel_template: { WHATSAPP: { template_id: 'welcome', language_code: 'en-US' } } } }), field: 'message.template_message.channel_template.WHATSAPP.language_code' },
  'omni template without version': { body: to({ template_message: { omni_template: { template_id: 'x' } } }), field: 'message.template_message.omni_template.version' },
  'empty template message': { body: to({ template_message: {} }), field: 'message.template_message' },
  'product list without catalog_id': { body: to({ list_message: { title: 't', sections: [{ items: [{ product: { id: '1', marketplace: 'FACEBOOK' } }] }] } }), field: 'message.list_message.message_properties.catalog_id' },
  'mixed list items': { body: to({ list_message: { title: 't', sections: [{ items: [{ product: { id: '1', marketplace: 'F' } }, { choice: { title: 'c' } }] }], message_properties: { catalog_id: 'c' } } }), field: 'message.list_message.sections' },
  'media without an http URL': { body: to({ media_message: { url: 'ftp://example.com/a.png' } }), field: 'message.media_message.url' },
  'ttl below 3s': { body: to({ text_message: { text: 'a' } }, { ttl: '2s' }), field: 'ttl' },
  'ttl not a duration': { body: to({ text_message: { text: 'a' } }, { ttl: '10' }), field: 'ttl' },
  'unconfigured channel in channel_priority_order': { body: to({ text_message: { text: 'a' } }, { channel_priority_order: ['WHATSAPP', 'MESSENGER'] }), field: 'channel_priority_order[1]' },
  'bad callback_url': { body: to({ text_message: { text: 'a' } }, { callback_url: 'not a url' }), field: 'callback_url' },
  'unknown queue': { body: to({ text_message: { text: 'a' } }, { queue: 'URGENT' }), field: 'queue' },
  'bad birthday': { body: to({ contact_info_message: { name: { full_name: 'A' }, phone_numbers: [{ phone_number: '1' }], birthday: '31/01/1990' } }), field: 'message.contact_info_message.birthday' },
};

for (const [name, { body, field }] of Object.entries(INVALID)) {
  test(`rejects ${name} with 400 and a field violation`, async () => {
    const r = await send(emu.base, body);
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 400);
    assert.equal(r.body.error.status, 'INVALID_ARGUMENT');
    assert.equal(typeof r.body.error.message, 'string');
    const detail = r.body.error.details[0];
    assert.equal(detail['@type'], 'type.googleapis.com/google.rpc.BadRequest');
    const fields = detail.field_violations.map((v: { field: string }) => v.field);
    assert.ok(fields.includes(field), `expected ${field} in ${JSON.stringify(detail.field_violations)}`);
  });
}

test('malformed JSON is a 400 google.rpc error', async () => {
  const r = await call('POST', `${emu.base}/v1/projects/${PROJECT}/messages:send`, '{"app_id": ', { authorization: basic() });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.status, 'INVALID_ARGUMENT');
});

test('nothing rejected synchronously is lost: rejected requests create no message', async () => {
  const before = emu.emulator.state.messages.size;
  await send(emu.base, to({}));
  assert.equal(emu.emulator.state.messages.size, before);
});
