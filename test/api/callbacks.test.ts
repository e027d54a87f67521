import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createProjectWithTokens, sampleIntegration, startTestApp, type TestApp } from '../helpers/app.ts';
import { deliveryReport, sinchHeaders } from '../helpers/signing.ts';

/** The callback endpoint on its own: signatures, replay, sizes, storage. Processing is covered with the sandbox. */
describe('POST /callbacks/sinch/{token}', () => {
  let t: TestApp;
  let path: string;
  let integrationId: string;
  let projectId: string;
  let adminToken: string;
  const secret = sampleIntegration.webhook_secret;
  const count = async (table: 'callbacks' | 'events' | 'jobs') =>
    Number((await t.database.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const post = (body: string, headers: Record<string, string>, url = path) => t.app.inject({ method: 'POST', url, headers, payload: body });

  before(async () => {
    t = await startTestApp({ env: { ROLE: 'api' } }); // callbacks are applied where they arrive, even without a worker
    const p = await createProjectWithTokens(t, 'Callbacks');
    projectId = p.id;
    adminToken = p.adminToken;
    const i = await call(t.app, 'POST', `/api/v1/projects/${p.id}/integrations`, p.adminToken, sampleIntegration);
    integrationId = i.body.id;
    path = new URL(i.body.callback_url as string).pathname;
  });
  after(() => t.close());

  test('a validly signed report: 200 once stored and applied, with no job left behind', async () => {
    const before = { callbacks: await count('callbacks'), jobs: await count('jobs') };
    const body = deliveryReport('01JTESTPROVIDER00000000001', 'DELIVERED');
    const r = await post(body, sinchHeaders(secret, body));
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json(), { received: true, duplicate: false });
    assert.equal(await count('callbacks'), before.callbacks + 1);
    assert.equal(await count('jobs'), before.jobs, 'applied in the same transaction: no job');
    const row = await t.database.db.kysely.selectFrom('callbacks').selectAll().where('provider_message_id', '=', '01JTESTPROVIDER00000000001').executeTakeFirstOrThrow();
    assert.equal(row.trigger, 'MESSAGE_DELIVERY');
    assert.equal(row.body, body, 'the raw bytes are kept');
    assert.equal(row.integration_id, integrationId);
    assert.equal(row.outcome, 'unknown_message', 'applied: no message of ours has this id');
    assert.notEqual(row.processed_at, null);
    assert.equal(row.next_attempt_at, null, 'nothing left to do');
  });

  test('a report that comes before our record of Sinch\'s answer gives the message Sinch\'s id, and later reports by that id find it', async () => {
    const sent = await call(t.app, 'POST', `/api/v1/projects/${projectId}/messages`, adminToken, {
      channel: 'rcs', integration_id: integrationId, to: '+46732001122', message: { text_message: { text: 'Your parcel is on its way.' } },
    });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const message = () => t.database.db.kysely.selectFrom('messages').select(['status', 'provider_message_id']).where('id', '=', sent.body.id).executeTakeFirstOrThrow();
    assert.deepEqual(await message(), { status: 'queued', provider_message_id: null }, 'no worker here: Sinch has not answered');
    const delivered = deliveryReport('01JTESTPROVIDER00000000020', 'DELIVERED', { metadata: sent.body.id });
    assert.equal((await post(delivered, sinchHeaders(secret, delivered))).statusCode, 200);
    assert.deepEqual(await message(), { status: 'delivered', provider_message_id: '01JTESTPROVIDER00000000020' });
    const read = deliveryReport('01JTESTPROVIDER00000000020', 'READ');
    assert.equal((await post(read, sinchHeaders(secret, read))).statusCode, 200);
    assert.deepEqual(await message(), { status: 'read', provider_message_id: '01JTESTPROVIDER00000000020' }, 'found by Sinch\'s id alone');
  });

  test('a late retry signed two hours ago and never seen is applied once; its replay has no second effect', async () => {
    const before = { callbacks: await count('callbacks'), events: await count('events') };
    const body = deliveryReport('01JTESTPROVIDER00000000009', 'DELIVERED');
    const headers = sinchHeaders(secret, body, { timestamp: Math.floor(Date.now() / 1000) - 2 * 3600 });
    const first = await post(body, headers);
    assert.equal(first.statusCode, 200, first.body);
    assert.deepEqual(first.json(), { received: true, duplicate: false });
    const row = await t.database.db.kysely.selectFrom('callbacks').selectAll().where('provider_message_id', '=', '01JTESTPROVIDER00000000009').executeTakeFirstOrThrow();
    assert.notEqual(row.processed_at, null, 'applied');
    const replay = await post(body, headers);
    assert.equal(replay.statusCode, 200);
    assert.deepEqual(replay.json(), { received: true, duplicate: true });
    const otherBody = deliveryReport('01JTESTPROVIDER00000000009', 'READ');
    const forged = await post(otherBody, sinchHeaders(secret, otherBody, { nonce: headers['x-sinch-webhook-signature-nonce']!, timestamp: Math.floor(Date.now() / 1000) - 2 * 3600 }));
    assert.equal(forged.statusCode, 401, 'the nonce is still known: another body under it is refused');
    assert.equal(forged.json().error.code, 'replayed_nonce');
    assert.deepEqual({ callbacks: await count('callbacks'), events: await count('events') }, { callbacks: before.callbacks + 1, events: before.events });
  });

  const refused: Array<[string, (body: string) => Record<string, string>, string]> = [
    ['a wrong secret', (b) => sinchHeaders('not-the-secret', b), 'invalid_signature'],
    ['no signature headers', () => ({ 'content-type': 'application/json' }), 'invalid_signature'],
    ['a timestamp older than CALLBACK_MAX_AGE_SECONDS (a day)', (b) => sinchHeaders(secret, b, { timestamp: Math.floor(Date.now() / 1000) - 86_401 }), 'invalid_signature'],
    ['a timestamp from the future', (b) => sinchHeaders(secret, b, { timestamp: Math.floor(Date.now() / 1000) + 301 }), 'invalid_signature'],
    ['a signature of other bytes', (b) => sinchHeaders(secret, `${b} `), 'invalid_signature'],
  ];
  for (const [name, headersFor, code] of refused) {
    test(`401 and nothing recorded: ${name}`, async () => {
      const before = { callbacks: await count('callbacks'), events: await count('events'), jobs: await count('jobs') };
      const body = deliveryReport('01JTESTPROVIDER00000000002', 'READ');
      const r = await post(body, headersFor(body));
      assert.equal(r.statusCode, 401);
      assert.equal(r.json().error.code, code);
      assert.deepEqual({ callbacks: await count('callbacks'), events: await count('events'), jobs: await count('jobs') }, before);
    });
  }

  test('a pretty-printed body verifies on its exact bytes', async () => {
    const body = `${JSON.stringify(JSON.parse(deliveryReport('01JTESTPROVIDER00000000003', 'READ')), null, 2)}\n`;
    const r = await post(body, sinchHeaders(secret, body));
    assert.equal(r.statusCode, 200, r.body);
  });

  test('a replayed nonce with another body is refused; the same delivery again is a harmless duplicate', async () => {
    const body = deliveryReport('01JTESTPROVIDER00000000004', 'DELIVERED');
    const headers = sinchHeaders(secret, body, { nonce: 'nonce-fixed-1' });
    assert.equal((await post(body, headers)).statusCode, 200);
    const again = await post(body, headers);
    assert.equal(again.statusCode, 200);
    assert.deepEqual(again.json(), { received: true, duplicate: true });
    const other = deliveryReport('01JTESTPROVIDER00000000004', 'READ');
    const replay = await post(other, sinchHeaders(secret, other, { nonce: 'nonce-fixed-1' }));
    assert.equal(replay.statusCode, 401);
    assert.equal(replay.json().error.code, 'replayed_nonce');
  });

  test('Sinch repeating a report (new nonce, same report) is stored once', async () => {
    const before = await count('callbacks');
    const body = deliveryReport('01JTESTPROVIDER00000000005', 'DELIVERED');
    const first = await post(body, sinchHeaders(secret, body));
    const second = await post(body, sinchHeaders(secret, body));
    assert.deepEqual([first.json().duplicate, second.json().duplicate], [false, true]);
    assert.equal(await count('callbacks'), before + 1);
  });

  test('unknown token 404, body not JSON 400, body over 1 MiB 413', async () => {
    const body = deliveryReport('x', 'READ');
    assert.equal((await post(body, sinchHeaders(secret, body), '/callbacks/sinch/cb_unknown')).statusCode, 404);
    const notJson = '{"message_delivery_report": ';
    const bad = await post(notJson, sinchHeaders(secret, notJson));
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'invalid_json');
    const big = JSON.stringify({ padding: 'x'.repeat(1024 * 1024) });
    const huge = await post(big, sinchHeaders(secret, big));
    assert.equal(huge.statusCode, 413);
    assert.equal(huge.json().error.code, 'payload_too_large');
  });

  test('unknown triggers are stored as received', async () => {
    const body = JSON.stringify({ app_id: 'a', project_id: 'p', accepted_time: '2026-11-24T10:00:00Z', hologram_notification: { x: 1 } });
    assert.equal((await post(body, sinchHeaders(secret, body))).statusCode, 200);
    const row = await t.database.db.kysely.selectFrom('callbacks').selectAll().where('trigger', '=', 'UNKNOWN:hologram_notification').executeTakeFirst();
    assert.ok(row);
  });

  test('during webhook secret rotation both the new and the previous secret verify', async () => {
    const a = deliveryReport('01JTESTPROVIDER00000000006', 'DELIVERED');
    assert.equal((await post(a, sinchHeaders('brand-new-secret-123', a))).statusCode, 401, 'not yet the secret');
    await call(t.app, 'PATCH', `/api/v1/projects/${projectId}/integrations/${integrationId}`, adminToken, { webhook_secret: 'brand-new-secret-123' });
    assert.equal((await post(a, sinchHeaders('brand-new-secret-123', a))).statusCode, 200, 'the new secret');
    const b = deliveryReport('01JTESTPROVIDER00000000007', 'DELIVERED');
    assert.equal((await post(b, sinchHeaders(secret, b))).statusCode, 200, 'the previous secret, still accepted');
    const c = deliveryReport('01JTESTPROVIDER00000000008', 'DELIVERED');
    assert.equal((await post(c, sinchHeaders('some-other-secret', c))).statusCode, 401);
  });
});

