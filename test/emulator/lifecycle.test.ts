import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { APP, call, callbacksDone, FAST, openWindow, PROJECT, registerWebhook, send, startEmulator, startReceiver, statusesOf, textTo, type Receiver, type Running } from './helpers.ts';

let emu: Running;
let rx: Receiver;
let offset = 0;
before(async () => {
  emu = await startEmulator({ ...FAST, now: () => Date.now() + offset });
  rx = await startReceiver();
  await registerWebhook(emu.base, rx.url, ['MESSAGE_DELIVERY', 'MESSAGE_SUBMIT']);
});
after(async () => { await rx.close(); await emu.close(); });
beforeEach(() => { rx.received.length = 0; });

const reportsOf = (id: string) => rx.received.filter((r) => r.body.message_delivery_report?.message_id === id).map((r) => r.body.message_delivery_report);
const reportsWithTime = (id: string) => rx.received
  .filter((r) => r.body.message_delivery_report?.message_id === id)
  .map((r) => ({ time: r.body.event_time as string, status: r.body.message_delivery_report.status as string }));

async function sendAndWait(body: unknown, last: string[]): Promise<{ id: string; statuses: string[] }> {
  const r = await send(emu.base, body);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const id = r.body.message_id as string;
  await rx.waitFor(() => last.some((s) => statusesOf(rx.received, id).includes(s)));
  // Every callback of the message made, a retried one included.
  await callbacksDone(emu.base, `message_id=${id}`);
  // Order by event_time (what a receiver should do): a retried callback may arrive late, as with Sinch.
  const statuses = reportsWithTime(id).sort((a, b) => a.time.localeCompare(b.time)).map((r) => r.status);
  return { id, statuses };
}

