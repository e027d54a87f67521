import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSandboxApp, whatsappTemplate, type SandboxApp } from '../helpers/sandbox.ts';

/** Sinch misbehaving at the network boundary: throttling, outages, expiring tokens, revoked credentials. */
describe('send pipeline under faults', () => {
  let s: SandboxApp;
  let clockOffsetMs = 0;
  const attemptsOf = (m: any) => m.timeline.filter((e: any) => e.kind === 'attempt').map((e: any) => e.detail);
  const sendAndSettle = async () => {
    const r = await s.send({ channel: 'whatsapp', to: '+46732001122', message: whatsappTemplate });
    assert.equal(r.status, 202);
    return s.waitForMessage(r.body.id, (m) => m.status !== 'queued');
  };
  const setKnobs = (knobs: Record<string, unknown>) => s.control('PATCH', '/apps/sandbox-app/knobs', knobs);

  before(async () => {
    // Delivery reports are held back for a minute, so the status these tests read is the hand-over's own.
    s = await startSandboxApp({ emulator: { now: () => Date.now() + clockOffsetMs, tokenLifetimeSeconds: 3600, delays: { queuedMs: 60_000, deliveredMs: 60_000, readMs: 60_000 } } });
    await sendAndSettle(); // warm the token cache so faults hit messages:send
  });
  after(() => s.close());

  test('a 429 storm with Retry-After: retried no sooner than asked, then accepted', async () => {
    await setKnobs({ faults: [{ kind: 'rate_limited', count: 3, retry_after_seconds: 1 }] });
    const m = await sendAndSettle();
    assert.equal(m.status, 'enqueued');
    const attempts = attemptsOf(m);
    assert.deepEqual(attempts.map((a: any) => a.outcome), ['retryable', 'retryable', 'retryable', 'accepted']);
    for (const a of attempts.slice(0, 3)) {
      assert.equal(a.http_status, 429);
      assert.equal(a.error_code, 'RATE_LIMITED');
      assert.ok(a.retry_in_ms >= 1000, `waited ${a.retry_in_ms} ms`);
    }
    const gap = Date.parse(attempts[3].finished_at) - Date.parse(attempts[0].finished_at);
    assert.ok(gap >= 3000, `the three waits add up (${gap} ms)`);
  });

  test('a burst of 503 and 500: retried with backoff, then accepted', async () => {
    await setKnobs({ faults: [{ kind: 'unavailable', count: 2 }, { kind: 'internal_error', count: 1 }] });
    const m = await sendAndSettle();
    assert.equal(m.status, 'enqueued');
    assert.deepEqual(attemptsOf(m).map((a: any) => a.http_status), [503, 503, 500, 200]);
  });

  test('an outage longer than the attempts: enqueued_failed with an explanation and a tracked event', async () => {
    await setKnobs({ faults: [{ kind: 'unavailable', count: 50 }] });
    try {
      const m = await sendAndSettle();
      assert.equal(m.status, 'enqueued_failed');
      assert.equal(m.error, 'SINCH_UNAVAILABLE');
      assert.match(m.error_description, /8 attempts/);
      assert.equal(attemptsOf(m).length, 8);
      assert.equal(m.provider_message_id, null);
      const events = await s.database.db.kysely.selectFrom('events').selectAll().where('message_id', '=', m.id).execute();
      assert.deepEqual(events.map((e) => [e.status, JSON.parse(e.properties_json).error]), [['enqueued_failed', 'SINCH_UNAVAILABLE']]);
    } finally {
      await setKnobs({ faults: [] });
    }
  });

  test('a token that expired at Sinch is refreshed once and the send goes through in the same attempt', async () => {
    clockOffsetMs = 3601 * 1000; // the emulator now sees our cached token as expired
    const m = await sendAndSettle();
    assert.equal(m.status, 'enqueued', JSON.stringify(m.timeline));
    assert.equal(attemptsOf(m).length, 1);
  });

  test('wrong credentials: enqueued_failed INVALID_CREDENTIALS at once, never retried', async () => {
    await s.control('PUT', '/apps/sandbox-app', { project_id: 'sandbox-project', access_key: 'sandbox-key', access_secret: 'rotated-by-someone' });
    clockOffsetMs += 3601 * 1000; // force a new token, which the old secret cannot get
    const m = await sendAndSettle();
    assert.equal(m.status, 'enqueued_failed');
    assert.equal(m.error, 'INVALID_CREDENTIALS');
    assert.equal(attemptsOf(m).length, 1);
    assert.ok(m.error_description.length > 20);
  });
});
