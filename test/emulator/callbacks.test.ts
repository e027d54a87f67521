import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConversationCallbackWebhooks } from '@sinch/sdk-core';
import { computeSignature } from '../../src/emulator/signature.ts';
import { APP, call, callbacksDone, FAST, PROJECT, basic, openWindow, registerWebhook, send, startEmulator, startReceiver, statusesOf, textTo, type Receiver, type Running } from './helpers.ts';

const VECTOR = { secret: 'foo_secret1234', nonce: '01FJA8B4A7BM43YGWSG9GBV067', timestamp: '1634579353' };

test('published signature vector: compact body', () => {
  const body = '{"app_id":"","accepted_time":"2021-10-18T17:49:13.813615Z","project_id":"e2df3a34-a71b-4448-9db5-a8d2baad28e4","contact_create_notification":{"contact":{"id":"01FJA8B466Y0R2GNXD78MD9SM1","channel_identities":[{"channel":"SMS","identity":"48123456789","app_id":""}],"display_name":"New Test Contact","email":"new.contact@email.com","external_id":"","metadata":"","language":"EN_US"}},"message_metadata":""}';
  assert.equal(computeSignature(VECTOR.secret, body, VECTOR.nonce, VECTOR.timestamp), '6bpJoRmFoXVjfJIVglMoJzYXxnoxRujzR4k2GOXewOE=');
});

test('published signature vector: pretty-printed body with trailing newline (raw bytes are signed)', () => {
  const body = `{
    "app_id": "01W4FFL35P4NC4K35CONVAPP01",
    "event_time": "2024-06-06T14:42:42.379863404Z",
    "project_id": "tinyfrog-jump-high-over-lilypadbasin",
    "event": {
        "direction": "TO_APP",
        "contact_event": {
            "composing_event": {}
        },
        "id": "01W4FFL35P4NC4K35EVENT0001",
        "conversation_id": "01W4FFL35P4NC4K35CONVERS01",
        "contact_id": "01W4FFL35P4NC4K35CONTACT01",
        "channel_identity": {
            "channel": "RCS",
            "identity": "12015555555",
            "app_id": ""
        },
        "accept_time": "2024-06-06T14:42:42.429455346Z",
        "processing_mode": "CONVERSATION"
    },
    "message_metadata": "",
    "correlation_id": ""
}
`;
  assert.equal(computeSignature(VECTOR.secret, body, VECTOR.nonce, VECTOR.timestamp), 'wKmZBGo4Cf+y9cZoPHhiVw6ziKeubLGqN4OdG8jlaPo=');
  assert.notEqual(computeSignature(VECTOR.secret, body.trimEnd(), VECTOR.nonce, VECTOR.timestamp), 'wKmZBGo4Cf+y9cZoPHhiVw6ziKeubLGqN4OdG8jlaPo=');
});

let emu: Running;
let rx: Receiver;
before(async () => {
  emu = await startEmulator({ ...FAST, knobs: { enforce_whatsapp_window: false } });
  rx = await startReceiver();
});
after(async () => { await rx.close(); await emu.close(); });
beforeEach(async () => {
  rx.received.length = 0;
  rx.respond = () => 200;
  emu.emulator.reset({ keepApps: true });
  for (const w of [...emu.emulator.state.webhooks.values()]) emu.emulator.state.webhooks.delete(w.id);
  await call('PATCH', `${emu.base}/_emulator/apps/${APP}/knobs`, { duplicate_callbacks: 0, out_of_order_callbacks: false, callback_delay_ms: 0 });
});

const settle = (ms = 100) => new Promise((resolve) => setTimeout(resolve, ms));

test('callbacks are signed as Sinch signs them and verify with the Sinch SDK helper', async () => {
  await registerWebhook(emu.base, `${rx.url}/hook`, ['MESSAGE_DELIVERY'], 'my-secret');
  const r = await send(emu.base, textTo('46700001000'));
  await rx.waitFor((all) => statusesOf(all, r.body.message_id).includes('READ'));
  const nonces = new Set<string>();
  const sdk = new ConversationCallbackWebhooks('my-secret');
  for (const cb of rx.received) {
    const h = cb.headers;
    assert.equal(h['x-sinch-webhook-signature-algorithm'], 'HmacSHA256');
    assert.match(String(h['x-sinch-webhook-signature-timestamp']), /^\d{10}$/);
    assert.ok(Math.abs(Number(h['x-sinch-webhook-signature-timestamp']) - Date.now() / 1000) < 5);
    const nonce = String(h['x-sinch-webhook-signature-nonce']);
    nonces.add(nonce);
    assert.equal(h['x-sinch-webhook-signature'], computeSignature('my-secret', cb.raw, nonce, String(h['x-sinch-webhook-signature-timestamp'])));
    assert.equal(sdk.validateAuthenticationHeader(h as Record<string, string>, cb.raw), true);
    assert.equal(new ConversationCallbackWebhooks('wrong').validateAuthenticationHeader(h as Record<string, string>, cb.raw), false);
    assert.equal(sdk.parseEvent(cb.raw).trigger, 'MESSAGE_DELIVERY');
  }
  assert.equal(nonces.size, rx.received.length, 'a fresh nonce per callback');
});