test('a WhatsApp message inside the window: QUEUED_ON_CHANNEL → DELIVERED → READ, envelope as documented', async () => {
  await openWindow(emu.base, '46700000100');
  const { id, statuses } = await sendAndWait(textTo('+46700000100', 'hi', { message_metadata: 'meta-1', correlation_id: 'corr-1' }), ['READ']);
  assert.deepEqual(statuses, ['QUEUED_ON_CHANNEL', 'DELIVERED', 'READ']);
  const callback = rx.received.find((r) => r.body.message_delivery_report?.message_id === id)!;
  const body = callback.body;
  assert.deepEqual(Object.keys(body).sort(), ['accepted_time', 'app_id', 'correlation_id', 'event_time', 'message_delivery_report', 'message_metadata', 'project_id']);
  assert.equal(body.app_id, APP);
  assert.equal(body.project_id, PROJECT);
  assert.equal(body.correlation_id, 'corr-1');
  assert.equal(typeof body.message_metadata, 'string');
  assert.match(body.accepted_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  assert.match(body.event_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  const report = body.message_delivery_report;
  assert.deepEqual(report.channel_identity, { channel: 'WHATSAPP', identity: '46700000100', app_id: '' });
  assert.equal(report.metadata, 'meta-1');
  assert.equal(report.contact_id, '');
  assert.equal(report.conversation_id, '');
  assert.equal(report.processing_mode, 'DISPATCH');
  assert.equal(callback.headers['content-type'], 'application/json');
  const submit = rx.received.find((r) => r.body.message_submit_notification?.message_id === id);
  assert.ok(submit, 'MESSAGE_SUBMIT sent');
  assert.deepEqual(submit.body.message_submit_notification.submitted_message, { text_message: { text: 'hi' } });
  assert.equal(submit.body.correlation_id, 'corr-1');
  const inspected = await call('GET', `${emu.base}/_emulator/messages/${id}`);
  assert.equal(inspected.body.state, 'READ');
  assert.equal(inspected.body.callbacks.length, 4);
});

type Rule = { suffix: string; channel?: string; statuses: string[]; reason?: string };
const RULES: Rule[] = [
  { suffix: '0001', statuses: ['FAILED'], reason: 'RECIPIENT_NOT_REACHABLE' },
  { suffix: '0002', statuses: ['FAILED'], reason: 'RECIPIENT_NOT_OPTED_IN' },
  { suffix: '0002', channel: 'RCS', statuses: ['QUEUED_ON_CHANNEL', 'DELIVERED', 'READ'] },
  { suffix: '0003', channel: 'RCS', statuses: ['FAILED'], reason: 'RECIPIENT_NOT_REACHABLE' },
  { suffix: '0003', statuses: ['QUEUED_ON_CHANNEL', 'DELIVERED', 'READ'] },
  { suffix: '0004', statuses: ['QUEUED_ON_CHANNEL', 'DELIVERED'] },
  { suffix: '0005', statuses: ['QUEUED_ON_CHANNEL'] },
  { suffix: '0006', statuses: ['QUEUED_ON_CHANNEL', 'READ'] },
  { suffix: '0007', statuses: ['QUEUED_ON_CHANNEL', 'FAILED'], reason: 'DELIVERY_TIMED_OUT' },
  { suffix: '0008', statuses: ['QUEUED_ON_CHANNEL', 'FAILED'], reason: 'CHANNEL_FAILURE' },
  { suffix: '0009', statuses: ['QUEUED_ON_CHANNEL', 'FAILED'], reason: 'DELIVERY_REJECTED_DUE_TO_POLICY' },
  { suffix: '0010', statuses: ['FAILED'], reason: 'RATE_LIMITED' },
  { suffix: '0011', statuses: ['FAILED'], reason: 'INTERNAL_ERROR' },
  { suffix: '0012', statuses: ['QUEUED_ON_CHANNEL', 'FAILED'], reason: 'CHANNEL_REJECT' },
  { suffix: '0013', statuses: ['FAILED'], reason: 'RECIPIENT_NOT_REACHABLE' },
  { suffix: '0013', channel: 'RCS', statuses: ['QUEUED_ON_CHANNEL', 'DELIVERED', 'READ'] },
];

for (const rule of RULES) {
  const channel = rule.channel ?? 'WHATSAPP';
  test(`number rule …${rule.suffix} on ${channel}: ${rule.statuses.join(' → ')}${rule.reason === undefined ? '' : ` (${rule.reason})`}`, async () => {
    const number = `4670000${rule.suffix}`;
    if (channel === 'WHATSAPP') await openWindow(emu.base, number);
    const last = rule.statuses.at(-1)!;
    const { id, statuses } = await sendAndWait(textTo(number, 'x', {}, channel), [last]);
    assert.deepEqual(statuses, rule.statuses);
    const reports = reportsOf(id);
    const failed = reports.find((r) => r.status === 'FAILED');
    if (rule.reason !== undefined) {
      assert.equal(failed.reason.code, rule.reason);
      assert.equal(typeof failed.reason.description, 'string');
      assert.equal(failed.reason.sub_code, 'UNSPECIFIED_SUB_CODE');
    } else {
      assert.equal(failed, undefined);
    }
  });
}

test('SMS never reports READ', async () => {
  const { statuses } = await sendAndWait(textTo('46700000200', 'x', { channel_properties: { SMS_SENDER: '12345' } }, 'SMS'), ['DELIVERED']);
  assert.deepEqual(statuses, ['QUEUED_ON_CHANNEL', 'DELIVERED']);
});

const rcsWithSms = (number: string, withSender: boolean, message: unknown = { text_message: { text: 'rich' } }) => ({
  app_id: APP,
  recipient: { identified_by: { channel_identities: [{ channel: 'RCS', identity: number }, { channel: 'SMS', identity: number }] } },
  message,
  channel_priority_order: ['RCS', 'SMS'],
  ...(withSender ? { channel_properties: { SMS_SENDER: 'ACME' } } : {}),
});

test('RCS unreachable with SMS next: SWITCHING_CHANNEL then SMS reports, rich content transcoded', async () => {
  const message = { choice_message: { text_message: { text: 'Pick one' }, choices: [{ text_message: { text: 'Yes' } }, { text_message: { text: 'No' } }] } };
  const { id, statuses } = await sendAndWait(rcsWithSms('46700000003', true, message), ['DELIVERED']);
  assert.deepEqual(statuses, ['SWITCHING_CHANNEL', 'QUEUED_ON_CHANNEL', 'DELIVERED']);
  const reports = reportsOf(id);
  assert.equal(reports[0].channel_identity.channel, 'RCS');
  assert.equal(reports[0].reason.code, 'RECIPIENT_NOT_REACHABLE');
  assert.equal('channel_code' in reports[0].reason, false, 'channel_code is WhatsApp\'s only');
  assert.equal(reports[1].channel_identity.channel, 'SMS');
  assert.equal(reports[2].channel_identity.channel, 'SMS');
  const inspected = await call('GET', `${emu.base}/_emulator/messages/${id}`);
  assert.equal(inspected.body.state, 'DELIVERED');
  assert.equal(inspected.body.channel, 'SMS');
  assert.match(inspected.body.sms_text, /Pick one\n1\) Yes\n2\) No/);
});

