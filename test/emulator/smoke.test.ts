import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openWindow, registerWebhook, send, startEmulator, startReceiver, statusesOf, textTo } from './helpers.ts';

test('smoke: send and receive delivery reports', async () => {
  const emu = await startEmulator();
  const rx = await startReceiver();
  try {
    assert.equal((await registerWebhook(emu.base, rx.url)).status, 200);
    await openWindow(emu.base, '46700000000');
    const r = await send(emu.base, textTo('46700000000'));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await rx.waitFor((all) => statusesOf(all, r.body.message_id).includes('READ'));
    assert.deepEqual(statusesOf(rx.received, r.body.message_id), ['QUEUED_ON_CHANNEL', 'DELIVERED', 'READ']);
  } finally {
    await rx.close();
    await emu.close();
  }
});
