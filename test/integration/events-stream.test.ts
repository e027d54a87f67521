import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, fetch } from 'undici';
import { createEventsRepo, type EventRow } from '../../src/db/repos/events-repo.ts';
import { createEventBus } from '../../src/services/event-bus.ts';
import { createEventsService } from '../../src/services/events.ts';
import { createId } from '../../src/lib/ids.ts';
import type { TrackedEvent } from '../../src/services/track-event.ts';
import { createProjectWithTokens, startTestApp } from '../helpers/app.ts';
import { openTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startSandboxApp, whatsappTemplate, type SandboxApp } from '../helpers/sandbox.ts';
import { until, waitDeadlineMs } from '../helpers/wait.ts';

interface Frame { id?: string; data?: string; comment?: string }

/**
 * A minimal SSE client over fetch: collects frames, lets a test wait for a condition. Each stream has its own
 * connection pool, so the emulator's callbacks (global pool) never queue behind or beside a long-lived stream.
 */
function openSse(url: string, headers: Record<string, string>) {
  const controller = new AbortController();
  const dispatcher = new Agent();
  const frames: Frame[] = [];
  let ended = false;
  let status = 0;
  const waiters = new Set<() => void>();
  const notify = () => { for (const w of waiters) w(); };
  const done = (async () => {
    const res = await fetch(url, { headers, signal: controller.signal, dispatcher });
    status = res.status;
    if (res.body === null) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const frame: Frame = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) frame.comment = line.slice(1).trim();
            else if (line.startsWith('id: ')) frame.id = line.slice(4);
            else if (line.startsWith('data: ')) frame.data = line.slice(6);
          }
          frames.push(frame);
          notify();
        }
      }
    } catch {
      // aborted by the test
    }
  })().finally(async () => {
    ended = true;
    notify();
    await dispatcher.destroy();
  });
  return {
    frames,
    events: () => frames.filter((f) => f.data !== undefined).map((f) => ({ sseId: f.id, ...JSON.parse(f.data!) })),
    get ended() { return ended; },
    get status() { return status; },
    async waitFor(predicate: () => boolean, timeoutMs = waitDeadlineMs): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (ended) throw new Error(`stream ended; frames: ${JSON.stringify(frames)}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out; frames: ${JSON.stringify(frames)}`);
        await new Promise<void>((resolve) => {
          const w = () => { waiters.delete(w); clearTimeout(timer); resolve(); };
          const timer = setTimeout(w, left);
          waiters.add(w);
        });
      }
    },
    close: async () => { controller.abort(); await done; },
    done,
  };
}

describe('events stream (SSE) with the sandbox', () => {
  let s: SandboxApp;
  let streamUrl: string;
  let auth: Record<string, string>;
  before(async () => {
    s = await startSandboxApp();
    streamUrl = `${s.baseUrl}/api/v1/projects/${s.project.id}/events/stream`;
    auth = { authorization: `Bearer ${s.project.memberToken}` };
  });
  after(() => s.close());

  test('new events arrive as they are recorded, with id: = the event id; Last-Event-ID resumes from the database', async () => {
    const stream = openSse(streamUrl, auth);
    const reads = openSse(`${streamUrl}?status=read`, auth);
    await stream.waitFor(() => stream.frames.some((f) => f.comment === 'connected'));
    await reads.waitFor(() => reads.frames.some((f) => f.comment === 'connected'));
    assert.equal(stream.status, 200);

    const sent = await s.send({ channel: 'whatsapp', to: '+46732001122', message: whatsappTemplate, campaign_id: 'live-1' });
    assert.equal(sent.status, 202);
    const messageId = sent.body.id as string;
    const mine = () => stream.events().filter((e) => e.properties.message_id === messageId);
    await stream.waitFor(() => mine().length === 4);
    const events = mine();
    assert.deepEqual(events.map((e) => e.properties.status).sort(), ['delivered', 'enqueued', 'read', 'sent'], 'each status once (in the order recorded)');
    for (const e of events) {
      assert.equal(e.sseId, e.id);
      assert.deepEqual(Object.keys(e).filter((k) => k !== 'sseId').sort(), ['event', 'id', 'properties', 'timestamp']);
      assert.equal(e.event, 'campaign');
      assert.equal(e.properties.campaign_id, 'live-1');
    }
    assert.ok(!JSON.stringify(stream.frames).includes(s.project.id), 'no project id in the stream');

    await reads.waitFor(() => reads.events().some((e) => e.properties.message_id === messageId));
    assert.deepEqual(reads.events().map((e) => e.properties.status), ['read'], 'filters apply to the stream');
    await stream.close();
    await reads.close();

    // Reconnect after the second event: the two after it come from the database (in id order), then live ones.
    // (At least once: the events of the 10 s before the resume point come again; clients skip ids they have seen.)
    const byId = [...events].sort((a, b) => (a.id < b.id ? -1 : 1));
    const after = (ids: string[], last: string) => ids.filter((id) => id > last);
    const resumed = openSse(streamUrl, { ...auth, 'last-event-id': byId[1].id });
    const mineResumed = () => resumed.events().filter((e) => e.properties.message_id === messageId).map((e) => e.id as string);
    await resumed.waitFor(() => after(mineResumed(), byId[1].id).length === 2);
    assert.deepEqual(after(mineResumed(), byId[1].id), byId.slice(2).map((e) => e.id));
    await resumed.close();

    const viaQuery = openSse(`${streamUrl}?last_event_id=${byId[2].id}&message_id=${messageId}`, auth);
    await viaQuery.waitFor(() => after(viaQuery.events().map((e) => e.id as string), byId[2].id).length === 1);
    assert.deepEqual(after(viaQuery.events().map((e) => e.id as string), byId[2].id), [byId[3].id]);
    await viaQuery.close();
  });
});

