import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import { APP, basic, call, callbacksDone, FAST, getToken, registerWebhook, send, startEmulator, startReceiver, statusesOf, textTo, type Receiver, type Running } from './helpers.ts';

let emu: Running;
let rx: Receiver;
before(async () => {
  emu = await startEmulator({ ...FAST, knobs: { enforce_whatsapp_window: false } }, '/sandbox');
  rx = await startReceiver();
});
after(async () => { await rx.close(); await emu.close(); });
beforeEach(() => {
  rx.received.length = 0;
  for (const w of [...emu.emulator.state.webhooks.values()]) emu.emulator.state.webhooks.delete(w.id);
});

const control = (method: string, path: string, body?: unknown) => call(method, `${emu.base}/_emulator${path}`, body);

test('PUT /_emulator/apps/:app_id upserts an account idempotently; its credentials work at once', async () => {
  const body = { project_id: 'user-project', access_key: 'user-key', access_secret: 'user-secret', secret_for_overridden_callback_urls: 'ovr', knobs: { outbound_rate: null } };
  const first = await control('PUT', '/apps/user-app', body);
  assert.equal(first.status, 201);
  assert.equal(first.body.project_id, 'user-project');
  assert.equal(first.body.knobs.outbound_rate, null);
  assert.equal(first.body.knobs.project_request_limit, 800);
  await control('PATCH', '/apps/user-app/knobs', { read_delay_ms: 1 });
  const second = await control('PUT', '/apps/user-app', { project_id: 'user-project', access_key: 'user-key', access_secret: 'user-secret' });
  assert.equal(second.status, 200);
  assert.equal(second.body.knobs.read_delay_ms, 1, 'a re-PUT without knobs keeps the knobs');
  assert.equal(second.body.secret_for_overridden_callback_urls_set, true, 'the override secret is kept');
  assert.equal(JSON.stringify(second.body).includes('user-secret'), false, 'secrets are never shown');
  assert.equal(JSON.stringify(second.body).includes('ovr'), false);
  const token = await getToken(emu.base, 'user-key', 'user-secret');
  const sent = await send(emu.base, { ...textTo('46700003000'), app_id: 'user-app' }, `Bearer ${token}`, 'user-project');
  assert.equal(sent.status, 200);
  const hook = await call('POST', `${emu.base}/v1/projects/user-project/webhooks`, { app_id: 'user-app', target: `${rx.url}/u`, triggers: ['MESSAGE_DELIVERY'], secret: 'x' }, { authorization: basic('user-key', 'user-secret') });
  assert.equal(hook.status, 200);
  const apps = await control('GET', '/apps');
  assert.deepEqual(apps.body.apps.map((a: { app_id: string }) => a.app_id).sort(), ['sandbox-app', 'user-app']);
  const one = await control('GET', '/apps/user-app');
  assert.equal(one.body.webhooks.length, 1);
  assert.equal((await control('DELETE', '/apps/user-app')).status, 200);
  assert.equal((await control('GET', '/apps/user-app')).status, 404);
  assert.equal((await control('PUT', '/apps/bad', { project_id: 'p' })).status, 400);
});

test('messages can be listed (filters app_id, recipient, state) and fetched with their callbacks', async () => {
  await registerWebhook(emu.base, `${rx.url}/m`, ['MESSAGE_DELIVERY']);
  const a = await send(emu.base, textTo('46700003101'));
  const b = await send(emu.base, textTo('+46700003102'));
  await rx.waitFor((all) => [a, b].every((m) => statusesOf(all, m.body.message_id).includes('READ')));
  // The receiver has the READs; the emulator records each attempt once its answer is in.
  for (const m of [a, b]) await callbacksDone(emu.base, `message_id=${m.body.message_id}`, 3);
  const byRecipient = await control('GET', '/messages?recipient=%2B46700003101');
  assert.deepEqual(byRecipient.body.messages.map((m: { message_id: string }) => m.message_id), [a.body.message_id]);
  const byApp = await control('GET', `/messages?app_id=${APP}&limit=1`);
  assert.deepEqual(byApp.body.messages.map((m: { message_id: string }) => m.message_id), [b.body.message_id]);
  assert.equal((await control('GET', '/messages?app_id=nope')).body.messages.length, 0);
  const read = await control('GET', '/messages?state=READ');
  assert.ok(read.body.messages.length >= 2);
  const one = await control('GET', `/messages/${b.body.message_id}`);
  assert.equal(one.body.state, 'READ');
  assert.equal(one.body.recipient, '46700003102');
  assert.deepEqual(one.body.statuses.map((s: { status: string }) => s.status), ['QUEUED_ON_CHANNEL', 'DELIVERED', 'READ']);
  assert.equal(one.body.callbacks.length, 3);
  assert.equal(one.body.callbacks[0].attempts[0].status_code, 200);
  assert.deepEqual(one.body.request.message, { text_message: { text: 'hello' } });
  assert.equal((await control('GET', '/messages/01NOPE')).status, 404);
  const cbs = await control('GET', `/callbacks?message_id=${b.body.message_id}&trigger=MESSAGE_DELIVERY`);
  assert.equal(cbs.body.callbacks.length, 3);
});