test('RCS reachable: no fallback, RCS reports READ', async () => {
  const { id, statuses } = await sendAndWait(rcsWithSms('46700000300', true), ['READ']);
  assert.deepEqual(statuses, ['QUEUED_ON_CHANNEL', 'DELIVERED', 'READ']);
  assert.ok(reportsOf(id).every((r) => r.channel_identity.channel === 'RCS'));
});

test('fallback to SMS without SMS_SENDER fails the SMS leg', async () => {
  const { id, statuses } = await sendAndWait(rcsWithSms('46700000003', false), ['FAILED']);
  assert.deepEqual(statuses, ['SWITCHING_CHANNEL', 'FAILED']);
  assert.equal(reportsOf(id)[1].reason.code, 'CHANNEL_BAD_CONFIGURATION');
});

test('without channel_priority_order the order of the channel identities is used', async () => {
  const body = rcsWithSms('46700000003', true);
  delete (body as Record<string, unknown>).channel_priority_order;
  const { statuses } = await sendAndWait(body, ['DELIVERED']);
  assert.deepEqual(statuses, ['SWITCHING_CHANNEL', 'QUEUED_ON_CHANNEL', 'DELIVERED']);
});

test('RCS text over 3072 characters: accepted, then FAILED BAD_REQUEST (channel-specific stage)', async () => {
  const { id, statuses } = await sendAndWait(textTo('46700000400', 'x'.repeat(3073), {}, 'RCS'), ['FAILED']);
  assert.deepEqual(statuses, ['FAILED']);
  assert.equal(reportsOf(id)[0].reason.code, 'BAD_REQUEST');
});

test('media URL rules give MEDIA_* reasons', async () => {
  await openWindow(emu.base, '46700000500');
  for (const [url, code] of [['https://unreachable.example/a.png', 'MEDIA_NOT_REACHABLE'], ['https://e.com/too-large.mp4', 'MEDIA_TOO_LARGE'], ['https://e.com/app.exe', 'MEDIA_TYPE_UNSUPPORTED']] as const) {
    const body = { ...textTo('46700000500'), message: { media_message: { url } } };
    const { id } = await sendAndWait(body, ['FAILED']);
    assert.equal(reportsOf(id)[0].reason.code, code);
  }
});

