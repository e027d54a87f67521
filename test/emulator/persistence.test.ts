/**
 * The emulator with a data dir: a restart changes nothing a client can see. Apps, knobs, webhooks, WhatsApp windows,
 * inbound history, templates and tokens are there after it; a message in flight carries on with its reports; a
 * callback still being retried is sent again.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EmulatorOptions } from '../../src/emulator/emulator.ts';
import { APP, call, getToken, PROJECT, registerWebhook, send, startEmulator, startReceiver, statusesOf, textTo, type Running } from './helpers.ts';

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'emu-store-'));
  dirs.push(dir);
  return dir;
}
after(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }); });

const options = (dir: string, extra: EmulatorOptions = {}): EmulatorOptions => ({
  delays: { queuedMs: 5, deliveredMs: 5, readMs: 5 },
  callbackRetryScheduleMs: [100, 100, 100],
  callbackTimeoutMs: 1000,
  dataDir: dir,
  ...extra,
});

/** Restarts on the same data dir: close (saves), then a new emulator on a new port. */
async function restart(emu: Running, dir: string, extra: EmulatorOptions = {}): Promise<Running> {
  await emu.close();
  return startEmulator(options(dir, extra));
}

test('apps, knobs, webhooks, windows, inbound, templates and tokens are there after a restart', async () => {
  const dir = dataDir();
  const rx = await startReceiver();
  let emu = await startEmulator(options(dir));
  try {
    assert.equal((await call('PUT', `${emu.base}/_emulator/apps/second-app`, { project_id: PROJECT, access_key: 'k2', access_secret: 's2', knobs: { read_delay_ms: 7 } })).status, 201);
    assert.equal((await call('PATCH', `${emu.base}/_emulator/apps/${APP}/knobs`, { outcomes: { '46700001111': 'delivered-unread' } })).status, 200);
    assert.equal((await registerWebhook(emu.base, `${rx.url}/hook`)).status, 200);
    assert.equal((await call('POST', `${emu.base}/_emulator/apps/${APP}/inbound`, { identity: '46700001111', text: 'hello shop' })).status, 200);
    assert.equal((await call('PUT', `${emu.base}/_emulator/templates/promo/en_US`, { body: 'Sale {{1}}' })).status, 200);
    assert.equal((await call('DELETE', `${emu.base}/_emulator/templates/welcome/pt_BR`)).status, 200);
    const token = await getToken(emu.base);

    emu = await restart(emu, dir);
    const apps = (await call('GET', `${emu.base}/_emulator/apps`)).body.apps as any[];
    assert.deepEqual(apps.map((a) => a.app_id).sort(), [APP, 'second-app']);
    assert.equal(apps.find((a) => a.app_id === 'second-app').knobs.read_delay_ms, 7);
    assert.deepEqual(apps.find((a) => a.app_id === APP).knobs.outcomes, { '46700001111': 'delivered-unread' });
    assert.deepEqual(apps.find((a) => a.app_id === APP).webhooks.map((w: any) => w.target), [`${rx.url}/hook`]);
    const inbound = (await call('GET', `${emu.base}/_emulator/inbound?identity=46700001111`)).body.inbound as any[];
    assert.deepEqual(inbound.map((i) => i.contact_message.text_message.text), ['hello shop']);
    assert.equal(inbound[0].callbacks.length, 1, 'the inbound message keeps its callback');
    const templates = (await call('GET', `${emu.base}/_emulator/templates`)).body.templates as any[];
    assert.ok(templates.some((t) => t.name === 'promo'));
    assert.ok(!templates.some((t) => t.name === 'welcome' && t.language === 'pt_BR'), 'a deleted seed stays deleted');

    // The token issued before the restart still works, and the window opened by the inbound message is still open.
    const sent = await send(emu.base, textTo('46700001111', 'free-form in the window'), `Bearer ${token}`);
    assert.equal(sent.status, 200);
    await rx.waitFor((all) => statusesOf(all, sent.body.message_id).includes('DELIVERED'));
    const message = (await call('GET', `${emu.base}/_emulator/messages/${sent.body.message_id}`)).body;
    assert.equal(message.reason, null, JSON.stringify(message.reason));
  } finally {
    await emu.close();
    await rx.close();
  }
  assert.equal((statSync(path.join(dir, 'sandbox.sqlite')).mode & 0o777).toString(8), '600');
});