test('inbound injection: every contact message kind produces MESSAGE_INBOUND as documented', async () => {
  await registerWebhook(emu.base, `${rx.url}/in`, ['MESSAGE_INBOUND'], 'in-secret');
  const sent = await send(emu.base, textTo('46700003200', 'Pick', { message_metadata: 'campaign-7' }));
  const kinds: Record<string, unknown>[] = [
    { text: 'hello' },
    { contact_message: { media_message: { url: 'https://example.com/p.jpg' } } },
    { contact_message: { location_message: { coordinates: { latitude: 59.3, longitude: 18.1 }, title: 'Home' } } },
    { contact_message: { choice_response_message: { message_id: sent.body.message_id, postback_data: 'yes' } } },
    { text: 'answering', reply_to: sent.body.message_id },
    { contact_message: { product_response_message: { products: [{ id: 'sku', marketplace: 'FACEBOOK', quantity: 2, item_price: 9.5, currency: 'EUR' }], catalog_id: 'c1' } } },
    { contact_message: { fallback_message: { raw_message: '{"sticker":1}', reason: { code: 'UNSUPPORTED_OPERATION', description: 'sticker' } } } },
    { contact_message: { media_card_message: { url: 'https://example.com/v.mp4', caption: 'look' } } },
  ];
  for (const k of kinds) {
    const r = await control('POST', `/apps/${APP}/inbound`, { identity: '+46700003200', channel: 'WHATSAPP', ...k });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  await rx.waitFor((all) => all.filter((x) => x.body.message !== undefined).length === kinds.length);
  const bodies = rx.received.filter((x) => x.body.message !== undefined).map((x) => x.body);
  for (const body of bodies) {
    assert.deepEqual(Object.keys(body).sort(), ['accepted_time', 'app_id', 'correlation_id', 'event_time', 'message', 'message_metadata', 'project_id']);
    const m = body.message;
    assert.equal(m.direction, 'TO_APP');
    assert.deepEqual(m.channel_identity, { channel: 'WHATSAPP', identity: '46700003200', app_id: '' });
    assert.equal(m.contact_id, '');
    assert.equal(m.conversation_id, '');
    assert.equal(m.processing_mode, 'DISPATCH');
    assert.equal(m.injected, false);
    assert.match(m.id, /^[0-9A-Z]{26}$/);
  }
  assert.equal(bodies[0].message.contact_message.text_message.text, 'hello');
  assert.equal(bodies[3].message.contact_message.choice_response_message.postback_data, 'yes');
  assert.equal(bodies[3].message.metadata, 'campaign-7', 'a choice reply carries the original message_metadata');
  assert.deepEqual(bodies[4].message.contact_message.reply_to, { message_id: sent.body.message_id });
  assert.equal(bodies[5].message.contact_message.product_response_message.products[0].quantity, 2);
  const listed = await control('GET', '/inbound?identity=46700003200');
  assert.equal(listed.body.inbound.length, kinds.length);
  assert.equal(listed.body.inbound[0].callbacks[0].state, 'delivered');
});

test('inbound injection refuses zero or two kinds and unknown apps', async () => {
  assert.equal((await control('POST', `/apps/${APP}/inbound`, { identity: '46700003300' })).status, 400);
  assert.equal((await control('POST', `/apps/${APP}/inbound`, { identity: '46700003300', text: 'a', contact_message: { media_message: { url: 'https://e.com/a.png' } } })).status, 400);
  assert.equal((await control('POST', `/apps/${APP}/inbound`, { identity: 'not-a-number', text: 'a' })).status, 400);
  assert.equal((await control('POST', '/apps/nope/inbound', { identity: '46700003300', text: 'a' })).status, 404);
});

test('inbound opens the WhatsApp window for that app and identity', async () => {
  await control('PATCH', `/apps/${APP}/knobs`, { enforce_whatsapp_window: true });
  try {
    assert.equal(emu.emulator.state.whatsappWindows.has(`${APP}\u000046700003400`), false);
    await control('POST', `/apps/${APP}/inbound`, { identity: '46700003400', text: 'hi' });
    assert.equal(emu.emulator.state.whatsappWindows.has(`${APP}\u000046700003400`), true);
    await control('POST', `/apps/${APP}/inbound`, { identity: '46700003401', channel: 'RCS', text: 'hi' });
    assert.equal(emu.emulator.state.whatsappWindows.has(`${APP}\u000046700003401`), false, 'RCS does not open the WhatsApp window');
  } finally {
    await control('PATCH', `/apps/${APP}/knobs`, { enforce_whatsapp_window: false });
  }
});

test('templates: seeded registry is listed', async () => {
  const r = await control('GET', '/templates');
  const keys = r.body.templates.map((t: { name: string; language: string }) => `${t.name}/${t.language}`);
  assert.ok(keys.includes('welcome/en_US'));
  assert.ok(keys.includes('order_update/en_US'));
});

test('phone view: HTML pages and their JSON under the prefix', async () => {
  await send(emu.base, textTo('46700003500', 'Hello phone'));
  await control('POST', `/apps/${APP}/inbound`, { identity: '46700003500', text: 'Hi business' });
  for (const path of ['/phone', '/phone/46700003500', '/phone/+46700003500']) {
    const page = await fetch(`${emu.base}${path}`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const html = await page.text();
    assert.match(html, /<script>/);
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'no external assets');
    const script = html.split('<script>')[1]!.split('</script>')[0]!;
    assert.doesNotThrow(() => new vm.Script(script), 'the inline script parses');
    assert.match(script, /'\/_emulator'/, 'the page calls the control API relative to its own path');
  }
  const phones = await control('GET', '/phones');
  assert.ok(phones.body.phones.some((p: { number: string }) => p.number === '46700003500'));
  const thread = await control('GET', '/phones/%2B46700003500');
  assert.deepEqual(thread.body.items.map((i: { direction: string }) => i.direction), ['outbound', 'inbound']);
  assert.equal(thread.body.items[0].message.preview.text, 'Hello phone');
  assert.equal(thread.body.items[1].inbound.contact_message.text_message.text, 'Hi business');
  assert.ok(thread.body.apps.includes(APP));
});

test('reset: traffic only with keep_apps, everything (back to the default account) without', async () => {
  await control('PUT', '/apps/temp-app', { project_id: 'temp', access_key: 'k', access_secret: 's' });
  await send(emu.base, textTo('46700003600'));
  assert.ok(emu.emulator.state.messages.size > 0);
  assert.equal((await control('POST', '/reset?keep_apps=true')).status, 200);
  assert.equal(emu.emulator.state.messages.size, 0);
  assert.ok(emu.emulator.state.apps.has('temp-app'));
  await control('PUT', '/templates/x/en_US', { body: 'x' });
  await control('POST', '/reset');
  assert.deepEqual([...emu.emulator.state.apps.keys()], [APP]);
  assert.equal(emu.emulator.state.webhooks.size, 0);
  assert.equal((await control('GET', '/templates')).body.templates.some((t: { name: string }) => t.name === 'x'), false);
  await control('PATCH', `/apps/${APP}/knobs`, { enforce_whatsapp_window: false, queued_delay_ms: 5, delivered_delay_ms: 5, read_delay_ms: 5 });
});

test('state is bounded: the oldest messages are forgotten', async () => {
  const small = await startEmulator({ ...FAST, maxMessages: 5, knobs: { enforce_whatsapp_window: false } });
  try {
    const ids: string[] = [];
    for (let i = 0; i < 8; i += 1) ids.push((await send(small.base, textTo('46700003700'))).body.message_id);
    assert.equal(small.emulator.state.messages.size, 5);
    assert.deepEqual([...small.emulator.state.messages.keys()], ids.slice(3));
  } finally {
    await small.close();
  }
});
