import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createEventsRepo, type EventRow } from '../../src/db/repos/events-repo.ts';
import { createId } from '../../src/lib/ids.ts';
import { call, createProjectWithTokens, sampleIntegration, startTestApp, type TestApp } from '../helpers/app.ts';
import { deliveryReport, sinchHeaders } from '../helpers/signing.ts';

/** A stored event as the tracker writes it; `i` varies the properties. */
function eventRow(projectId: string, ts: number, overrides: Partial<EventRow> & { props?: Record<string, unknown> } = {}): EventRow {
  const { props, ...rest } = overrides;
  const id = rest.id ?? createId('evt');
  const status = rest.status ?? 'delivered';
  const action = rest.action_type ?? 'whatsapp';
  const properties = {
    message_type: 'campaign', action_type: action, campaign_id: rest.campaign_id ?? null, recipient: rest.recipient ?? '+46732001122',
    sender: '+46732000000', sent_timestamp: ts - 1, status, error: null, error_description: null,
    message_id: rest.message_id ?? 'msg_x', integration_id: 'int_x', ...props,
  };
  return {
    id, project_id: projectId, event: rest.event ?? 'campaign', ts, status, action_type: action,
    campaign_id: rest.campaign_id ?? null, recipient: rest.recipient ?? '+46732001122', message_id: rest.message_id ?? 'msg_x',
    integration_id: 'int_x', dedupe_key: `msg:${rest.message_id ?? 'msg_x'}:${status}:${id}`, properties_json: JSON.stringify(properties), recorded_at: new Date().toISOString(),
  };
}

