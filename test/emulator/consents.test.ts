import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { APP, basic, call, FAST, PROJECT, registerWebhook, startEmulator, startReceiver, type Receiver, type Running } from './helpers.ts';

/**
 * Consent management (protocol notes §6.4): with the app's `consent_management` knob on, a message that is only an
 * opt-out / opt-in keyword changes the app's lists and is reported as OPT_OUT / OPT_IN; the control API injects the
 * same; the Consents API lists each list's identities, paged.
 */
let emu: Running;
let rx: Receiver;
before(async () => {
  emu = await startEmulator(FAST);
  rx = await startReceiver();
  await registerWebhook(emu.base, rx.url, ['MESSAGE_INBOUND', 'OPT_IN', 'OPT_OUT']);
});
after(async () => { await rx.close(); await emu.close(); });

const inbound = (identity: string, text: string, channel = 'SMS') => call('POST', `${emu.base}/_emulator/apps/${APP}/inbound`, { identity, channel, text });
const list = async (listType: string, query = '') => call('GET', `${emu.base}/v1/projects/${PROJECT}/apps/${APP}/consents/${listType}${query}`, undefined, { authorization: basic() });
const opts = (identity: string) => rx.received.filter((r) => (r.body.opt_out_notification ?? r.body.opt_in_notification)?.identity === identity).map((r) => r.body);

test('without consent management (the default) a STOP is only an inbound message', async () => {
  await inbound('+46700007001', 'STOP');
  await rx.waitFor(() => rx.received.some((r) => r.body.message?.channel_identity?.identity === '46700007001'));
  assert.deepEqual(opts('46700007001'), []);
  assert.deepEqual((await list('OPT_OUT_ALL')).body, { identities: [], next_page_token: '' });
});

test('with consent management: STOP → OPT_OUT and the OPT_OUT_ALL list; START → OPT_IN and off the list; STOP MARKETING → the marketing list', async () => {
  assert.equal((await call('PATCH', `${emu.base}/_emulator/apps/${APP}/knobs`, { consent_management: true })).status, 200);
  await inbound('+46700007002', ' stop ');
  await rx.waitFor(() => opts('46700007002').length === 1);
  const [out] = opts('46700007002');
  assert.deepEqual({ ...out.opt_out_notification, request_id: 'x' }, {
    request_id: 'x', contact_id: '', channel: 'SMS', identity: '46700007002', status: 'OPT_OUT_SUCCEEDED', processing_mode: 'DISPATCH',
  });
  assert.equal(out.app_id, APP);
  assert.deepEqual((await list('OPT_OUT_ALL')).body.identities, [{ identity: '46700007002' }]);
  await inbound('+46700007002', 'Start');
  await rx.waitFor(() => opts('46700007002').length === 2);
  assert.equal(opts('46700007002')[1].opt_in_notification.status, 'OPT_IN_SUCCEEDED');
  assert.deepEqual((await list('OPT_OUT_ALL')).body.identities, []);
  await inbound('+46700007003', 'STOP MARKETING', 'WHATSAPP');
  await inbound('+46700007004', 'stop sending me this');
  await rx.waitFor(() => opts('46700007003').length === 1 && rx.received.some((r) => r.body.message?.channel_identity?.identity === '46700007004'));
  assert.equal(opts('46700007003')[0].opt_out_notification.channel, 'WHATSAPP');
  assert.deepEqual((await list('OPT_OUT_MARKETING')).body.identities, [{ identity: '46700007003' }]);
  assert.deepEqual(opts('46700007004'), [], 'only a message that is just the keyword counts');
});

test('the control API injects an opt-out; the Consents API pages and refuses an unknown list', async () => {
  for (const n of ['46700007011', '46700007012', '46700007013']) {
    const r = await call('POST', `${emu.base}/_emulator/apps/${APP}/consents`, { identity: `+${n}`, action: 'opt_out', list: 'OPT_OUT_NOTIFICATION' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.callbacks[0].trigger, 'OPT_OUT');
  }
  const first = await list('OPT_OUT_NOTIFICATION', '?page_size=2');
  assert.deepEqual(first.body, { identities: [{ identity: '46700007011' }, { identity: '46700007012' }], next_page_token: '2' });
  const second = await list('OPT_OUT_NOTIFICATION', `?page_size=2&page_token=${first.body.next_page_token}`);
  assert.deepEqual(second.body, { identities: [{ identity: '46700007013' }], next_page_token: '' });
  assert.equal((await list('OPT_OUT_EVERYTHING')).status, 400);
  assert.equal((await call('GET', `${emu.base}/v1/projects/${PROJECT}/apps/${APP}/consents/OPT_OUT_ALL`)).status, 401);
  const listed = await call('GET', `${emu.base}/_emulator/consents?app_id=${APP}`);
  assert.equal(listed.body.consents.filter((c: any) => c.list === 'OPT_OUT_NOTIFICATION').length, 3);
});

test('the control API with notify: false changes the list without the OPT_OUT / OPT_IN callback', async () => {
  const r = await call('POST', `${emu.base}/_emulator/apps/${APP}/consents`, { identity: '+46700007021', action: 'opt_out', list: 'OPT_OUT_MARKETING', notify: false });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body.callbacks, []);
  assert.ok((await list('OPT_OUT_MARKETING', '?page_size=50')).body.identities.some((i: any) => i.identity === '46700007021'));
  // A later, notified change of another identity arrives; the silent one never does.
  await call('POST', `${emu.base}/_emulator/apps/${APP}/consents`, { identity: '+46700007022', action: 'opt_out' });
  await rx.waitFor(() => opts('46700007022').length === 1);
  assert.deepEqual(opts('46700007021'), []);
  await call('POST', `${emu.base}/_emulator/apps/${APP}/consents`, { identity: '+46700007021', action: 'opt_in', list: 'OPT_OUT_MARKETING', notify: false });
  assert.ok(!(await list('OPT_OUT_MARKETING', '?page_size=50')).body.identities.some((i: any) => i.identity === '46700007021'));
});