describe('published signature vector', () => {
  test('Sinch\'s published vector is accepted at its timestamp', async () => {
    const at = new Date(1634579353 * 1000);
    const t = await startTestApp({ env: { ROLE: 'api' }, clock: { now: () => at } });
    try {
      const p = await createProjectWithTokens(t, 'Vector');
      const i = await call(t.app, 'POST', `/api/v1/projects/${p.id}/integrations`, p.adminToken, { ...sampleIntegration, webhook_secret: 'foo_secret1234' });
      const body = '{"app_id":"","accepted_time":"2021-10-18T17:49:13.813615Z","project_id":"e2df3a34-a71b-4448-9db5-a8d2baad28e4","contact_create_notification":{"contact":{"id":"01FJA8B466Y0R2GNXD78MD9SM1","channel_identities":[{"channel":"SMS","identity":"48123456789","app_id":""}],"display_name":"New Test Contact","email":"new.contact@email.com","external_id":"","metadata":"","language":"EN_US"}},"message_metadata":""}';
      const r = await t.app.inject({
        method: 'POST', url: new URL(i.body.callback_url as string).pathname, payload: body,
        headers: {
          'content-type': 'application/json',
          'x-sinch-webhook-signature': '6bpJoRmFoXVjfJIVglMoJzYXxnoxRujzR4k2GOXewOE=',
          'x-sinch-webhook-signature-nonce': '01FJA8B4A7BM43YGWSG9GBV067',
          'x-sinch-webhook-signature-timestamp': '1634579353',
        },
      });
      assert.equal(r.statusCode, 200, r.body);
      const row = await t.database.db.kysely.selectFrom('callbacks').selectAll().executeTakeFirstOrThrow();
      assert.equal(row.trigger, 'CONTACT_CREATE');
    } finally {
      await t.close();
    }
  });
});
