import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { createEventDestinationsRepo } from '../../src/db/repos/event-destinations-repo.ts';
import { createEventsRepo, type EventRow } from '../../src/db/repos/events-repo.ts';
import { createForwardEventsHandler, forwardEventsJob, forwardJobKey } from '../../src/services/forward-events.ts';
import { createJobsRepo } from '../../src/db/repos/jobs-repo.ts';
import { createWorker, type Worker } from '../../src/jobs/worker.ts';
import { createId } from '../../src/lib/ids.ts';
import { createNetworkGuard } from '../../src/lib/network-guard.ts';
import { createSecretBox, generateKeyText } from '../../src/lib/secret-box.ts';
import { systemClock } from '../../src/lib/time.ts';
import { createEventDestinationsService } from '../../src/services/event-destinations.ts';
import { call } from '../helpers/app.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startSandboxApp, whatsappTemplate, type SandboxApp } from '../helpers/sandbox.ts';
import { until } from '../helpers/wait.ts';

interface Received { headers: IncomingMessage['headers']; body: string; status: number }

/** A port-0 HTTP receiver; `respond` decides each answer (may wait). */
async function startReceiver(respond: (n: number, body: string) => Promise<number> | number = () => 200) {
  const received: Received[] = [];
  let n = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      n++;
      void Promise.resolve(respond(n, body)).then((status) => {
        if (status === 0) return; // never answer
        received.push({ headers: req.headers, body, status });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url, received,
    accepted: () => received.filter((r) => r.status < 300),
    acceptedEvents: () => received.filter((r) => r.status < 300).flatMap((r) => (JSON.parse(r.body) as { events: Array<{ id: string; properties: Record<string, unknown> }> }).events),
    attempts: () => n,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** Standard Webhooks verification, written here independently of the service. */
function verify(secret: string, r: Received): boolean {
  const id = String(r.headers['webhook-id']);
  const timestamp = String(r.headers['webhook-timestamp']);
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${r.body}`).digest('base64')}`;
  return String(r.headers['webhook-signature']).split(' ').includes(expected);
}


describe('event forwarding through the service (sandbox)', () => {
  let s: SandboxApp;
  before(async () => { s = await startSandboxApp({ env: { EVENT_DESTINATION_ALLOWED_NETWORKS: '127.0.0.0/8' } }); });
  after(() => s.close());

  test('signed batches arrive in id order, each event once; delivery state on GET', async () => {
    const receiver = await startReceiver();
    try {
      const created = await call(s.app, 'POST', `/api/v1/projects/${s.project.id}/event-destinations`, s.project.adminToken, { name: 'CDP', url: receiver.url, batch_size: 3 });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const secret = created.body.secret as string;
      assert.match(secret, /^whsec_/);
      const path = `/api/v1/projects/${s.project.id}/event-destinations/${created.body.id as string}`;

      const ids: string[] = [];
      for (const to of ['+46732001122', '+46732001133', '+46732001144']) {
        const r = await s.send({ channel: 'whatsapp', to, message: whatsappTemplate, campaign_id: 'fwd' });
        assert.equal(r.status, 202);
        ids.push(r.body.id as string);
      }
      for (const id of ids) await s.waitForMessage(id, (m) => m.status === 'read');
      await until(() => receiver.acceptedEvents().length >= 12, '12 forwarded events');

      const stored = await s.database.db.kysely.selectFrom('events').select(['id', 'message_id']).where('project_id', '=', s.project.id).orderBy('id').execute();
      const got = receiver.acceptedEvents();
      assert.deepEqual(got.map((e) => e.id), stored.map((e) => e.id), 'all events, once, in id order');
      for (const r of receiver.received) {
        assert.ok(verify(secret, r), 'valid Standard Webhooks signature');
        assert.match(String(r.headers['webhook-id']), /^msg_/);
        assert.ok(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000) < 300);
        assert.equal(r.headers['content-type'], 'application/json');
        const batch = JSON.parse(r.body) as { events: unknown[] };
        assert.ok(batch.events.length >= 1 && batch.events.length <= 3);
      }
      assert.equal(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size, receiver.received.length, 'one webhook-id per batch');
      for (const id of ids) {
        // Per message: every status, in the order recorded (Sinch may report out of order; `timestamp` says when).
        const forMessage = got.filter((e) => e.properties.message_id === id);
        assert.deepEqual(forMessage.map((e) => e.properties.status).sort(), ['delivered', 'enqueued', 'read', 'sent']);
        assert.deepEqual(forMessage.map((e) => e.id), stored.filter((e) => e.message_id === id).map((e) => e.id));
      }
      assert.deepEqual(Object.keys(got[0]!).sort(), ['event', 'id', 'properties', 'timestamp']);
      assert.ok(!receiver.received.some((r) => r.body.includes(s.project.id)), 'no project id in forwarded events');

      // The receiver sees the last batch a moment before the service records its success.
      await until(async () => (await call(s.app, 'GET', path, s.project.memberToken)).body.delivery.forwarded_count === 12, 'the recorded success');
      const state = await call(s.app, 'GET', path, s.project.memberToken);
      assert.equal(state.status, 200);
      assert.equal(state.body.secret, undefined);
      assert.equal(state.body.secret_set, true);
      assert.equal(state.body.delivery.forwarded_count, 12);
      assert.equal(state.body.delivery.lag, 0);
      assert.equal(state.body.delivery.state, 'idle');
      assert.equal(state.body.delivery.cursor, stored.at(-1)!.id);
      assert.equal(state.body.delivery.consecutive_failures, 0);
      assert.equal(state.body.delivery.last_error, null);
      assert.ok(Date.parse(state.body.delivery.last_success_at) > Date.now() - 60_000);
      assert.equal((await call(s.app, 'DELETE', path, s.project.adminToken)).status, 204);
    } finally {
      await receiver.close();
    }
  });
});

describe('event forwarding: retries, timeouts, filters, deletion', () => {
  let database: TestDatabase;
  let worker: Worker;
  let dispatcher: Agent;
  let service: ReturnType<typeof createEventDestinationsService>;
  const box = createSecretBox([generateKeyText()]);
  const log = { warn() {}, error() {} };

  before(async () => {
    database = await openTestDatabase();
    const db = database.db.kysely;
    const queue = createJobsRepo(db, database.db.dialect);
    const destinations = createEventDestinationsRepo(db);
    const events = createEventsRepo(db, database.db);
    dispatcher = new Agent();
    // eslint-disable-next-line prefer-const -- the service and the worker refer to each other
    let w: Worker | undefined;
    // The receivers listen on 127.0.0.1: allowed explicitly, as an operator would for an on-premise receiver.
    service = createEventDestinationsService({
      db, destinations, events, queue, box, clock: systemClock, settleMs: 20, guard: createNetworkGuard(['127.0.0.0/8']), secretOverlapMs: 0,
      onScheduled: () => w?.notify(), log,
    });
    const handler = createForwardEventsHandler({
      destinations, events, box, dispatcher, clock: systemClock, settleMs: 20, idlePollMs: 60_000,
      retry: { baseMs: 20, capMs: 80 }, timeoutMs: 2000, pauseAfterMs: 0, runBudgetMs: 2000, consumeWake: (id) => service.consumeWake(id), log,
    });
    w = createWorker({
      queue, handlers: { [forwardEventsJob]: handler }, concurrency: 4, pollMs: 20, leaseMs: 60_000,
      crashBackoff: { baseMs: 20, capMs: 100 }, now: () => Date.now(), log,
    });
    worker = w;
    worker.start();
  });
  after(async () => {
    service.close();
    await worker.stop();
    await dispatcher.close();
    await database.dropAll();
  });

  let seq = 0;
  /** Records events as the tracker would, then tells the service as the event bus would. */
  async function addEvents(project: string, count: number, status: (i: number) => string = () => 'delivered'): Promise<EventRow[]> {
    const rows: EventRow[] = [];
    for (let i = 0; i < count; i++) {
      const id = createId('evt');
      const n = seq++;
      rows.push({
        id, project_id: project, event: 'campaign', ts: Date.now() / 1000, status: status(i), action_type: 'rcs', campaign_id: null,
        recipient: '+46732001122', message_id: `msg_${n}`, integration_id: 'int_1', dedupe_key: `fwd:${id}`,
        properties_json: JSON.stringify({ status: status(i), message_id: `msg_${n}`, n }), recorded_at: new Date().toISOString(),
      });
      await new Promise((r) => setTimeout(r, 2)); // distinct milliseconds: id order is creation order
    }
    await createEventsRepo(database.db.kysely, database.db).insertMany(database.db.kysely, rows);
    await service.onEvents(rows.map((r) => ({ id: r.id, projectId: project, event: r.event, timestamp: r.ts, properties: {} })));
    return rows;
  }
  async function newProject(): Promise<string> {
    const id = createId('prj');
    await database.db.kysely.insertInto('projects').values({ id, name: id, created_at: new Date().toISOString() }).execute();
    return id;
  }

  test('a receiver that fails 3 times then succeeds gets every event once, in order; the failure shows in the state', async () => {
    const projectId = await newProject();
    let releaseFourth: () => void = () => {};
    const fourth = new Promise<void>((resolve) => { releaseFourth = resolve; });
    const receiver = await startReceiver(async (n) => {
      if (n <= 3) return 500;
      if (n === 4) await fourth;
      return 200;
    });
    try {
      const dest = await service.create(projectId, { name: 'flaky', url: receiver.url, batch_size: 10 });
      const rows = await addEvents(projectId, 25);
      await until(() => receiver.attempts() >= 4, 'three failures and a fourth attempt');

      const during = await service.get(projectId, dest.id);
      assert.equal(during.delivery.state, 'retrying');
      assert.equal(during.delivery.consecutive_failures, 3);
      assert.equal(during.delivery.last_status_code, 500);
      assert.equal(during.delivery.last_error, 'HTTP 500', 'the status code only, never the answer');
      assert.equal(during.delivery.lag, 25);
      assert.equal(during.delivery.forwarded_count, 0);
      assert.ok(during.delivery.next_attempt_at !== null);
      releaseFourth();

      await until(() => receiver.acceptedEvents().length >= 25, '25 accepted events');
      await until(async () => {
        const { delivery } = await service.get(projectId, dest.id);
        return delivery.forwarded_count === 25 && delivery.state === 'idle' && delivery.lag === 0;
      }, 'the recorded success, nothing left to send');
      assert.deepEqual(receiver.acceptedEvents().map((e) => e.id), rows.map((r) => r.id), 'each once, in order');
      const failed = receiver.received.filter((r) => r.status === 500);
      const first = receiver.accepted()[0]!;
      assert.ok(failed.every((r) => r.headers['webhook-id'] === first.headers['webhook-id'] && r.body === first.body), 'a retry resends the same batch');
      const afterState = await service.get(projectId, dest.id);
      assert.equal(afterState.delivery.state, 'idle');
      assert.equal(afterState.delivery.consecutive_failures, 0);
      assert.equal(afterState.delivery.forwarded_count, 25);
      assert.equal(afterState.delivery.lag, 0);
      assert.equal(afterState.delivery.last_error, 'HTTP 500', 'the last error stays visible');
      assert.ok(afterState.delivery.last_success_at !== null && afterState.delivery.last_success_at >= afterState.delivery.last_error_at!);
      await service.remove(projectId, dest.id);
    } finally {
      await receiver.close();
    }
  });

  test('no answer within the timeout counts as a failure and is retried', async () => {
    const projectId = await newProject();
    const receiver = await startReceiver((n) => (n === 1 ? 0 : 200));
    try {
      const dest = await service.create(projectId, { name: 'slow', url: receiver.url });
      const rows = await addEvents(projectId, 2);
      await until(() => receiver.acceptedEvents().length >= 2, 'delivery after a timeout');
      assert.deepEqual(receiver.acceptedEvents().map((e) => e.id), rows.map((r) => r.id));
      const state = await service.get(projectId, dest.id);
      assert.match(state.delivery.last_error ?? '', /no answer within 2000 ms/);
      assert.equal(state.delivery.last_status_code, null);
      await service.remove(projectId, dest.id);
    } finally {
      await receiver.close();
    }
  });

  test('event and status filters; a new destination starts from now unless asked for the beginning', async () => {
    const projectId = await newProject();
    const earlier = await addEvents(projectId, 2, () => 'read');
    const receiverNow = await startReceiver();
    const receiverAll = await startReceiver();
    const receiverNone = await startReceiver();
    try {
      const reads = await service.create(projectId, { name: 'reads', url: receiverNow.url, statuses: ['read'], events: ['campaign'] });
      const all = await service.create(projectId, { name: 'all', url: receiverAll.url, start_from: 'beginning' });
      const none = await service.create(projectId, { name: 'none', url: receiverNone.url, events: ['other_name'] });
      const rows = await addEvents(projectId, 6, (i) => (i % 2 === 0 ? 'read' : 'sent'));
      await until(() => receiverNow.acceptedEvents().length >= 3 && receiverAll.acceptedEvents().length >= 8, 'filtered delivery');
      // Every destination has gone through every event (sent or filtered out): nothing more is on its way.
      await until(async () => {
        for (const d of [reads, all, none]) {
          const { delivery } = await service.get(projectId, d.id);
          if (delivery.lag !== 0 || delivery.state !== 'idle') return false;
        }
        return true;
      }, 'every destination caught up');
      assert.deepEqual(receiverNow.acceptedEvents().map((e) => e.id), rows.filter((r) => r.status === 'read').map((r) => r.id), 'only reads, only new ones');
      assert.deepEqual(receiverAll.acceptedEvents().map((e) => e.id), [...earlier, ...rows].map((r) => r.id), 'from the beginning');
      assert.equal(receiverNone.attempts(), 0, 'no event is named other_name');
      assert.equal((await service.get(projectId, none.id)).delivery.lag, 0);
      for (const d of [reads, all, none]) await service.remove(projectId, d.id);
    } finally {
      await receiverNow.close();
      await receiverAll.close();
      await receiverNone.close();
    }
  });

  test('a wake-up from the event bus delivers at once instead of at the next idle poll', async () => {
    const projectId = await newProject();
    const receiver = await startReceiver();
    try {
      const dest = await service.create(projectId, { name: 'woken', url: receiver.url });
      await until(async () => (await database.db.kysely.selectFrom('jobs').select('last_error').where('key', '=', forwardJobKey(dest.id)).executeTakeFirst())?.last_error === 'idle', 'an idle job');
      const started = Date.now();
      await addEvents(projectId, 1);
      await until(() => receiver.acceptedEvents().length === 1, 'woken delivery');
      assert.ok(Date.now() - started < 30_000, `after ${Date.now() - started} ms: well before the 60 s idle poll`);
      await service.remove(projectId, dest.id);
    } finally {
      await receiver.close();
    }
  });

  test('deleting a destination stops delivery and drops its job', async () => {
    const projectId = await newProject();
    const receiver = await startReceiver(() => 503);
    try {
      const dest = await service.create(projectId, { name: 'doomed', url: receiver.url });
      await addEvents(projectId, 3);
      await until(() => receiver.attempts() >= 2, 'failing attempts');
      await service.remove(projectId, dest.id);
      await new Promise((r) => setTimeout(r, 100)); // an attempt already on the wire may still land
      const attempts = receiver.attempts();
      await new Promise((r) => setTimeout(r, 400)); // several backoff periods (cap 80 ms)
      assert.equal(receiver.attempts(), attempts, 'no attempt after deletion');
      const job = await database.db.kysely.selectFrom('jobs').selectAll().where('key', '=', forwardJobKey(dest.id)).executeTakeFirst();
      assert.equal(job, undefined);
      await assert.rejects(service.get(projectId, dest.id), /not found/);
    } finally {
      await receiver.close();
    }
  });
});
