import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { until } from '../helpers/wait.ts';
import { APP, call, FAST, send, startEmulator, textTo, type Running } from './helpers.ts';

let emu: Running;
before(async () => { emu = await startEmulator({ ...FAST, knobs: { enforce_whatsapp_window: false } }); });
after(async () => { await emu.close(); });
beforeEach(async () => {
  emu.emulator.reset({ keepApps: true });
  await knobs({ faults: [], project_request_limit: 800, outbound_rate: 20, response_delay_ms: 0, outbound_queue_limit: 500_000 });
});

async function knobs(patch: Record<string, unknown>): Promise<void> {
  const r = await call('PATCH', `${emu.base}/_emulator/apps/${APP}/knobs`, patch);
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

test('project request limit: requests over it get 429 with Retry-After; null lifts it', async () => {
  await knobs({ project_request_limit: 5 });
  const started = Date.now();
  const results = await Promise.all(Array.from({ length: 20 }, () => send(emu.base, textTo('46700002000'))));
  const elapsedMs = Date.now() - started;
  const limited = results.filter((r) => r.status === 429);
  const passed = results.filter((r) => r.status === 200).length;
  // A bucket of 5 refilled at 5/s: 5 at once, and one more for each 200 ms the burst took (however slow the machine).
  assert.ok(passed >= 5 && passed <= 5 + Math.ceil(elapsedMs / 200), `${passed} passed in ${elapsedMs} ms`);
  assert.equal(limited.length, 20 - passed);
  assert.ok(limited.length > 0);
  assert.equal(limited[0]!.body.error.status, 'RESOURCE_EXHAUSTED');
  assert.ok(Number(limited[0]!.headers.get('retry-after')) >= 1);
  await knobs({ project_request_limit: null });
  const burst = await Promise.all(Array.from({ length: 50 }, () => send(emu.base, textTo('46700002000'))));
  assert.ok(burst.every((r) => r.status === 200));
});

test('injected faults: next N requests get 429 with Retry-After, then 500, then 503, then normal', async () => {
  await knobs({ faults: [{ kind: 'rate_limited', count: 2, retry_after_seconds: 7 }, { kind: 'internal_error', count: 1 }, { kind: 'unavailable', count: 1, retry_after_seconds: 3 }] });
  const r1 = await send(emu.base, textTo('46700002001'));
  const r2 = await send(emu.base, textTo('46700002001'));
  assert.equal(r1.status, 429);
  assert.equal(r1.headers.get('retry-after'), '7');
  assert.equal(r2.status, 429);
  const r3 = await send(emu.base, textTo('46700002001'));
  assert.equal(r3.status, 500);
  assert.equal(r3.body.error.status, 'INTERNAL');
  const r4 = await send(emu.base, textTo('46700002001'));
  assert.equal(r4.status, 503);
  assert.equal(r4.body.error.status, 'UNAVAILABLE');
  assert.equal(r4.headers.get('retry-after'), '3');
  assert.equal((await send(emu.base, textTo('46700002001'))).status, 200);
  const app = await call('GET', `${emu.base}/_emulator/apps/${APP}`);
  assert.deepEqual(app.body.knobs.faults, []);
  assert.equal(emu.emulator.state.messages.size, 1, 'faulted requests create no message');
});

test('a 429 without Retry-After: retry_after_seconds null', async () => {
  await knobs({ faults: [{ kind: 'rate_limited', count: 1, retry_after_seconds: null }] });
  const limited = await send(emu.base, textTo('46700002001'));
  assert.equal(limited.status, 429);
  assert.equal(limited.body.error.status, 'RESOURCE_EXHAUSTED');
  assert.equal(limited.headers.get('retry-after'), null);
  assert.equal((await send(emu.base, textTo('46700002001'))).status, 200);
});

test('injected timeout: the request hangs until the client gives up; the next one is answered', async () => {
  await knobs({ faults: [{ kind: 'timeout', count: 1 }] });
  const started = Date.now();
  await assert.rejects(fetch(`${emu.base}/v1/projects/sandbox-project/messages:send`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('sandbox-key:sandbox-secret').toString('base64')}` },
    body: JSON.stringify(textTo('46700002002')),
    signal: AbortSignal.timeout(300),
  }), /abort|timeout/i);
  assert.ok(Date.now() - started >= 290);
  assert.equal((await send(emu.base, textTo('46700002002'))).status, 200);
});

test('slow answers: response_delay_ms delays every answer', async () => {
  await knobs({ response_delay_ms: 250 });
  const started = Date.now();
  assert.equal((await send(emu.base, textTo('46700002003'))).status, 200);
  assert.ok(Date.now() - started >= 240);
});

test('outbound drain rate: a burst above it waits in the MT queue and drains at the rate', async () => {
  await knobs({ outbound_rate: 5 });
  // Sent together: a bucket of 5 at 5/s leaves at least 5 waiting unless the burst itself takes a second.
  const started = Date.now();
  const ids = (await Promise.all(Array.from({ length: 15 }, () => send(emu.base, textTo('46700002004'))))).map((r) => r.body.message_id as string);
  const burstMs = Date.now() - started;
  const app = await call('GET', `${emu.base}/_emulator/apps/${APP}`);
  assert.ok(burstMs > 1000 || app.body.queue_stats.outbound_size >= 3, `queued: ${app.body.queue_stats.outbound_size} after a burst of ${burstMs} ms`);
  const queued = (await call('GET', `${emu.base}/_emulator/messages?state=QUEUED`)).body.messages.length;
  assert.ok(burstMs > 1000 || queued >= 3);
  await until(() => ids.every((id) => emu.emulator.state.messages.get(id)!.state !== 'QUEUED'), 'the queue to drain');
  const dispatched = ids.map((id) => Date.parse(emu.emulator.state.messages.get(id)!.statuses[0]!.at)).sort((a, b) => a - b);
  // 15 messages through a bucket of 5 at 5/s: the last leaves at least 2 s after the first, whatever the load.
  assert.ok(dispatched.at(-1)! - dispatched[0]! >= 1900, `drained over ${dispatched.at(-1)! - dispatched[0]!} ms`);
});

test('HIGH_PRIORITY messages jump the MT queue', async () => {
  // One a second: the normal burst queues for seconds, far longer than the high-priority one has to wait.
  await knobs({ outbound_rate: 1 });
  const normal = (await Promise.all(Array.from({ length: 8 }, () => send(emu.base, textTo('46700002005'))))).map((r) => r.body.message_id as string);
  const high = (await send(emu.base, textTo('46700002005', 'urgent', { queue: 'HIGH_PRIORITY' }))).body.message_id as string;
  await until(() => emu.emulator.state.messages.get(high)!.state !== 'QUEUED', 'the high-priority message to leave the queue');
  const stillQueued = normal.filter((id) => emu.emulator.state.messages.get(id)!.state === 'QUEUED');
  // Each of these was queued (its send answered) before the high-priority one was sent, and it left first.
  assert.ok(stillQueued.length >= 1, `normal messages queued before it are still waiting (${stillQueued.length} of 8)`);
});

test('a full MT queue answers 429; outbound_rate null sends at once', async () => {
  await knobs({ outbound_rate: 0.001, outbound_queue_limit: 1 });
  assert.equal((await send(emu.base, textTo('46700002006'))).status, 200); // dispatched with the bucket's one token
  assert.equal((await send(emu.base, textTo('46700002006'))).status, 200); // waits in the queue
  const full = await send(emu.base, textTo('46700002006'));
  assert.equal(full.status, 429);
  assert.equal(full.body.error.status, 'RESOURCE_EXHAUSTED');
  emu.emulator.reset({ keepApps: true });
  await knobs({ outbound_rate: null, outbound_queue_limit: 500_000 });
  for (let i = 0; i < 100; i += 1) await send(emu.base, textTo('46700002007'));
  assert.equal((await call('GET', `${emu.base}/_emulator/apps/${APP}`)).body.queue_stats.outbound_size, 0);
});

test('bad knobs are refused with 400', async () => {
  const fieldsOf = (r: { body: any }) => r.body.error.details[0].field_violations.map((v: { field: string }) => v.field);
  const negative = await call('PATCH', `${emu.base}/_emulator/apps/${APP}/knobs`, { outbound_rate: -1 });
  assert.equal(negative.status, 400);
  assert.ok(fieldsOf(negative).includes('outbound_rate'));
  const unknown = await call('PATCH', `${emu.base}/_emulator/apps/${APP}/knobs`, { nonsense: true });
  assert.equal(unknown.status, 400);
  assert.ok(fieldsOf(unknown).includes('nonsense'), JSON.stringify(fieldsOf(unknown)));
});