test('WhatsApp window: free-form outside it is accepted then FAILED OUTSIDE_ALLOWED_SENDING_WINDOW; templates pass', async () => {
  const number = '46700000600';
  const outside = await sendAndWait(textTo(number), ['FAILED']);
  assert.deepEqual(outside.statuses, ['FAILED']);
  assert.equal(reportsOf(outside.id)[0].reason.code, 'OUTSIDE_ALLOWED_SENDING_WINDOW');
  // WhatsApp's own error code comes along, as Sinch forwards it (reason.channel_code).
  assert.equal(reportsOf(outside.id)[0].reason.channel_code, '131047');
  const template = { ...textTo(number), message: { template_message: { channel_template: { WHATSAPP: { template_id: 'welcome', language_code: 'en_US', parameters: { 'body[1]text': 'Ana' } } } } } };
  assert.deepEqual((await sendAndWait(template, ['READ'])).statuses, ['QUEUED_ON_CHANNEL', 'DELIVERED', 'READ']);
  await openWindow(emu.base, number);
  assert.deepEqual((await sendAndWait(textTo(number), ['READ'])).statuses, ['QUEUED_ON_CHANNEL', 'DELIVERED', 'READ']);
  // 24 hours after the last inbound message the window is closed again.
  offset += 24 * 3600 * 1000 + 1000;
  try {
    assert.deepEqual((await sendAndWait(textTo(number), ['FAILED'])).statuses, ['FAILED']);
  } finally {
    offset -= 24 * 3600 * 1000 + 1000;
  }
});

test('the window is per app and identity, and a knob disables it', async () => {
  const number = '46700000700';
  await openWindow(emu.base, '46700000701');
  assert.deepEqual((await sendAndWait(textTo(number), ['FAILED'])).statuses, ['FAILED']);
  await call('PATCH', `${emu.base}/_emulator/apps/${APP}/knobs`, { enforce_whatsapp_window: false });
  try {
    assert.deepEqual((await sendAndWait(textTo(number), ['READ'])).statuses, ['QUEUED_ON_CHANNEL', 'DELIVERED', 'READ']);
  } finally {
    await call('PATCH', `${emu.base}/_emulator/apps/${APP}/knobs`, { enforce_whatsapp_window: true });
  }
});

const waTemplate = (ref: Record<string, unknown>) => ({ ...textTo('46700000800'), message: { template_message: { channel_template: { WHATSAPP: ref } } } });

test('template registry: not found, wrong language or version, insufficient parameters', async () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ template_id: 'nope', language_code: 'en_US' }, 'TEMPLATE_NOT_FOUND'],
    [{ template_id: 'welcome', language_code: 'de_DE', parameters: { 'body[1]text': 'x' } }, 'TEMPLATE_NON_EXISTING_LANGUAGE_OR_VERSION'],
    [{ template_id: 'welcome', language_code: 'en_US', version: '7', parameters: { 'body[1]text': 'x' } }, 'TEMPLATE_NON_EXISTING_LANGUAGE_OR_VERSION'],
    [{ template_id: 'welcome', language_code: 'en_US' }, 'TEMPLATE_INSUFFICIENT_PARAMETERS'],
    [{ template_id: 'order_update', language_code: 'en_US', parameters: { 'header[1]text': '1', 'body[1]text': '1', 'body[2]text': 'shipped' } }, 'TEMPLATE_INSUFFICIENT_PARAMETERS'],
  ];
  for (const [ref, code] of cases) {
    const { id } = await sendAndWait(waTemplate(ref), ['FAILED']);
    assert.equal(reportsOf(id)[0].reason.code, code, JSON.stringify(ref));
  }
  const full = { 'header[1]text': '1', 'body[1]text': '1', 'body[2]text': 'shipped', 'button[0]quick_reply[1]payload': 'track', 'button[1]quick_reply[1]payload': '' };
  assert.deepEqual((await sendAndWait(waTemplate({ template_id: 'order_update', language_code: 'en_US', version: 'latest', parameters: full }), ['READ'])).statuses, ['QUEUED_ON_CHANNEL', 'DELIVERED', 'READ']);
  assert.deepEqual((await sendAndWait(waTemplate({ template_id: 'welcome', language_code: 'pt_BR', parameters: { 'body[1]text': 'Ana' } }), ['READ'])).statuses.at(-1), 'READ');
});

