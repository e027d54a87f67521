import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSandboxApp, whatsappTemplate, type SandboxApp } from '../helpers/sandbox.ts';
import { waitFor } from '../helpers/wait.ts';

/** Delivery and read reports from the emulator, through the signed callback URL, into statuses and events. */
describe('delivery and read reports', () => {
  let s: SandboxApp;
  // Our own window check is off so that Sinch's (the emulator's) enforcement can be seen.
  before(async () => { s = await startSandboxApp({ whatsappWindowCheck: false }); });
  after(() => s.close());

  const eventsOf = async (messageId: string) =>
    (await s.database.db.kysely.selectFrom('events').selectAll().where('message_id', '=', messageId).orderBy('ts').orderBy('id').execute())
      .map((e) => ({ status: e.status, ...JSON.parse(e.properties_json) }));
  const send = async (body: Record<string, unknown>) => {
    const r = await s.send(body);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return r.body.id as string;
  };

  test('WhatsApp: enqueued → sent → delivered → read, each tracked once with the seed\'s properties', async () => {
    const id = await send({ channel: 'whatsapp', to: '+46732001122', message: whatsappTemplate, campaign_id: 'c-1' });
    const m = await s.waitForMessage(id, (x) => x.status === 'read');
    // A fast report can be applied before the worker has recorded Sinch's 200 (the enqueued event): wait for all four.
    const events = await waitFor(async () => {
      const found = await eventsOf(id);
      return found.length >= 4 ? found : undefined;
    }, 'the four status events');
    assert.deepEqual(events.map((e) => e.status).sort(), ['delivered', 'enqueued', 'read', 'sent']);
    for (const e of events) {
      assert.equal(e.action_type, 'whatsapp');
      assert.equal(e.campaign_id, 'c-1');
      assert.equal(e.recipient, '+46732001122');
      assert.equal(e.error, null);
      assert.equal(typeof e.sent_timestamp, 'number');
    }
    assert.deepEqual(m.timeline.filter((e: any) => e.kind === 'status').map((e: any) => e.status), ['queued', 'enqueued', 'sent', 'delivered', 'read'].filter((x) => x !== 'queued'));
    const callbacks = await s.database.db.kysely.selectFrom('callbacks').selectAll().where('provider_message_id', '=', m.provider_message_id).execute();
    assert.equal(callbacks.length, 3);
    assert.ok(callbacks.every((c) => c.outcome === 'applied'));
  });

  test('FAILED with RECIPIENT_NOT_REACHABLE: failed, with the code and a plain explanation', async () => {
    const id = await send({ channel: 'whatsapp', to: '+46732000001', message: whatsappTemplate });
    const m = await s.waitForMessage(id, (x) => x.status === 'failed');
    assert.equal(m.error, 'RECIPIENT_NOT_REACHABLE');
    assert.match(m.error_description, /reach/i);
    assert.match(m.error_description, /\(WhatsApp error 131026\)$/, 'the channel\'s own code (reason.channel_code) is kept');
    const failed = (await eventsOf(id)).find((e) => e.status === 'failed');
    assert.equal(failed.error, 'RECIPIENT_NOT_REACHABLE');
    assert.ok(failed.error_description.length > 20);
  });

  test('FAILED with RECIPIENT_NOT_OPTED_IN: rejected', async () => {
    const id = await send({ channel: 'whatsapp', to: '+46732000002', message: whatsappTemplate });
    const m = await s.waitForMessage(id, (x) => x.status === 'rejected');
    assert.equal(m.error, 'RECIPIENT_NOT_OPTED_IN');
  });

  test('free-form WhatsApp outside the 24 h window: rejected OUTSIDE_ALLOWED_SENDING_WINDOW', async () => {
    const id = await send({ channel: 'whatsapp', to: '+46732004455', message: { text_message: { text: 'hello' } } });
    const m = await s.waitForMessage(id, (x) => x.status === 'rejected');
    assert.equal(m.error, 'OUTSIDE_ALLOWED_SENDING_WINDOW');
    assert.match(m.error_description, /WhatsApp error 131047/);
  });

  test('RCS without capability, SMS next: SWITCHING_CHANNEL on the timeline, then SMS delivery', async () => {
    const id = await send({ channel: 'rcs', to: '+46732000003', message: { text_message: { text: 'hi' } }, channel_priority_order: ['rcs', 'sms'] });
    const m = await s.waitForMessage(id, (x) => x.status === 'delivered' && x.current_channel === 'sms');
    assert.ok(m.timeline.some((e: any) => e.kind === 'switching_channel'), JSON.stringify(m.timeline));
    const events = await eventsOf(id);
    assert.equal(events.some((e) => e.status === 'switching_channel'), false, 'not a status event');
    const delivered = events.find((e) => e.status === 'delivered');
    assert.equal(delivered.delivery_channel, 'sms');
    assert.equal(delivered.action_type, 'rcs');
  });

  test('repeated callbacks change nothing: each status tracked once', async () => {
    await s.control('PATCH', '/apps/sandbox-app/knobs', { duplicate_callbacks: 2 });
    try {
      const id = await send({ channel: 'whatsapp', to: '+46732001133', message: whatsappTemplate });
      const m = await s.waitForMessage(id, (x) => x.status === 'read');
      // Every copy of every report delivered and answered (three statuses, each sent three times), not a fixed wait.
      const reports = await waitFor(async () => {
        const record = await s.control('GET', `/messages/${m.provider_message_id as string}`);
        const sent = (record.callbacks as any[]).filter((c) => c.trigger === 'MESSAGE_DELIVERY');
        return sent.length === 9 && sent.every((c) => c.state !== 'pending') ? sent : undefined;
      }, 'every copy of every report');
      assert.deepEqual(reports.map((c: any) => [c.status, c.state, c.attempts.at(-1).status_code]).sort(), [
        ...Array.from({ length: 3 }, () => ['DELIVERED', 'delivered', 200]),
        ...Array.from({ length: 3 }, () => ['QUEUED_ON_CHANNEL', 'delivered', 200]),
        ...Array.from({ length: 3 }, () => ['READ', 'delivered', 200]),
      ], 'each report reached us three times and was acknowledged each time');
      assert.equal(reports.filter((c: any) => c.duplicate_of !== null).length, 6);
      const statuses = await waitFor(async () => {
        const found = (await eventsOf(id)).map((e) => e.status).sort();
        return found.includes('enqueued') ? found : undefined;
      }, 'the enqueued event');
      assert.deepEqual(statuses, ['delivered', 'enqueued', 'read', 'sent']);
      const stored = await s.database.db.kysely.selectFrom('callbacks').select(['outcome']).where('provider_message_id', '=', m.provider_message_id).execute();
      assert.deepEqual(stored.map((c) => c.outcome).sort(), ['applied', 'applied', 'applied'], 'each report stored once');
      const timeline = (await s.getMessage(id)).timeline.filter((e: any) => e.kind === 'status').map((e: any) => e.status);
      assert.deepEqual(timeline, ['enqueued', 'sent', 'delivered', 'read']);
    } finally {
      await s.control('PATCH', '/apps/sandbox-app/knobs', { duplicate_callbacks: 0 });
    }
  });

  test('READ before DELIVERED: the status stays read, both are tracked once', async () => {
    await s.control('PATCH', '/apps/sandbox-app/knobs', { out_of_order_callbacks: true });
    try {
      const id = await send({ channel: 'whatsapp', to: '+46732001144', message: whatsappTemplate });
      await s.waitForMessage(id, (x) => x.status === 'read');
      const statuses = await waitFor(async () => {
        const found = (await eventsOf(id)).map((e) => e.status).sort();
        return found.includes('delivered') && found.includes('enqueued') ? found : undefined;
      }, 'the late DELIVERED event (and the enqueued one, which a fast report can overtake)');
      assert.deepEqual(statuses, ['delivered', 'enqueued', 'read', 'sent']);
      assert.equal((await s.getMessage(id)).status, 'read');
    } finally {
      await s.control('PATCH', '/apps/sandbox-app/knobs', { out_of_order_callbacks: false });
    }
  });

  test('reports about a message another system sent on the same app are kept, not errors', async () => {
    const res = await fetch(`${s.baseUrl}/sandbox/v1/projects/sandbox-project/messages:send`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('sandbox-key:sandbox-secret').toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ app_id: 'sandbox-app', recipient: { identified_by: { channel_identities: [{ channel: 'WHATSAPP', identity: '46732001155' }] } }, message: whatsappTemplate }),
    });
    assert.equal(res.status, 200);
    const { message_id: providerId } = await res.json() as { message_id: string };
    const rows = await waitFor(async () => {
      const found = await s.database.db.kysely.selectFrom('callbacks').selectAll().where('provider_message_id', '=', providerId).execute();
      return found.length >= 3 && found.every((r) => r.processed_at !== null) ? found : undefined;
    }, 'the three reports, processed');
    assert.equal(rows.length, 3);
    assert.ok(rows.every((r) => r.outcome === 'unknown_message'));
    const dead = await s.database.db.kysely.selectFrom('jobs').selectAll().where('dead', '=', 1).execute();
    assert.deepEqual(dead, []);
  });
});
