/**
 * Sinch answering 429 without Retry-After (its token service always does, doc §1.2): the service backs off instead
 * of asking again at once, and a backlog of messages does not turn into a request per message.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSandboxApp, whatsappTemplate, type SandboxApp } from '../helpers/sandbox.ts';

describe('429 without Retry-After', () => {
  let s: SandboxApp;
  const attemptsOf = (m: any) => m.timeline.filter((e: any) => e.kind === 'attempt').map((e: any) => e.detail);
  const setKnobs = (knobs: Record<string, unknown>) => s.control('PATCH', '/apps/sandbox-app/knobs', knobs);
  const sendMany = async (n: number): Promise<string[]> => Promise.all(Array.from({ length: n }, async (_, i) => {
    const r = await s.send({ channel: 'whatsapp', to: `+4673200150${i}`, message: whatsappTemplate });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return r.body.id as string;
  }));

  // Reports held back a minute: the status these tests read is the hand-over's own. Short send backoffs
  // (SEND_RETRY_BASE_MS 20 ms), so any wait of a second or more is the 429's doing.
  before(async () => { s = await startSandboxApp({ emulator: { delays: { queuedMs: 60_000, deliveredMs: 60_000, readMs: 60_000 } } }); });
  after(() => s.close());

  test('the token service throttling: one token request per pause (1 s, 2 s, …), whatever the backlog; then all go', { timeout: 60_000 }, async () => {
    // The service has no token yet; the next 3 token requests are refused with 429 and no Retry-After.
    await setKnobs({ token_faults: 3 });
    const before = await s.control('GET', '');
    const ids = await sendMany(5);
    const messages = await Promise.all(ids.map((id) => s.waitForMessage(id, (m) => m.status !== 'queued', 40_000)));
    for (const m of messages) assert.equal(m.status, 'enqueued', JSON.stringify(m.timeline));
    const counts = await s.control('GET', '');
    assert.equal(counts.token_requests_refused - before.token_requests_refused, 3);
    assert.equal(counts.token_requests - before.token_requests, 4, 'three refusals and one token, not one request per message and attempt');
    const throttled = messages.flatMap(attemptsOf).filter((a: any) => a.error_code === 'RATE_LIMITED');
    assert.ok(throttled.length >= 5, `every message waited at least once (${throttled.length})`);
    for (const a of throttled) assert.ok(a.retry_in_ms >= 100, `a throttled attempt waits (${a.retry_in_ms} ms)`);
    // The pauses add up: the first pause is at least half a second, the second a second, the third two.
    const starts = messages.flatMap((m) => m.timeline.filter((e: any) => e.kind === 'attempt').map((e: any) => Date.parse(e.at)));
    assert.ok(Math.max(...starts) - Math.min(...starts) >= 3000, `the refusals were spread over ${Math.max(...starts) - Math.min(...starts)} ms`);
  });

  test('messages:send answering 429 without Retry-After: retried after a second at least, then accepted', { timeout: 30_000 }, async () => {
    await setKnobs({ faults: [{ kind: 'rate_limited', count: 2, retry_after_seconds: null }] });
    const [id] = await sendMany(1);
    const m = await s.waitForMessage(id!, (x) => x.status !== 'queued', 20_000);
    assert.equal(m.status, 'enqueued');
    const attempts = attemptsOf(m);
    assert.deepEqual(attempts.map((a: any) => a.http_status), [429, 429, 200]);
    for (const a of attempts.slice(0, 2)) assert.ok(a.retry_in_ms >= 1000, `waited ${a.retry_in_ms} ms`);
  });
});