describe('events stream: heartbeats, clean-up and shutdown', () => {
  let database: TestDatabase;
  let server: Server;
  let base: string;
  const bus = createEventBus();
  let subscribed = 0;
  const countingBus = {
    publish: (projectId: string, events: readonly TrackedEvent[]) => bus.publish(projectId, events),
    subscribe: (projectId: string, listener: Parameters<typeof bus.subscribe>[1]) => {
      subscribed++;
      const off = bus.subscribe(projectId, listener);
      return () => { subscribed--; off(); };
    },
  };
  let service: ReturnType<typeof createEventsService>;

  before(async () => {
    database = await openTestDatabase();
    service = createEventsService({ events: createEventsRepo(database.db.kysely, database.db), bus: countingBus, heartbeatMs: 50, pollMs: 100 });
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      void service.serveStream(req, res, { projectId: url.searchParams.get('project') ?? 'p1', filters: {} });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await service.closeStreams();
    await new Promise((resolve) => server.close(resolve));
    await database.dropAll();
  });

  test('heartbeat comments while idle; events from the bus and from other processes (database poll) both arrive once', async () => {
    const stream = openSse(`${base}/?project=p1`, {});
    await stream.waitFor(() => stream.frames.filter((f) => f.comment === 'heartbeat').length >= 2);

    const row: EventRow = {
      id: createId('evt'), project_id: 'p1', event: 'campaign', ts: Date.now() / 1000, status: 'sent', action_type: 'rcs',
      campaign_id: null, recipient: '+46732001122', message_id: 'msg_1', integration_id: 'int_1', dedupe_key: `k:${Math.random()}`,
      properties_json: JSON.stringify({ status: 'sent', message_id: 'msg_1' }), recorded_at: new Date().toISOString(),
    };
    // Recorded by "another process": only in the database, never on this bus.
    await createEventsRepo(database.db.kysely, database.db).insertMany(database.db.kysely, [row]);
    await stream.waitFor(() => stream.events().some((e) => e.id === row.id));
    // The same event published on the bus as well, and one that is only on the bus.
    const busOnly: TrackedEvent = { id: createId('evt'), projectId: 'p1', event: 'campaign', timestamp: Date.now() / 1000, properties: { status: 'read' } };
    bus.publish('p1', [{ id: row.id, projectId: 'p1', event: 'campaign', timestamp: row.ts, properties: {} }, busOnly]);
    bus.publish('p2', [{ ...busOnly, id: createId('evt'), projectId: 'p2' }]);
    await stream.waitFor(() => stream.events().some((e) => e.id === busOnly.id));
    // A later event recorded only in the database comes with the next poll, which reads the first row again: once it
    // is in, a repeat of the first would have come before it (no fixed wait for something that should not happen).
    const later: EventRow = { ...row, id: createId('evt'), dedupe_key: `k:${Math.random()}` };
    await createEventsRepo(database.db.kysely, database.db).insertMany(database.db.kysely, [later]);
    await stream.waitFor(() => stream.events().some((e) => e.id === later.id));
    assert.deepEqual(stream.events().map((e) => e.id), [row.id, busOnly.id, later.id], 'each once, only this project');
    assert.ok(!('projectId' in stream.events()[1]));
    await stream.close();
  });

  const settle = (predicate: () => boolean) => until(predicate, 'the streams to be cleaned up');

  test('the subscription goes when the client does', async () => {
    await settle(() => subscribed === 0);
    const before = subscribed;
    assert.equal(before, 0, 'the previous test\'s stream was cleaned up');
    const streams = [openSse(`${base}/`, {}), openSse(`${base}/`, {})];
    for (const st of streams) await st.waitFor(() => st.frames.length > 0);
    assert.equal(subscribed, before + 2);
    assert.equal(service.openStreamCount(), 2);
    for (const st of streams) await st.close();
    await settle(() => subscribed === before && service.openStreamCount() === 0);
    assert.equal(subscribed, before);
    assert.equal(service.openStreamCount(), 0);
  });

  test('closeStreams ends open streams', async () => {
    const stream = openSse(`${base}/`, {});
    await stream.waitFor(() => stream.frames.length > 0);
    await service.closeStreams();
    await stream.done;
    assert.equal(stream.ended, true);
  });
});

describe('events stream: shutdown', () => {
  test('app.close() returns promptly with a stream open', async () => {
    const t = await startTestApp({ listen: true });
    const p = await createProjectWithTokens(t, 'Shutdown');
    const stream = openSse(`${t.baseUrl}/api/v1/projects/${p.id}/events/stream`, { authorization: `Bearer ${p.memberToken}` });
    await stream.waitFor(() => stream.frames.length > 0);
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      t.close(),
      // Hung, it would wait for the stream for ever; 15 s is far above a close on a busy machine.
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('app.close() hung with an open stream')), 15_000); }),
    ]);
    clearTimeout(timer);
    assert.ok(Date.now() - started < 15_000);
    await stream.done;
    assert.equal(stream.ended, true);
  });
});