describe('events API', () => {
  let t: TestApp;
  let A: Awaited<ReturnType<typeof createProjectWithTokens>>;
  let B: Awaited<ReturnType<typeof createProjectWithTokens>>;
  const base = 1_723_484_965.5;
  const rows: EventRow[] = [];

  before(async () => {
    t = await startTestApp({ env: { ROLE: 'api' } });
    A = await createProjectWithTokens(t, 'A');
    B = await createProjectWithTokens(t, 'B');
    const repo = createEventsRepo(t.database.db.kysely, t.database.db);
    // 30 events in A: every third an RCS 'read' of campaign c-2; two share a timestamp to test the id tie-break.
    for (let i = 0; i < 30; i++) {
      const rcs = i % 3 === 0;
      rows.push(eventRow(A.id, i === 11 ? base + 10 : base + i, {
        status: rcs ? 'read' : 'delivered', action_type: rcs ? 'rcs' : 'whatsapp', campaign_id: rcs ? 'c-2' : 'c-1',
        message_id: `msg_${i % 5}`, recipient: i % 2 === 0 ? '+46732001122' : '+46732001133', event: rcs ? 'rcs_campaign' : 'campaign',
      }));
    }
    rows.push(eventRow(B.id, base + 1, { campaign_id: 'c-1' }));
    await repo.insertMany(t.database.db.kysely, rows);
  });
  after(() => t.close());

  const inA = () => rows.filter((r) => r.project_id === A.id).sort((x, y) => x.ts - y.ts || (x.id < y.id ? -1 : 1));
  const list = (query: string, token = A.memberToken, project = A.id) => call(t.app, 'GET', `/api/v1/projects/${project}/events${query}`, token);

  test('items are exactly {id, event, timestamp, properties}, ordered by timestamp then id, no project id', async () => {
    const r = await list('');
    assert.equal(r.status, 200);
    assert.equal(r.body.next_cursor, null);
    assert.deepEqual(r.body.data.map((e: any) => e.id), inA().map((e) => e.id));
    for (const item of r.body.data) assert.deepEqual(Object.keys(item).sort(), ['event', 'id', 'properties', 'timestamp']);
    const first = r.body.data[0];
    assert.equal(typeof first.timestamp, 'number');
    assert.equal(first.properties.message_type, 'campaign');
    assert.ok(!JSON.stringify(r.body).includes(A.id), 'the project id never appears');
  });

  test('cursor pagination walks every event once, in order', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await list(`?limit=7${cursor !== null ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(r.status, 200);
      assert.ok(r.body.data.length <= 7);
      seen.push(...r.body.data.map((e: any) => e.id));
      cursor = r.body.next_cursor;
      pages++;
    } while (cursor !== null);
    assert.equal(pages, 5);
    assert.deepEqual(seen, inA().map((e) => e.id));
  });

  test('filters: event, status, action_type, campaign_id, recipient, message_id', async () => {
    const cases: Array<[string, (r: EventRow) => boolean]> = [
      ['event=rcs_campaign', (r) => r.event === 'rcs_campaign'],
      ['status=read', (r) => r.status === 'read'],
      ['action_type=whatsapp', (r) => r.action_type === 'whatsapp'],
      ['campaign_id=c-2', (r) => r.campaign_id === 'c-2'],
      ['recipient=%2B46732001133', (r) => r.recipient === '+46732001133'],
      ['message_id=msg_3', (r) => r.message_id === 'msg_3'],
      ['status=delivered&message_id=msg_1&recipient=%2B46732001133', (r) => r.status === 'delivered' && r.message_id === 'msg_1' && r.recipient === '+46732001133'],
    ];
    for (const [query, keep] of cases) {
      const r = await list(`?${query}`);
      assert.equal(r.status, 200, query);
      assert.deepEqual(r.body.data.map((e: any) => e.id), inA().filter(keep).map((e) => e.id), query);
    }
  });

  test('since is inclusive and until exclusive, as Unix seconds or RFC 3339', async () => {
    const since = base + 5;
    const until = base + 9;
    const expected = inA().filter((r) => r.ts >= since && r.ts < until).map((e) => e.id);
    assert.equal(expected.length, 4);
    const unix = await list(`?since=${since}&until=${until}`);
    assert.deepEqual(unix.body.data.map((e: any) => e.id), expected);
    const iso = (s: number) => new Date(s * 1000).toISOString();
    const rfc = await list(`?since=${iso(since)}&until=${encodeURIComponent(iso(until).replace('Z', '+00:00'))}`);
    assert.deepEqual(rfc.body.data.map((e: any) => e.id), expected);
    const micro = await list(`?since=${encodeURIComponent('2024-08-12T17:49:30.500000Z')}`);
    assert.equal(micro.body.data[0].timestamp, base + 5);
  });

  test('bad input: 400 with the field', async () => {
    for (const [query, field] of [['?since=yesterday', 'since'], ['?until=2024-13-45', 'until'], ['?cursor=nope', 'cursor'], ['?status=lost', 'status'], ['?limit=1001', 'limit']] as const) {
      const r = await list(query);
      assert.equal(r.status, 400, query);
      assert.equal(r.body.error.field, field, query);
    }
  });

  test('access: member reads, another project\'s token gets 404, no token 401', async () => {
    assert.equal((await list('', A.adminToken)).status, 200);
    assert.equal((await list('', B.memberToken)).status, 404);
    assert.equal((await call(t.app, 'GET', `/api/v1/projects/${A.id}/events`, undefined)).status, 401);
    const b = await list('', B.memberToken, B.id);
    assert.equal(b.body.data.length, 1, 'each project sees only its own');
    for (const suffix of ['/export', '/stream']) {
      assert.equal((await call(t.app, 'GET', `/api/v1/projects/${A.id}/events${suffix}`, B.memberToken)).status, 404, suffix);
      assert.equal((await call(t.app, 'GET', `/api/v1/projects/${A.id}/events${suffix}`, undefined)).status, 401, suffix);
    }
    assert.equal((await call(t.app, 'GET', `/api/v1/projects/${A.id}/events/stream?last_event_id=abc`, A.memberToken)).body.error.field, 'last_event_id');
  });

  test('export: NDJSON and CSV with the same filters and order, as an attachment', async () => {
    const nd = await t.app.inject({ method: 'GET', url: `/api/v1/projects/${A.id}/events/export?status=read`, headers: { authorization: `Bearer ${A.memberToken}` } });
    assert.equal(nd.statusCode, 200);
    assert.match(String(nd.headers['content-type']), /application\/x-ndjson/);
    assert.match(String(nd.headers['content-disposition']), /^attachment; filename="events-.*\.ndjson"$/);
    const lines = nd.body.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((e) => e.id), inA().filter((r) => r.status === 'read').map((e) => e.id));
    assert.deepEqual(Object.keys(lines[0]).sort(), ['event', 'id', 'properties', 'timestamp']);

    const csv = await t.app.inject({ method: 'GET', url: `/api/v1/projects/${A.id}/events/export?format=csv&campaign_id=c-1`, headers: { authorization: `Bearer ${A.memberToken}` } });
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /text\/csv/);
    assert.match(String(csv.headers['content-disposition']), /\.csv"$/);
    const records = csv.body.split('\r\n').filter((l) => l !== '');
    assert.equal(records[0], 'id,event,timestamp,message_type,action_type,campaign_id,recipient,sender,sent_timestamp,status,error,error_description,message_id,integration_id,other_properties');
    const expected = inA().filter((r) => r.campaign_id === 'c-1');
    assert.equal(records.length, expected.length + 1);
    const firstRow = records[1]!.split(',');
    assert.equal(firstRow[0], expected[0]!.id);
    assert.equal(Number(firstRow[2]), expected[0]!.ts);
    assert.equal(firstRow[9], 'delivered');
  });

  test('CSV quotes commas, quotes and line breaks (RFC 4180) and keeps extra properties as JSON', async () => {
    const repo = createEventsRepo(t.database.db.kysely, t.database.db);
    const odd = eventRow(A.id, base + 100, { campaign_id: 'summer, "big" sale\nline 2', props: { delivery_channel: 'sms' } });
    await repo.insertMany(t.database.db.kysely, [odd]);
    const r = await t.app.inject({ method: 'GET', url: `/api/v1/projects/${A.id}/events/export?format=csv&since=${base + 100}`, headers: { authorization: `Bearer ${A.memberToken}` } });
    assert.ok(r.body.includes('"summer, ""big"" sale\nline 2"'), r.body);
    assert.ok(r.body.includes('"{""delivery_channel"":""sms""}"'), r.body);
    const header = r.body.split('\r\n')[0]!.split(',').length;
    assert.equal(header, 15);
  });
});

describe('error catalogue and callbacks list', () => {
  let t: TestApp;
  let A: Awaited<ReturnType<typeof createProjectWithTokens>>;
  let B: Awaited<ReturnType<typeof createProjectWithTokens>>;
  let callbackPath: string;

  before(async () => {
    t = await startTestApp({ env: { ROLE: 'api' } });
    A = await createProjectWithTokens(t, 'A');
    B = await createProjectWithTokens(t, 'B');
    const i = await call(t.app, 'POST', `/api/v1/projects/${A.id}/integrations`, A.adminToken, sampleIntegration);
    callbackPath = new URL(i.body.callback_url as string).pathname;
  });
  after(() => t.close());

  test('GET /error-codes: every catalogue code with class, description and action, for any token', async () => {
    const { reasonCodeCatalogue } = await import('../../src/domain/reason-codes.ts');
    const r = await call(t.app, 'GET', '/api/v1/error-codes', B.memberToken);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.data.map((e: any) => e.code).sort(), Object.keys(reasonCodeCatalogue).sort());
    const notReachable = r.body.data.find((e: any) => e.code === 'RECIPIENT_NOT_REACHABLE');
    assert.equal(notReachable.class, 'failed');
    assert.equal(notReachable.source, 'sinch');
    assert.ok(notReachable.description.length > 20 && notReachable.action.length > 10);
    assert.equal(r.body.data.find((e: any) => e.code === 'RECIPIENT_NOT_OPTED_IN').class, 'rejected');
    assert.ok(r.body.sub_codes.some((s: any) => s.sub_code === 'ATTACHMENT_REJECTED'));
    assert.equal((await call(t.app, 'GET', '/api/v1/error-codes', t.adminToken)).status, 200);
    assert.equal((await call(t.app, 'GET', '/api/v1/error-codes', undefined)).status, 401);
  });

  test('GET /error-codes/{code}: known, with a sub-code, and unknown', async () => {
    const known = await call(t.app, 'GET', '/api/v1/error-codes/MEDIA_TOO_LARGE?sub_code=ATTACHMENT_REJECTED', A.memberToken);
    assert.equal(known.body.known, true);
    assert.equal(known.body.class, 'rejected');
    assert.match(known.body.description, /attached file/);
    const unknown = await call(t.app, 'GET', '/api/v1/error-codes/SOMETHING_NEW', A.memberToken);
    assert.equal(unknown.body.known, false);
    assert.equal(unknown.body.class, null);
    assert.match(unknown.body.description, /SOMETHING_NEW/);
  });

  test('GET /projects/{id}/callbacks: newest first, filters, parsed body, cursor, member only of the project', async () => {
    const ids = ['01JCBLIST0000000000000000A', '01JCBLIST0000000000000000B', '01JCBLIST0000000000000000C'];
    for (const [n, id] of ids.entries()) {
      const body = deliveryReport(id, n === 1 ? 'READ' : 'DELIVERED');
      const res = await t.app.inject({ method: 'POST', url: callbackPath, headers: sinchHeaders(sampleIntegration.webhook_secret, body), payload: body });
      assert.equal(res.statusCode, 200, res.body);
    }
    const all = await call(t.app, 'GET', `/api/v1/projects/${A.id}/callbacks`, A.memberToken);
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.data.map((c: any) => c.provider_message_id), [...ids].reverse());
    const item = all.body.data[0];
    assert.deepEqual(Object.keys(item).sort(), ['body', 'id', 'integration_id', 'outcome', 'processed_at', 'provider_message_id', 'received_at', 'trigger']);
    assert.equal(item.trigger, 'MESSAGE_DELIVERY');
    assert.equal(item.outcome, 'unknown_message', 'applied on arrival: no message of ours has this id');
    assert.equal(item.body.message_delivery_report.status, 'DELIVERED');
    assert.ok(!JSON.stringify(all.body).includes(sampleIntegration.webhook_secret));

    const one = await call(t.app, 'GET', `/api/v1/projects/${A.id}/callbacks?provider_message_id=${ids[1]}`, A.memberToken);
    assert.deepEqual(one.body.data.map((c: any) => c.body.message_delivery_report.status), ['READ']);
    assert.equal((await call(t.app, 'GET', `/api/v1/projects/${A.id}/callbacks?trigger=MESSAGE_INBOUND`, A.memberToken)).body.data.length, 0);
    assert.equal((await call(t.app, 'GET', `/api/v1/projects/${A.id}/callbacks?outcome=unknown_message`, A.memberToken)).body.data.length, 3);
    assert.equal((await call(t.app, 'GET', `/api/v1/projects/${A.id}/callbacks?outcome=applied`, A.memberToken)).body.data.length, 0);

    const page1 = await call(t.app, 'GET', `/api/v1/projects/${A.id}/callbacks?limit=2`, A.memberToken);
    assert.equal(page1.body.data.length, 2);
    const page2 = await call(t.app, 'GET', `/api/v1/projects/${A.id}/callbacks?limit=2&cursor=${page1.body.next_cursor}`, A.memberToken);
    assert.deepEqual(page2.body.data.map((c: any) => c.provider_message_id), [ids[0]]);
    assert.equal(page2.body.next_cursor, null);

    assert.equal((await call(t.app, 'GET', `/api/v1/projects/${A.id}/callbacks`, B.memberToken)).status, 404);
    assert.equal((await call(t.app, 'GET', `/api/v1/projects/${B.id}/callbacks`, B.memberToken)).body.data.length, 0);
  });
});
