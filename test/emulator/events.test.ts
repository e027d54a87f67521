import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { APP, basic, call, FAST, PROJECT, registerWebhook, startEmulator, startReceiver, type Receiver, type Running } from './helpers.ts';

/** Events (protocol notes §4.10): an app's events get EVENT_DELIVERY reports; a contact's typing comes as EVENT_INBOUND. */
let emu: Running;
let rx: Receiver;
before(async () => {
  emu = await startEmulator(FAST);
  rx = await startReceiver();
  await registerWebhook(emu.base, rx.url, ['EVENT_DELIVERY', 'EVENT_INBOUND']);
});
after(async () => { await rx.close(); await emu.close(); });

const sendEvent = async (body: Record<string, unknown>) => call('POST', `${emu.base}/v1/projects/${PROJECT}/events:send`, body, { authorization: basic() });
const to = (channel: string, identity: string) => ({ identified_by: { channel_identities: [{ channel, identity }] } });
const reportsOf = (id: string) => rx.received.filter((r) => r.body.event_delivery_report?.event_id === id).map((r) => r.body.event_delivery_report);

test('events:send: 200 with event_id and accepted_time, then EVENT_DELIVERY QUEUED_ON_CHANNEL and DELIVERED', async () => {
  const r = await sendEvent({ app_id: APP, recipient: to('WHATSAPP', '+46700006001'), event: { composing_event: {} }, event_metadata: 'm1' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.match(r.body.event_id, /^[0-9A-Z]{26}$/);
  assert.ok(!Number.isNaN(Date.parse(r.body.accepted_time)));
  await rx.waitFor(() => reportsOf(r.body.event_id).length === 2);
  const [queued, delivered] = reportsOf(r.body.event_id);
  assert.deepEqual(queued, { event_id: r.body.event_id, status: 'QUEUED_ON_CHANNEL', channel_identity: { channel: 'WHATSAPP', identity: '46700006001', app_id: '' }, contact_id: '', metadata: 'm1', processing_mode: 'DISPATCH' });
  assert.equal(delivered.status, 'DELIVERED');
  const envelope = rx.received.find((x) => x.body.event_delivery_report?.event_id === r.body.event_id)!.body;
  assert.equal(envelope.app_id, APP);
  assert.equal(envelope.project_id, PROJECT);
  assert.match(envelope.event_time, /\.\d{9}Z$/);
});

test('events on SMS fail UNSUPPORTED_OPERATION; on a channel the app lacks, CHANNEL_CONFIGURATION_MISSING', async () => {
  const sms = await sendEvent({ app_id: APP, recipient: to('SMS', '46700006002'), event: { composing_end_event: {} } });
  const viber = await sendEvent({ app_id: APP, recipient: to('VIBERBM', '46700006002'), event: { composing_event: {} } });
  await rx.waitFor(() => reportsOf(sms.body.event_id).length === 1 && reportsOf(viber.body.event_id).length === 1);
  assert.equal(reportsOf(sms.body.event_id)[0].status, 'FAILED');
  assert.equal(reportsOf(sms.body.event_id)[0].reason.code, 'UNSUPPORTED_OPERATION');
  assert.equal(reportsOf(viber.body.event_id)[0].reason.code, 'CHANNEL_CONFIGURATION_MISSING');
});

test('events:send refuses no or two events (400), unknown fields (400), an unknown app (404)', async () => {
  assert.equal((await sendEvent({ app_id: APP, recipient: to('RCS', '46700006003'), event: {} })).status, 400);
  assert.equal((await sendEvent({ app_id: APP, recipient: to('RCS', '46700006003'), event: { composing_event: {}, composing_end_event: {} } })).status, 400);
  assert.equal((await sendEvent({ app_id: APP, recipient: to('RCS', '46700006003'), event: { typing: {} } })).status, 400);
  const unknown = await sendEvent({ app_id: 'nope', recipient: to('RCS', '46700006003'), event: { composing_event: {} } });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.status, 'NOT_FOUND');
});

test('a contact typing: EVENT_INBOUND with contact_event, as Sinch sends it', async () => {
  const r = await call('POST', `${emu.base}/_emulator/apps/${APP}/events`, { identity: '+46700006004', channel: 'RCS', event: { composing_event: {} } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const [received] = await rx.waitFor((all) => all.some((x) => x.body.event?.id === r.body.id)).then((all) => all.filter((x) => x.body.event?.id === r.body.id));
  const body = received!.body;
  assert.deepEqual(Object.keys(body).sort(), ['accepted_time', 'app_id', 'correlation_id', 'event', 'event_time', 'message_metadata', 'project_id']);
  assert.deepEqual(body.event, {
    id: r.body.id, direction: 'TO_APP', channel_identity: { channel: 'RCS', identity: '46700006004', app_id: '' }, contact_id: '', conversation_id: '',
    accept_time: body.event.accept_time, processing_mode: 'DISPATCH', contact_event: { composing_event: {} },
  });
  assert.equal((await call('POST', `${emu.base}/_emulator/apps/${APP}/events`, { identity: '46700006004', event: { reaction: {} } })).status, 400);
});
