import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEventsRepo, type EventRow } from '../../src/db/repos/events-repo.ts';
import { createEventBus } from '../../src/services/event-bus.ts';
import { createEventsService } from '../../src/services/events.ts';
import { createId } from '../../src/lib/ids.ts';
import { createProjectWithTokens, startTestApp, type TestApp } from '../helpers/app.ts';

/** Resuming a stream with Last-Event-ID replays everything after that id, however long ago it was recorded. */
let t: TestApp;
let server: Server;
let base: string;
let projectId: string;
const ids: string[] = [];
// A heartbeat is only sent once the stream has caught up (the first read runs to its end first): the sign that the
// replay is complete, instead of waiting for a quiet moment that a busy machine can break.
const service = () => createEventsService({ events: createEventsRepo(t.database.db.kysely, t.database.db), bus: createEventBus(), pollMs: 20, rescanMs: 50, heartbeatMs: 100 });

before(async () => {
  t = await startTestApp({ env: { ROLE: 'api' } });
  projectId = (await createProjectWithTokens(t, 'Resume')).id;
  const rows: EventRow[] = [];
  for (let i = 0; i < 5; i += 1) {
    const id = createId('evt');
    ids.push(id);
    rows.push({
      id, project_id: projectId, event: 'campaign', ts: 1_795_000_000 + i, status: 'delivered', action_type: 'whatsapp', campaign_id: null,
      recipient: '+46732001122', message_id: `msg_${i}`, integration_id: 'int_1', dedupe_key: `resume:${id}`,
      properties_json: JSON.stringify({ seq: i }), recorded_at: new Date().toISOString(),
    });
  }
  await t.database.db.kysely.transaction().execute((trx) => createEventsRepo(t.database.db.kysely, t.database.db).insertMany(trx, rows));
  const events = service();
  server = createServer((req, res) => {
    const lastEventId = req.headers['last-event-id'];
    void events.serveStream(req, res, { projectId, filters: {}, lastEventId: typeof lastEventId === 'string' ? lastEventId : undefined });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await t.close();
});

/** The ids a stream resumed after `lastEventId` replays: everything before its first heartbeat. */
async function idsReplayed(lastEventId: string): Promise<string[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 60_000);
  try {
    const response = await fetch(base, { headers: { 'last-event-id': lastEventId }, signal: controller.signal });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes(': heartbeat')) {
      const chunk = await reader.read();
      if (chunk.done) throw new Error(`the stream ended before a heartbeat: ${text}`);
      text += decoder.decode(chunk.value, { stream: true });
    }
    return [...text.slice(0, text.indexOf(': heartbeat')).matchAll(/^id: (\S+)$/gm)].map((m) => m[1]!);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

test('events older than the rescan window are replayed after Last-Event-ID, once each and in order', async () => {
  await new Promise((r) => setTimeout(r, 200)); // the events are now well outside the 50 ms rescan window
  const replayed = await idsReplayed(ids[1]!);
  assert.deepEqual(replayed.filter((id) => id > ids[1]!), ids.slice(2), 'everything after the resume point');
  assert.equal(new Set(replayed).size, replayed.length, 'each once');
  assert.deepEqual(replayed, [...replayed].sort(), 'in id order');
  // At least once: the events of the rescan window before the resume point (all five were recorded within it) come
  // again, in case one of them committed after the client saw a later one.
  assert.deepEqual(replayed.filter((id) => id <= ids[1]!), ids.slice(0, 2));
  assert.deepEqual((await idsReplayed(ids[4]!)).filter((id) => id > ids[4]!), []);
});