test('templates added through the control API are used', async () => {
  const put = await call('PUT', `${emu.base}/_emulator/templates/reminder/en_GB`, { body: 'See you at {{1}} on {{2}}', category: 'UTILITY' });
  assert.equal(put.status, 200);
  assert.deepEqual(put.body.parameters, ['body[1]text', 'body[2]text']);
  const ok = await sendAndWait(waTemplate({ template_id: 'reminder', language_code: 'en_GB', parameters: { 'body[1]text': '10:00', 'body[2]text': 'Monday' } }), ['READ']);
  const inspected = await call('GET', `${emu.base}/_emulator/messages/${ok.id}`);
  assert.equal(inspected.body.preview.text, 'See you at 10:00 on Monday');
  assert.equal((await call('DELETE', `${emu.base}/_emulator/templates/reminder/en_GB`)).status, 200);
  const gone = await sendAndWait(waTemplate({ template_id: 'reminder', language_code: 'en_GB', parameters: {} }), ['FAILED']);
  assert.equal(reportsOf(gone.id)[0].reason.code, 'TEMPLATE_NOT_FOUND');
});

test('per-app outcome overrides: exact number, suffix, default, built-in rules off', async () => {
  await call('PATCH', `${emu.base}/_emulator/apps/${APP}/knobs`, {
    enforce_whatsapp_window: false,
    outcomes: { '46711111111': 'not-opted-in', '*77': 'delivered-unread' },
    number_rules: false,
  });
  try {
    assert.deepEqual((await sendAndWait(textTo('46711111111'), ['FAILED'])).statuses, ['FAILED']);
    assert.deepEqual((await sendAndWait(textTo('46722222277'), ['DELIVERED'])).statuses, ['QUEUED_ON_CHANNEL', 'DELIVERED']);
    assert.deepEqual((await sendAndWait(textTo('46700000001'), ['READ'])).statuses, ['QUEUED_ON_CHANNEL', 'DELIVERED', 'READ']);
    await call('PATCH', `${emu.base}/_emulator/apps/${APP}/knobs`, { default_outcome: 'channel-failure' });
    assert.deepEqual((await sendAndWait(textTo('46733333333'), ['FAILED'])).statuses, ['QUEUED_ON_CHANNEL', 'FAILED']);
  } finally {
    await call('PATCH', `${emu.base}/_emulator/apps/${APP}/knobs`, { enforce_whatsapp_window: true, outcomes: {}, number_rules: true, default_outcome: 'delivered-read' });
  }
});

test('callback_url override receives the delivery reports, signed with the app secret for overridden URLs', async () => {
  const other = await startReceiver();
  try {
    await openWindow(emu.base, '46700000900');
    const r = await send(emu.base, textTo('46700000900', 'x', { callback_url: `${other.url}/override` }));
    await other.waitFor((all) => all.filter((x) => x.body.message_delivery_report !== undefined).length === 3);
    await callbacksDone(emu.base, `message_id=${r.body.message_id}`, 4);
    assert.equal(statusesOf(rx.received, r.body.message_id).length, 0, 'webhook gets no delivery reports for this message');
    assert.ok(rx.received.some((x) => x.body.message_submit_notification?.message_id === r.body.message_id), 'MESSAGE_SUBMIT still goes to the webhook');
    const { computeSignature } = await import('../../src/emulator/signature.ts');
    const first = other.received[0]!;
    assert.equal(first.path, '/override');
    const h = first.headers;
    assert.equal(h['x-sinch-webhook-signature'], computeSignature('sandbox-callback-secret', first.raw, String(h['x-sinch-webhook-signature-nonce']), String(h['x-sinch-webhook-signature-timestamp'])));
  } finally {
    await other.close();
  }
});

test('ttl: a message not delivered within its ttl fails with MESSAGE_EXPIRED and does not fall back', async () => {
  await openWindow(emu.base, '46700000005');
  const r = await send(emu.base, textTo('46700000005', 'x', { ttl: '3s' }));
  await rx.waitFor(() => statusesOf(rx.received, r.body.message_id).includes('FAILED'));
  assert.deepEqual(statusesOf(rx.received, r.body.message_id), ['QUEUED_ON_CHANNEL', 'FAILED']);
  assert.equal(reportsOf(r.body.message_id)[1].reason.code, 'MESSAGE_EXPIRED');
});
