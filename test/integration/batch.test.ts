import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call } from '../helpers/app.ts';
import { startSandboxApp, whatsappTemplate, type SandboxApp } from '../helpers/sandbox.ts';

describe('messages:batch and send_at', () => {
  let s: SandboxApp;
  before(async () => { s = await startSandboxApp(); });
  after(() => s.close());
  const batch = (messages: unknown[], headers: Record<string, string> = {}) => s.app.inject({
    method: 'POST', url: `/api/v1/projects/${s.project.id}/messages:batch`,
    headers: { authorization: `Bearer ${s.project.memberToken}`, ...headers }, payload: { messages },
  });

  test('a result per item: valid ones accepted together, each invalid one named by its field', async () => {
    const res = await batch([
      { channel: 'whatsapp', to: '+46732005001', message: whatsappTemplate },
      { channel: 'whatsapp', to: 'not a phone', message: whatsappTemplate },
      { channel: 'rcs', to: '+46732005003', message: { text_message: { text: 'Hi' } }, colour: 'red' },
      { channel: 'rcs', to: '+46732005004', message: { text_message: { text: 'Hi' } } },
    ]);
    assert.equal(res.statusCode, 200, res.body);
    const data = res.json().data;
    assert.deepEqual(data.map((d: any) => d.status), [202, 400, 400, 202]);
    assert.equal(data[1].error.field, 'messages[1].to');
    assert.equal(data[2].error.field, 'messages[2].colour');
    assert.match(data[2].error.message, /not a known field/);
    for (const i of [0, 3]) {
      const m = await s.waitForMessage(data[i].message.id as string, (x) => x.status !== 'queued');
      assert.notEqual(m.status, 'enqueued_failed');
    }
  });

  test('the same Idempotency-Key gives the first answer and creates nothing more', async () => {
    const items = [{ channel: 'whatsapp', to: '+46732005011', message: whatsappTemplate }];
    const first = await batch(items, { 'idempotency-key': 'batch-1' });
    const again = await batch(items, { 'idempotency-key': 'batch-1' });
    assert.deepEqual(again.json(), first.json());
    const list = await call(s.app, 'GET', `/api/v1/projects/${s.project.id}/messages?recipient=%2B46732005011`, s.project.memberToken);
    assert.equal(list.body.data.length, 1);
    const other = await batch([{ channel: 'whatsapp', to: '+46732005012', message: whatsappTemplate }], { 'idempotency-key': 'batch-1' });
    assert.equal(other.statusCode, 422);
  });

  test('send_at: accepted now, handed to Sinch no earlier than asked', async () => {
    const at = new Date(Date.now() + 1500);
    const r = await s.send({ channel: 'whatsapp', to: '+46732005021', message: whatsappTemplate, send_at: at.toISOString() });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body.status, 'queued');
    assert.equal(r.body.send_at, at.toISOString());
    const m = await s.waitForMessage(r.body.id as string, (x) => x.status !== 'queued', 15_000);
    const attempt = m.timeline.find((e: any) => e.kind === 'attempt');
    assert.ok(Date.parse(attempt.at) >= at.getTime(), `attempt at ${attempt.at}, asked for ${at.toISOString()}`);
    const bad = await s.send({ channel: 'whatsapp', to: '+46732005022', message: whatsappTemplate, send_at: '2026-13-01 10:00' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'send_at');
  });
});
