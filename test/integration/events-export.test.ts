import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createEventsRepo, type EventRow, type EventsRepo } from '../../src/db/repos/events-repo.ts';
import { createEventBus } from '../../src/services/event-bus.ts';
import { createEventsService } from '../../src/services/events.ts';
import { createId } from '../../src/lib/ids.ts';
import { createProjectWithTokens, startTestApp, type TestApp } from '../helpers/app.ts';

const total = 20_000;

/** `total` events over a day, several per timestamp (to exercise the id tie-break), inserted in batches. */
async function seed(t: TestApp, projectId: string): Promise<void> {
  const repo = createEventsRepo(t.database.db.kysely, t.database.db);
  const start = 1_723_400_000;
  for (let offset = 0; offset < total; offset += 500) {
    const rows: EventRow[] = [];
    for (let i = offset; i < Math.min(total, offset + 500); i++) {
      const id = createId('evt');
      const status = i % 4 === 0 ? 'read' : 'delivered';
      const ts = start + Math.floor(i / 3) * 4.25;
      rows.push({
        id, project_id: projectId, event: 'campaign', ts, status, action_type: 'whatsapp', campaign_id: `c-${i % 7}`,
        recipient: '+46732001122', message_id: `msg_${i}`, integration_id: 'int_1', dedupe_key: `bulk:${id}`,
        properties_json: JSON.stringify({
          message_type: 'campaign', action_type: 'whatsapp', campaign_id: `c-${i % 7}`, recipient: '+46732001122', sender: '+46732000000',
          sent_timestamp: ts - 1, status, error: null, error_description: null, message_id: `msg_${i}`, integration_id: 'int_1', seq: i,
        }),
        recorded_at: new Date().toISOString(),
      });
    }
    await t.database.db.kysely.transaction().execute((trx) => repo.insertMany(trx, rows));
  }
}

/** True when the list is sorted by (timestamp, id). */
function inOrder(items: Array<{ id: string; timestamp: number }>): boolean {
  return items.every((e, i) => i === 0 || items[i - 1]!.timestamp < e.timestamp || (items[i - 1]!.timestamp === e.timestamp && items[i - 1]!.id < e.id));
}

describe('events export: 20,000 events', () => {
  let t: TestApp;
  let p: Awaited<ReturnType<typeof createProjectWithTokens>>;
  before(async () => {
    t = await startTestApp({ env: { ROLE: 'api' } });
    p = await createProjectWithTokens(t, 'Export');
    await seed(t, p.id);
  });
  after(() => t.close());

  const get = (query: string) => t.app.inject({ method: 'GET', url: `/api/v1/projects/${p.id}/events/export${query}`, headers: { authorization: `Bearer ${p.memberToken}` } });

  test('NDJSON: every event once, ordered by timestamp then id', async () => {
    const r = await get('?format=ndjson');
    assert.equal(r.statusCode, 200);
    const lines = r.body.trimEnd().split('\n');
    assert.equal(lines.length, total);
    const items = lines.map((l) => JSON.parse(l) as { id: string; timestamp: number; properties: { seq: number } });
    assert.ok(inOrder(items));
    assert.equal(new Set(items.map((e) => e.id)).size, total);
    assert.deepEqual(items.slice(0, 3).map((e) => e.properties.seq).sort((a, b) => a - b), [0, 1, 2], 'the first timestamp\'s three events');
  });

  test('CSV with a filter: header row plus the matching events in order', async () => {
    const r = await get('?format=csv&status=read');
    assert.equal(r.statusCode, 200);
    const records = r.body.split('\r\n').filter((l) => l !== '');
    assert.equal(records.length, total / 4 + 1);
    assert.ok(records[0]!.startsWith('id,event,timestamp,message_type,'));
    const rows = records.slice(1).map((l) => l.split(','));
    assert.ok(rows.every((f) => f[9] === 'read'));
    assert.ok(inOrder(rows.map((f) => ({ id: f[0]!, timestamp: Number(f[2]) }))));
  });

  test('read page by page as the client consumes: the repo only sees bounded limits, and only ahead of the reader', async () => {
    const real = createEventsRepo(t.database.db.kysely, t.database.db);
    const limits: number[] = [];
    const spy: EventsRepo = { ...real, list: (projectId, filters, page, executor) => { limits.push(page.limit); return real.list(projectId, filters, page, executor); } };
    const service = createEventsService({ events: spy, bus: createEventBus(), pageSize: 1000 });
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const stream = service.exportStream(p.id, {}, 'ndjson');
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(limits.length <= 3, `a slow reader holds back the reads (${limits.length} pages read after one chunk)`);
    let lines = 1000;
    let peak = 0;
    for (let chunk = 1; ; chunk++) {
      const next = await iterator.next();
      if (next.done === true) break;
      lines += String(next.value).split('\n').length - 1;
      if (chunk % 4 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - heapBefore);
      }
    }
    assert.equal(lines, total);
    assert.ok(limits.every((l) => l === 1000), `every read is one page: ${[...new Set(limits)].join(',')}`);
    assert.equal(limits.length, total / 1000 + 1, 'one read per page, plus the empty one that ends it');
    // Loose: the whole range is ~8 MB as text (more as objects); what stays reachable is a page or two.
    assert.ok(peak < 6 * 1024 * 1024, `retained heap grew by ${(peak / 1024 / 1024).toFixed(1)} MB`);
  });
});
