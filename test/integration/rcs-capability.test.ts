/**
 * RCS campaigns and the capability cache, against the emulator: unknown numbers are asked of Sinch before the
 * fan-out writes their messages; capable → RCS, not capable → SMS (with sms_fallback) or skipped
 * `no_rcs_capability`; an unanswered query → RCS as before; a second campaign uses the cache (no new query).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call } from '../helpers/app.ts';
import { startSandboxApp, type SandboxApp } from '../helpers/sandbox.ts';
import { waitFor } from '../helpers/wait.ts';

describe('RCS capability before an RCS campaign sends', () => {
  let s: SandboxApp;
  before(async () => { s = await startSandboxApp({ env: { RCS_CAPABILITY_WAIT_SECONDS: '3' } }); });
  after(() => s.close());
  const api = (method: 'GET' | 'POST', path: string, body?: unknown) => call(s.app, method, `/api/v1/projects/${s.project.id}${path}`, s.project.memberToken, body);
  const capabilityQueries = async () => ((await s.control('GET', '/callbacks?trigger=CAPABILITY&limit=1000')).callbacks as any[]);
  const launch = async (body: Record<string, unknown>) => {
    const created = await api('POST', '/campaigns', { channel: 'rcs', content: { text_message: { text: 'Spring sale' } }, ...body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await api('POST', `/campaigns/${created.body.id}/launch`)).status, 200);
    return created.body.id as string;
  };
  /** Every message handed over and its last report in. */
  const settled = (id: string) => waitFor(async () => {
    const r = (await api('GET', `/campaigns/${id}/report`)).body;
    const done = r.statuses.read + r.statuses.delivered + r.statuses.failed + r.statuses.enqueued_failed;
    return r.status === 'completed' && r.statuses.enqueued + r.statuses.enqueued_failed === r.messages && done >= r.messages ? r : undefined;
  }, `campaign ${id} to settle`);
  const messagesOf = async (id: string) => (await api('GET', `/messages?campaign_id=${id}&limit=100`)).body.data as any[];
  const atSinch = async (m: any) => (await s.control('GET', `/messages/${m.provider_message_id}`)) as { request: any; channel: string };

  test('the sandbox webhook subscribes to CAPABILITY', async () => {
    const app = await s.control('GET', '/apps/sandbox-app');
    assert.ok(app.webhooks.some((h: any) => h.triggers.includes('CAPABILITY')), JSON.stringify(app.webhooks));
  });

  test('capable → RCS; no RCS (…0003) without fallback → skipped no_rcs_capability; the cache shows both', async () => {
    const r0 = await api('POST', '/customers:batch', { customers: [{ phone: '+46732091020', tags: ['cap'] }, { phone: '+46732090003', tags: ['cap'] }] });
    assert.equal(r0.status, 200);
    const id = await launch({ name: 'RCS only', audience: { filter: { tag: 'cap' } } });
    const r = await settled(id);
    assert.equal(r.audience, 2);
    assert.deepEqual(r.skipped, { total: 1, by_reason: { no_rcs_capability: 1 } });
    const skipped = (await api('GET', `/campaigns/${id}/skipped?reason=no_rcs_capability`)).body.data as any[];
    assert.deepEqual(skipped.map((x) => x.phone), ['+46732090003']);
    const [m] = await messagesOf(id);
    assert.equal(m.to, '+46732091020');
    assert.equal((await atSinch(m)).request.recipient.identified_by.channel_identities[0].channel, 'RCS');
    // One query per number, answered by CAPABILITY callbacks.
    const queries = await capabilityQueries();
    assert.deepEqual(queries.map((c) => c.payload.capability_notification.identity).sort(), ['46732090003', '46732091020']);
    const cache = async (phone: string) => (await api('GET', `/customers/${encodeURIComponent(phone)}/capabilities`)).body.data as any[];
    const [no] = await cache('+46732090003');
    assert.deepEqual({ integration: no.integration_id, status: no.status, reason: no.reason }, { integration: s.integrationId, status: 'not_capable', reason: 'RECIPIENT_NOT_REACHABLE' });
    assert.ok(Date.parse(no.expires_at) - Date.parse(no.checked_at) >= 7 * 86400_000 - 1000, 'a known answer is kept a week by default');
    assert.equal((await cache('+46732091020'))[0].status, 'capable');
  });

  test('with sms_fallback the number without RCS gets SMS straight away; the second launch uses the cache (no new query)', async () => {
    const before_ = (await capabilityQueries()).length;
    const id = await launch({ name: 'With fallback', audience: { filter: { tag: 'cap' } }, sms_fallback: true });
    const r = await settled(id);
    assert.deepEqual({ skipped: r.skipped.total, messages: r.messages }, { skipped: 0, messages: 2 });
    assert.equal((await capabilityQueries()).length, before_, 'no capability query: both numbers were known');
    const messages = await messagesOf(id);
    const sms = messages.find((m) => m.to === '+46732090003');
    const sent = await atSinch(sms);
    assert.deepEqual(sent.request.recipient.identified_by.channel_identities.map((c: any) => c.channel), ['SMS'], 'no doomed RCS leg');
    assert.deepEqual(sent.request.channel_priority_order, ['SMS']);
    assert.equal(sent.request.channel_properties.SMS_SENDER, '+46732000099');
    assert.equal(sms.status, 'delivered');
    assert.equal(r.channels.sms.delivered, 1);
    assert.equal(r.channels.rcs.read, 1);
  });

  test('a query not answered in time: the number gets RCS as before, and the late answer fills the cache', async () => {
    await s.control('PATCH', '/apps/sandbox-app/knobs', { callback_delay_ms: 5000 });
    try {
      await api('POST', '/customers:batch', { customers: [{ phone: '+46732092020', tags: ['slow'] }] });
      const id = await launch({ name: 'Slow answer', audience: { filter: { tag: 'slow' } }, sms_fallback: true });
      const [m] = await waitFor(async () => { const l = await messagesOf(id); return l.length === 1 ? l : undefined; }, 'the message to be written');
      assert.equal((await api('GET', '/customers/%2B46732092020/capabilities')).body.data[0].status, 'pending');
      await waitFor(async () => ((await s.getMessage(m.id)).provider_message_id !== null ? true : undefined), 'the message to go');
      const sent = await atSinch(await s.getMessage(m.id));
      assert.deepEqual(sent.request.channel_priority_order, ['RCS', 'SMS']);
    } finally {
      await s.control('PATCH', '/apps/sandbox-app/knobs', { callback_delay_ms: 0 });
    }
    await waitFor(async () => ((await api('GET', '/customers/%2B46732092020/capabilities')).body.data[0].status === 'capable' ? true : undefined), 'the late answer to be cached');
  });
});
