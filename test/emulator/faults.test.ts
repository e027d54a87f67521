import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
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
  const results = await Promise.all(Array.from({ length: 8 }, () => send(emu.base, textTo('46700002000'))));
  const limited = results.filter((r) => r.status === 429);
  assert.equal(results.filter((r) => r.status === 200).length, 5);
  assert.equal(limited.length, 3);
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
  await knobs({ outbound_rate: 10 });
  const ids: string[] = [];
  for (let i = 0; i < 15; i += 1) ids.push((await send(emu.base, textTo('46700002004'))).body.message_id);
  const app = await call('GET', `${emu.base}/_emulator/apps/${APP}`);
  assert.ok(app.body.queue_stats.outbound_size >= 3, `queued: ${app.body.queue_stats.outbound_size}`);
  const queued = (await call('GET', `${emu.base}/_emulator/messages?state=QUEUED`)).body.messages.length;
  assert.ok(queued >= 3);
  const deadline = Date.now() + 3000;
  while (emu.emulator.state.messages.get(ids.at(-1)!)!.state === 'QUEUED' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const first = Date.parse(emu.emulator.state.messages.get(ids[0]!)!.statuses[0]!.at);
  const last = Date.parse(emu.emulator.state.messages.get(ids.at(-1)!)!.statuses[0]!.at);
  assert.ok(last - first >= 350, `drained over ${last - first} ms`);
});

test('HIGH_PRIORITY messages jump the MT queue', async () => {
  await knobs({ outbound_rate: 5 });
  const normal: string[] = [];
  for (let i = 0; i < 8; i += 1) normal.push((await send(emu.base, textTo('46700002005'))).body.message_id);
  const high = (await send(emu.base, textTo('46700002005', 'urgent', { queue: 'HIGH_PRIORITY' }))).body.message_id as string;
  const deadline = Date.now() + 3000;
  while (emu.emulator.state.messages.get(high)!.state === 'QUEUED' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(emu.emulator.state.messages.get(normal.at(-1)!)!.state, 'QUEUED', 'the last normal message is still queued');
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