test('a webhook without secret gets no signature headers (one with a secret, beside it, gets them)', async () => {
  await registerWebhook(emu.base, `${rx.url}/plain`, ['MESSAGE_DELIVERY'], '');
  await registerWebhook(emu.base, `${rx.url}/signed`, ['MESSAGE_DELIVERY'], 'a-secret');
  const r = await send(emu.base, textTo('46700001001'));
  await rx.waitFor((all) => ['/plain', '/signed'].every((path) => all.some((x) => x.path === path && x.body.message_delivery_report?.status === 'READ')));
  const signatureHeaders = ['x-sinch-webhook-signature', 'x-sinch-webhook-signature-nonce', 'x-sinch-webhook-signature-timestamp', 'x-sinch-webhook-signature-algorithm'];
  const to = (path: string) => rx.received.filter((x) => x.path === path && x.body.message_delivery_report?.message_id === r.body.message_id);
  assert.equal(to('/plain').length, 3);
  assert.equal(to('/signed').length, 3);
  for (const cb of to('/plain')) assert.deepEqual(signatureHeaders.filter((h) => h in cb.headers), [], 'no signature header at all');
  for (const cb of to('/signed')) {
    assert.deepEqual(signatureHeaders.filter((h) => h in cb.headers), signatureHeaders, 'the same callback to a webhook with a secret is signed');
    const h = cb.headers;
    assert.equal(h['x-sinch-webhook-signature'], computeSignature('a-secret', cb.raw, String(h['x-sinch-webhook-signature-nonce']), String(h['x-sinch-webhook-signature-timestamp'])));
  }
  assert.deepEqual(to('/plain').map((x) => x.raw), to('/signed').map((x) => x.raw), 'the same bodies');
});

test('each matching webhook gets its own copy; triggers filter; DISMISS gets nothing', async () => {
  await registerWebhook(emu.base, `${rx.url}/a`, ['MESSAGE_DELIVERY']);
  await registerWebhook(emu.base, `${rx.url}/b`, ['MESSAGE_DELIVERY', 'MESSAGE_INBOUND']);
  await registerWebhook(emu.base, `${rx.url}/c`, ['MESSAGE_INBOUND']);
  await call('POST', `${emu.base}/v1/projects/${PROJECT}/webhooks`, { app_id: APP, target: `${rx.url}/d`, target_type: 'DISMISS', triggers: ['MESSAGE_DELIVERY'] }, { authorization: basic() });
  const r = await send(emu.base, textTo('46700001002'));
  await rx.waitFor((all) => all.filter((x) => x.body.message_delivery_report?.status === 'READ').length === 2);
  await openWindow(emu.base, '46700001002');
  await rx.waitFor((all) => all.filter((x) => x.body.message !== undefined).length === 2);
  // Every copy of every callback made (a DISMISS webhook would have had records of its own, done as well).
  await callbacksDone(emu.base, `message_id=${r.body.message_id}`, 6);
  await callbacksDone(emu.base, 'trigger=MESSAGE_INBOUND', 2);
  const paths = (pred: (b: any) => boolean) => rx.received.filter((x) => pred(x.body)).map((x) => x.path).sort();
  assert.deepEqual(paths((b) => b.message_delivery_report?.message_id === r.body.message_id && b.message_delivery_report.status === 'READ'), ['/a', '/b']);
  assert.deepEqual(paths((b) => b.message !== undefined), ['/b', '/c']);
  assert.ok(!rx.received.some((x) => x.path === '/d'));
});

test('failed deliveries (non-2xx) are retried along the schedule and every attempt is recorded', async () => {
  await registerWebhook(emu.base, `${rx.url}/flaky`, ['MESSAGE_DELIVERY']);
  let failuresLeft = 2;
  rx.respond = (x) => (x.body.message_delivery_report?.status === 'QUEUED_ON_CHANNEL' && failuresLeft-- > 0 ? 503 : 200);
  const r = await send(emu.base, textTo('46700001004'));
  const id = r.body.message_id as string;
  await rx.waitFor((all) => all.filter((x) => x.body.message_delivery_report?.status === 'QUEUED_ON_CHANNEL').length === 3);
  const queued = rx.received.filter((x) => x.body.message_delivery_report?.status === 'QUEUED_ON_CHANNEL');
  assert.ok(queued[1]!.at - queued[0]!.at >= 45, 'first retry after ~50 ms');
  assert.ok(queued[2]!.at - queued[1]!.at >= 95, 'second retry after ~100 ms');
  assert.equal(queued[0]!.raw, queued[2]!.raw, 'same body on retry');
  const record = (await callbacksDone(emu.base, `message_id=${id}`, 3)).find((c: any) => c.status === 'QUEUED_ON_CHANNEL');
  assert.equal(record.state, 'delivered');
  assert.deepEqual(record.attempts.map((a: any) => a.status_code), [503, 503, 200]);
});

