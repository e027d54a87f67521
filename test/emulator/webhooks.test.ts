import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { APP, basic, call, FAST, getToken, PROJECT, startEmulator, type Running } from './helpers.ts';

let emu: Running;
let auth: string;
before(async () => { emu = await startEmulator(FAST); auth = `Bearer ${await getToken(emu.base)}`; });
after(async () => { await emu.close(); });
beforeEach(() => { for (const w of [...emu.emulator.state.webhooks.values()]) emu.emulator.state.webhooks.delete(w.id); });

const url = (path: string) => `${emu.base}/v1/projects/${PROJECT}${path}`;
const create = (body: Record<string, unknown>) => call('POST', url('/webhooks'), { app_id: APP, triggers: ['MESSAGE_DELIVERY'], ...body }, { authorization: auth });

test('create, get, list, patch and delete a webhook', async () => {
  const created = await create({ target: 'https://example.com/hook', target_type: 'HTTP', secret: 's1', triggers: ['MESSAGE_DELIVERY', 'MESSAGE_INBOUND'] });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  assert.match(created.body.id, /^[0-9A-Z]{26}$/);
  assert.deepEqual({ ...created.body, id: 'x' }, { id: 'x', app_id: APP, target: 'https://example.com/hook', target_type: 'HTTP', secret: 's1', triggers: ['MESSAGE_DELIVERY', 'MESSAGE_INBOUND'] });
  const id = created.body.id as string;

  const got = await call('GET', url(`/webhooks/${id}`), undefined, { authorization: auth });
  assert.deepEqual(got.body, created.body);

  const list = await call('GET', url(`/apps/${APP}/webhooks`), undefined, { authorization: auth });
  assert.deepEqual(list.body, { webhooks: [created.body] });

  const patched = await call('PATCH', url(`/webhooks/${id}?update_mask=triggers,secret`), { target: 'https://ignored.example.com', triggers: ['MESSAGE_INBOUND'], secret: 's2' }, { authorization: auth });
  assert.equal(patched.status, 200);
  assert.equal(patched.body.target, 'https://example.com/hook', 'fields outside update_mask stay');
  assert.deepEqual(patched.body.triggers, ['MESSAGE_INBOUND']);
  assert.equal(patched.body.secret, 's2');

  const unmasked = await call('PATCH', url(`/webhooks/${id}`), { target: 'https://example.com/new' }, { authorization: auth });
  assert.equal(unmasked.body.target, 'https://example.com/new');

  assert.equal((await call('DELETE', url(`/webhooks/${id}`), undefined, { authorization: auth })).status, 200);
  assert.equal((await call('GET', url(`/webhooks/${id}`), undefined, { authorization: auth })).status, 404);
  assert.deepEqual((await call('GET', url(`/apps/${APP}/webhooks`), undefined, { authorization: basic() })).body, { webhooks: [] });
});

test('at most 5 webhooks per app', async () => {
  for (let i = 0; i < 5; i += 1) assert.equal((await create({ target: `https://example.com/${i}` })).status, 200);
  const sixth = await create({ target: 'https://example.com/6' });
  assert.equal(sixth.status, 400);
  assert.equal(sixth.body.error.status, 'INVALID_ARGUMENT');
});

test('the same target twice on one app is 400', async () => {
  assert.equal((await create({ target: 'https://example.com/same' })).status, 200);
  const again = await create({ target: 'https://example.com/same' });
  assert.equal(again.status, 400);
  assert.equal(again.body.error.details[0].field_violations[0].field, 'target');
});

test('bad triggers, targets and apps are refused', async () => {
  assert.equal((await create({ target: 'https://example.com/x', triggers: ['NOT_A_TRIGGER'] })).status, 400);
  assert.equal((await create({ target: 'https://example.com/x', triggers: ['UNSPECIFIED_TRIGGER'] })).status, 400);
  assert.equal((await create({ target: 'https://example.com/x', triggers: [] })).status, 400);
  assert.equal((await create({ target: 'not a url' })).status, 400);
  assert.equal((await create({ target: `https://example.com/${'x'.repeat(742)}` })).status, 400);
  assert.equal((await create({ target: 'https://us.conversation.api.sinch.com/hook' })).status, 400);
  assert.equal((await create({ target: 'https://example.com/x', app_id: 'no-such-app' })).status, 404);
  assert.equal((await call('GET', url('/apps/no-such-app/webhooks'), undefined, { authorization: auth })).status, 404);
  assert.equal((await call('DELETE', url('/webhooks/01NOSUCHWEBHOOK0000000000'), undefined, { authorization: auth })).status, 404);
});

test('webhooks API needs credentials for the project', async () => {
  assert.equal((await call('GET', url(`/apps/${APP}/webhooks`))).status, 401);
  emu.emulator.upsertApp('x-app', { project_id: 'x-project', access_key: 'x-key', access_secret: 'x-secret' });
  assert.equal((await call('GET', url(`/apps/${APP}/webhooks`), undefined, { authorization: basic('x-key', 'x-secret') })).status, 403);
});

test('every trigger of the documented table is accepted', async () => {
  const triggers = ['MESSAGE_INBOUND', 'MESSAGE_DELIVERY', 'MESSAGE_SUBMIT', 'EVENT_INBOUND', 'EVENT_DELIVERY', 'CONVERSATION_START', 'CONVERSATION_STOP', 'CONVERSATION_DELETE', 'CONTACT_CREATE', 'CONTACT_DELETE', 'CONTACT_MERGE', 'CONTACT_UPDATE', 'CONTACT_IDENTITIES_DUPLICATION', 'CAPABILITY', 'OPT_IN', 'OPT_OUT', 'CHANNEL_EVENT', 'UNSUPPORTED', 'SMART_CONVERSATIONS', 'MESSAGE_INBOUND_SMART_CONVERSATION_REDACTION', 'RECORD_NOTIFICATION'];
  const r = await create({ target: 'https://example.com/all', triggers });
  assert.equal(r.status, 200, JSON.stringify(r.body));
});
