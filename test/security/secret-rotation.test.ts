/**
 * Event destinations over time: a new secret signs together with the previous one for the overlap (two Standard
 * Webhooks signatures), then alone; a destination failing for days is paused with its reason shown.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Db } from '../../src/db/database.ts';
import { createEventsRepo, type EventRow } from '../../src/db/repos/events-repo.ts';
import { createId } from '../../src/lib/ids.ts';
import { call, createProjectWithTokens, startTestApp, type TestApp } from '../helpers/app.ts';
import { movableClock, waitFor } from './helpers.ts';

const hour = 3_600_000;

interface Received { headers: IncomingMessage['headers']; body: string }

async function receiver(answer: () => number) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(answer()).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** Standard Webhooks, written here independently of the service. */
function signatureWith(secret: string, r: Received): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${String(r.headers['webhook-id'])}.${String(r.headers['webhook-timestamp'])}.${r.body}`).digest('base64')}`;
}

async function addEvent(db: Db, projectId: string): Promise<string> {
  const id = createId('evt');
  const row: EventRow = {
    id, project_id: projectId, event: 'campaign', ts: Date.now() / 1000, status: 'delivered', action_type: 'whatsapp', campaign_id: null,
    recipient: '+46732001122', message_id: 'msg_x', integration_id: 'int_x', dedupe_key: `rot:${id}`,
    properties_json: JSON.stringify({ status: 'delivered' }), recorded_at: new Date().toISOString(),
  };
  await createEventsRepo(db.kysely, db).insertMany(db.kysely, [row]);
  return id;
}

const secret = (n: number) => `whsec_${Buffer.alloc(32, n).toString('base64')}`;

describe('event destination secrets and failures', () => {
  let t: TestApp;
  let P: Awaited<ReturnType<typeof createProjectWithTokens>>;
  const clock = movableClock();
  before(async () => {
    t = await startTestApp({ clock, env: { EVENT_DESTINATION_ALLOWED_NETWORKS: '127.0.0.0/8', WORKER_POLL_MS: '20' } });
    P = await createProjectWithTokens(t, 'P');
  });
  after(() => t.close());

  test('a new secret signs together with the previous one for the overlap (24 h), then alone', async () => {
    const r = await receiver(() => 200);
    try {
      const created = await call(t.app, 'POST', `/api/v1/projects/${P.id}/event-destinations`, P.adminToken, { name: 'rotating', url: r.url, secret: secret(1) });
      assert.equal(created.status, 201);
      const path = `/api/v1/projects/${P.id}/event-destinations/${created.body.id as string}`;
      const delivered = async (eventId: string) => waitFor(`event ${eventId} delivered`, () => r.received.find((x) => x.body.includes(eventId)));

      const first = await delivered(await addEvent(t.database.db, P.id));
      assert.equal(first.headers['webhook-signature'], signatureWith(secret(1), first));

      const patched = await call(t.app, 'PATCH', path, P.adminToken, { secret: secret(2) });
      assert.equal(patched.status, 200);
      const until = Date.parse(patched.body.previous_secret_expires_at as string);
      assert.ok(Math.abs(until - (clock.now().getTime() + 24 * hour)) < 60_000, 'the previous secret signs for 24 h');
      assert.equal(patched.body.secret, undefined);

      const during = await delivered(await addEvent(t.database.db, P.id));
      assert.deepEqual(String(during.headers['webhook-signature']).split(' '), [signatureWith(secret(2), during), signatureWith(secret(1), during)],
        'new first, previous second, space-separated');

      clock.advance(25 * hour);
      const later = await delivered(await addEvent(t.database.db, P.id));
      assert.equal(later.headers['webhook-signature'], signatureWith(secret(2), later), 'the previous secret no longer signs');
      assert.equal((await call(t.app, 'GET', path, P.adminToken)).body.previous_secret_expires_at, null);
      await call(t.app, 'DELETE', path, P.adminToken);
    } finally {
      await r.close();
    }
  });

  test('failing without a success for 72 h (EVENT_DESTINATION_PAUSE_AFTER_HOURS): paused with the reason shown; re-enabling resumes', async () => {
    let status = 503;
    const r = await receiver(() => status);
    try {
      const created = await call(t.app, 'POST', `/api/v1/projects/${P.id}/event-destinations`, P.adminToken, { name: 'failing', url: r.url });
      const path = `/api/v1/projects/${P.id}/event-destinations/${created.body.id as string}`;
      const view = async () => (await call(t.app, 'GET', path, P.adminToken)).body;
      const eventId = await addEvent(t.database.db, P.id);

      const failing = await waitFor('a first failure', async () => { const v = await view(); return v.delivery.consecutive_failures > 0 ? v : undefined; });
      assert.equal(failing.enabled, true);
      assert.equal(failing.delivery.state, 'retrying');
      assert.ok(failing.delivery.failing_since !== null);
      assert.equal(failing.delivery.paused_reason, null);

      clock.advance(73 * hour); // the retry is due at once on this clock, and fails again: 73 h without a success
      const paused = await waitFor('the pause', async () => { const v = await view(); return v.enabled === false ? v : undefined; }, 15_000);
      assert.equal(paused.delivery.state, 'paused');
      assert.match(paused.delivery.paused_reason, /no batch was accepted since .*HTTP 503/);
      assert.equal(paused.delivery.failing_since, failing.delivery.failing_since);
      assert.ok(paused.delivery.paused_at !== null);
      await waitFor('its forwarding job to end', async () => (await t.database.db.kysely.selectFrom('jobs').select('id').where('key', '=', `fwd:${created.body.id as string}`).executeTakeFirst()) === undefined);
      const attempts = r.received.length;

      status = 200;
      const resumed = await call(t.app, 'PATCH', path, P.adminToken, { enabled: true });
      assert.equal(resumed.status, 200);
      assert.equal(resumed.body.delivery.paused_reason, null);
      assert.equal(resumed.body.delivery.failing_since, null);
      await waitFor('delivery after re-enabling', async () => (await view()).delivery.forwarded_count === 1);
      assert.ok(r.received.length > attempts);
      assert.ok(r.received.at(-1)!.body.includes(eventId));
      await call(t.app, 'DELETE', path, P.adminToken);
    } finally {
      await r.close();
    }
  });
});