test('retries stop after the last scheduled attempt: state failed', async () => {
  await registerWebhook(emu.base, `${rx.url}/down`, ['MESSAGE_DELIVERY']);
  rx.respond = () => 500;
  const r = await send(emu.base, { ...textTo('46700000001') });
  await rx.waitFor((all) => all.length >= 3);
  const cbs = await callbacksDone(emu.base, `message_id=${r.body.message_id}`);
  assert.equal(cbs.length, 1);
  assert.equal(cbs[0].state, 'failed');
  assert.equal(cbs[0].attempts.length, 3);
  assert.equal(rx.received.length, 3);
});

test('a receiver that does not answer in time counts as failed and is retried', async () => {
  // Long enough for an answer on a busy machine, short enough to wait out once.
  const slow = await startEmulator({ ...FAST, callbackTimeoutMs: 1000, knobs: { enforce_whatsapp_window: false } });
  try {
    await registerWebhook(slow.base, `${rx.url}/slow`, ['MESSAGE_DELIVERY']);
    let hangs = 1;
    rx.respond = () => (hangs-- > 0 ? 'hang' : 200);
    const r = await send(slow.base, textTo('46700000001'));
    await rx.waitFor((all) => all.length >= 2);
    const [record] = await callbacksDone(slow.base, `message_id=${r.body.message_id}`);
    assert.equal(record.attempts[0].status_code, null);
    assert.match(record.attempts[0].error, /timeout|abort/i);
    assert.equal(record.attempts[1].status_code, 200);
    assert.equal(record.state, 'delivered');
  } finally {
    await slow.close();
  }
});

test('knob duplicate_callbacks sends each callback again (fresh nonce, same body)', async () => {
  await registerWebhook(emu.base, `${rx.url}/dup`, ['MESSAGE_DELIVERY']);
  await call('PATCH', `${emu.base}/_emulator/apps/${APP}/knobs`, { duplicate_callbacks: 1 });
  const r = await send(emu.base, textTo('46700001005'));
  await rx.waitFor((all) => statusesOf(all, r.body.message_id).filter((s) => s === 'READ').length === 2);
  await callbacksDone(emu.base, `message_id=${r.body.message_id}`, 6);
  assert.deepEqual(statusesOf(rx.received, r.body.message_id), ['QUEUED_ON_CHANNEL', 'QUEUED_ON_CHANNEL', 'DELIVERED', 'DELIVERED', 'READ', 'READ']);
  const [a, b] = rx.received;
  assert.equal(a!.raw, b!.raw);
  assert.notEqual(a!.headers['x-sinch-webhook-signature-nonce'], b!.headers['x-sinch-webhook-signature-nonce']);
  const record = (await call('GET', `${emu.base}/_emulator/messages/${r.body.message_id}`)).body.callbacks;
  assert.equal(record.filter((c: any) => c.duplicate_of !== null).length, 3);
});

test('knob out_of_order_callbacks sends READ before DELIVERED', async () => {
  await registerWebhook(emu.base, `${rx.url}/ooo`, ['MESSAGE_DELIVERY']);
  await call('PATCH', `${emu.base}/_emulator/apps/${APP}/knobs`, { out_of_order_callbacks: true });
  const r = await send(emu.base, textTo('46700001006'));
  await rx.waitFor((all) => statusesOf(all, r.body.message_id).length === 3);
  assert.deepEqual(statusesOf(rx.received, r.body.message_id), ['QUEUED_ON_CHANNEL', 'READ', 'DELIVERED']);
  const eventTime = (status: string) => rx.received.find((x) => x.body.message_delivery_report?.status === status)!.body.event_time as string;
  assert.ok(eventTime('DELIVERED') < eventTime('READ'), 'DELIVERED keeps its true, earlier event_time');
  assert.equal((await call('GET', `${emu.base}/_emulator/messages/${r.body.message_id}`)).body.state, 'READ');
});

test('knob callback_delay_ms holds every callback back', async () => {
  await registerWebhook(emu.base, `${rx.url}/late`, ['MESSAGE_DELIVERY']);
  await call('PATCH', `${emu.base}/_emulator/apps/${APP}/knobs`, { callback_delay_ms: 300 });
  const started = Date.now();
  const r = await send(emu.base, textTo('46700001007'));
  await rx.waitFor((all) => statusesOf(all, r.body.message_id).length >= 1);
  assert.ok(rx.received[0]!.at - started >= 290, `first callback after ${rx.received[0]!.at - started} ms`);
});

test('close() stops pending retries and life-cycle timers: nothing is sent afterwards', async () => {
  const own = await startEmulator({ ...FAST, callbackRetryScheduleMs: [100, 100, 100], knobs: { enforce_whatsapp_window: false } });
  await registerWebhook(own.base, `${rx.url}/closing`, ['MESSAGE_DELIVERY']);
  rx.respond = () => 500;
  await send(own.base, textTo('46700001008'));
  await rx.waitFor((all) => all.some((x) => x.path === '/closing'));
  await own.close();
  const count = rx.received.filter((x) => x.path === '/closing').length;
  // Nothing to wait for here but time: four times the retry schedule's step, for a retry that should not come.
  await settle(400);
  assert.equal(rx.received.filter((x) => x.path === '/closing').length, count);
});
