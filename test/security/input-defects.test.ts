/**
 * Small defects of the hardening issue, each through the real app: the sender an RCS message fell back to SMS went
 * out from; a 413 that reaches a client still uploading (not a reset connection); verify naming webhooks Sinch still
 * has on an old address; event mapping set for one channel. (Malformed cursors: input-cursors.test.ts.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call } from '../helpers/app.ts';
import { startSandboxApp, type SandboxApp } from '../helpers/sandbox.ts';

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the sender of what went by SMS', () => {
  let s: SandboxApp;
  before(async () => { s = await startSandboxApp(); });
  after(() => s.close());
  const eventsOf = async (query: string) => (await call(s.app, 'GET', `/api/v1/projects/${s.project.id}/events?${query}`, s.project.memberToken)).body.data as any[];

  test('an RCS message that fell back to SMS: its SMS reports and the message name the SMS sender, its enqueued event the RCS agent', async () => {
    // …0003: no RCS capability, so Sinch switches to SMS and delivers there.
    const sent = await s.send({ channel: 'rcs', to: '+46732000003', message: { text_message: { text: 'hi' } }, channel_priority_order: ['rcs', 'sms'] });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const message = await s.waitForMessage(sent.body.id, (m) => m.current_channel === 'sms' && (m.status === 'delivered' || m.status === 'read'), 60_000);
    assert.equal(message.sender, '+46732000099', 'the view names the sender of the channel that carried it');
    const events = await waitFor(async () => {
      const all = await eventsOf(`message_id=${message.id as string}`);
      return all.some((e) => e.properties.status === 'delivered') ? all : undefined;
    }, 'the delivered event');
    const byStatus = Object.fromEntries(events.map((e) => [e.properties.status, e.properties]));
    assert.equal(byStatus.enqueued.sender, 'sandbox-agent', 'handed to Sinch for RCS first, from the agent');
    assert.equal(byStatus.delivered.delivery_channel, 'sms');
    assert.equal(byStatus.delivered.sender, '+46732000099');
    for (const e of events.filter((x) => x.properties.delivery_channel === 'sms')) assert.equal(e.properties.sender, '+46732000099', e.properties.status);
  });

  test('an SMS a customer sent to the RCS thread without a sender id is tracked as received by the SMS sender', async () => {
    await s.control('POST', '/apps/sandbox-app/inbound', { identity: '46732006201', channel: 'SMS', text: 'hello' });
    const [event] = await waitFor(async () => {
      const found = await eventsOf('status=incoming_message&recipient=%2B46732006201');
      return found.length > 0 ? found : undefined;
    }, 'the incoming_message event');
    assert.equal(event.properties.delivery_channel, 'sms');
    assert.equal(event.properties.sender, '+46732000099');
  });
});