test('a message in flight at the restart reaches READ after it; a callback being retried is sent again', async () => {
  const dir = dataDir();
  const rx = await startReceiver();
  let offset = 0;
  const clock = { now: () => Date.now() + offset, delays: { queuedMs: 5, deliveredMs: 60_000, readMs: 5 } };
  let emu = await startEmulator(options(dir, clock));
  try {
    await registerWebhook(emu.base, `${rx.url}/hook`);
    await call('POST', `${emu.base}/_emulator/apps/${APP}/inbound`, { identity: '46700002222', text: 'hi' });
    const first = await send(emu.base, textTo('46700002222', 'in flight'));
    assert.equal(first.status, 200);
    await rx.waitFor((all) => statusesOf(all, first.body.message_id).includes('QUEUED_ON_CHANNEL'));
    // A second message whose QUEUED_ON_CHANNEL callback fails: at the restart it is pending, waiting for a retry.
    const second = await send(emu.base, textTo('46700002222', 'callback failing'));
    rx.respond = (r) => (r.body.message_delivery_report?.message_id === second.body.message_id ? 500 : 200);
    await rx.waitFor((all) => statusesOf(all, second.body.message_id).includes('QUEUED_ON_CHANNEL'));
    await emu.close();
    assert.deepEqual(statusesOf(rx.received, first.body.message_id), ['QUEUED_ON_CHANNEL']);

    // Two minutes later (the emulator's clock): DELIVERED and READ fell due while it was down, and come at once.
    offset = 120_000;
    rx.respond = () => 200;
    emu = await startEmulator(options(dir, clock));
    await rx.waitFor((all) => statusesOf(all, first.body.message_id).includes('READ'));
    assert.deepEqual(statusesOf(rx.received, first.body.message_id), ['QUEUED_ON_CHANNEL', 'DELIVERED', 'READ']);
    // The second's QUEUED_ON_CHANNEL, refused before, is sent again (and its later reports follow).
    await rx.waitFor((all) => statusesOf(all, second.body.message_id).filter((s) => s === 'QUEUED_ON_CHANNEL').length >= 2);
    const shown = (await call('GET', `${emu.base}/_emulator/messages/${first.body.message_id}`)).body;
    assert.equal(shown.state, 'READ');
    const callbacks = (await call('GET', `${emu.base}/_emulator/callbacks?message_id=${second.body.message_id}&trigger=MESSAGE_DELIVERY`)).body.callbacks as any[];
    const queued = callbacks.find((c) => c.status === 'QUEUED_ON_CHANNEL');
    assert.equal(queued.state, 'delivered', JSON.stringify(queued));
    assert.equal(queued.attempts.at(-1).status_code, 200);
  } finally {
    await emu.close();
    await rx.close();
  }
});

test('a message still in the MT queue at the restart is sent after it', async () => {
  const dir = dataDir();
  const rx = await startReceiver();
  let emu = await startEmulator(options(dir, { knobs: { outbound_rate: 0.001, enforce_whatsapp_window: false } }));
  try {
    await registerWebhook(emu.base, `${rx.url}/hook`);
    const a = await send(emu.base, textTo('46700003331', 'a'));
    const b = await send(emu.base, textTo('46700003332', 'b'));
    // The first leaves at once (a burst of one); the second waits in the queue for 1000 s.
    await rx.waitFor((all) => statusesOf(all, a.body.message_id).includes('READ'));
    assert.equal((await call('GET', `${emu.base}/_emulator/messages/${b.body.message_id}`)).body.state, 'QUEUED');
    assert.equal((await call('GET', `${emu.base}/_emulator/apps/${APP}`)).body.queue_stats.outbound_size, 1);
    emu = await restart(emu, dir); // (the drain rate's bucket starts full again, as after any restart)
    await rx.waitFor((all) => statusesOf(all, b.body.message_id).includes('READ'));
  } finally {
    await emu.close();
    await rx.close();
  }
});
