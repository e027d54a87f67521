import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSandboxApp, type SandboxApp } from '../helpers/sandbox.ts';

/**
 * A customer typing (EVENT_INBOUND, which the service subscribes to) reaches the callback URL through the sandbox,
 * is answered 2xx and kept as received, with nothing else happening (no message, no conversation change).
 */
let s: SandboxApp;
before(async () => { s = await startSandboxApp(); });
after(() => s.close());

test('EVENT_INBOUND (a typing indicator) from the sandbox: 2xx, stored as EVENT_INBOUND', async () => {
  const injected = await s.control('POST', '/apps/sandbox-app/events', { identity: '46732001301', channel: 'RCS', event: { composing_event: {} } });
  assert.equal(injected.callbacks.length, 1, 'the integration\'s webhook subscribes to EVENT_INBOUND');
  let callback: any;
  for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
    callback = (await s.control('GET', `/callbacks?trigger=EVENT_INBOUND`)).callbacks.find((c: any) => c.id === injected.callbacks[0].id);
    if (callback.state !== 'pending') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(callback.state, 'delivered', JSON.stringify(callback.attempts));
  assert.equal(callback.attempts[0].status_code, 200);
  const rows = await s.database.db.kysely.selectFrom('callbacks').selectAll().where('trigger', '=', 'EVENT_INBOUND').execute();
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.outcome, 'stored');
  assert.deepEqual(JSON.parse(rows[0]!.body).event.contact_event, { composing_event: {} });
});
