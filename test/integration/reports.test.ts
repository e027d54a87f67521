import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSandboxApp, whatsappTemplate, type SandboxApp } from '../helpers/sandbox.ts';

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
    const events = await eventsOf(id);
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
      await new Promise((r) => setTimeout(r, 300));
      const statuses = (await eventsOf(id)).map((e) => e.status).sort();
      assert.deepEqual(statuses, ['delivered', 'enqueued', 'read', 'sent']);
      const received = await s.control('GET', `/messages/${m.provider_message_id}`);
      assert.ok(JSON.stringify(received).length > 0);
    } finally {
      await s.control('PATCH', '/apps/sandbox-app/knobs', { duplicate_callbacks: 0 });
    }
  });

  test('READ before DELIVERED: the status stays read, both are tracked once', async () => {
    await s.control('PATCH', '/apps/sandbox-app/knobs', { out_of_order_callbacks: true });
    try {
      const id = await send({ channel: 'whatsapp', to: '+46732001144', message: whatsappTemplate });
      await s.waitForMessage(id, (x) => x.status === 'read');
      const deadline = Date.now() + 5000;
      let statuses: string[] = [];
      while (Date.now() < deadline) {
        statuses = (await eventsOf(id)).map((e) => e.status).sort();
        if (statuses.includes('delivered')) break;
        await new Promise((r) => setTimeout(r, 20));
      }
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
    const deadline = Date.now() + 5000;
    let rows: any[] = [];
    while (Date.now() < deadline) {
      rows = await s.database.db.kysely.selectFrom('callbacks').selectAll().where('provider_message_id', '=', providerId).execute();
      if (rows.length >= 3 && rows.every((r) => r.processed_at !== null)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(rows.length >= 3);
    assert.ok(rows.every((r) => r.outcome === 'unknown_message'));
    const dead = await s.database.db.kysely.selectFrom('jobs').selectAll().where('dead', '=', 1).execute();
    assert.deepEqual(dead, []);
  });
});
