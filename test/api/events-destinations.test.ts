import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createProjectWithTokens, startTestApp, type TestApp } from '../helpers/app.ts';

/** Event destinations: validation, roles, and the signing secret never coming back. */
describe('event destinations API', () => {
  let t: TestApp;
  let A: Awaited<ReturnType<typeof createProjectWithTokens>>;
  let B: Awaited<ReturnType<typeof createProjectWithTokens>>;
  const ownSecret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

  before(async () => {
    // No worker: nothing is sent anywhere. Loopback allowed explicitly (http to localhost is tested below).
    t = await startTestApp({ env: { ROLE: 'api', EVENT_DESTINATION_ALLOWED_NETWORKS: '127.0.0.0/8,::1/128' } });
    A = await createProjectWithTokens(t, 'A');
    B = await createProjectWithTokens(t, 'B');
  });
  after(() => t.close());

  const base = () => `/api/v1/projects/${A.id}/event-destinations`;
  const create = (body: unknown, token = A.adminToken) => call(t.app, 'POST', base(), token, body);

  test('create: 201 with delivery state; a generated secret is shown once, a given one never', async () => {
    const r = await create({ name: 'Warehouse', url: 'https://example.com/hooks/events', statuses: ['delivered', 'read'], batch_size: 50 });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.match(r.body.id, /^dst_/);
    assert.match(r.body.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(r.body.secret_set, true);
    assert.deepEqual(r.body.statuses, ['delivered', 'read']);
    assert.equal(r.body.events, null);
    assert.equal(r.body.batch_size, 50);
    assert.equal(r.body.enabled, true);
    assert.deepEqual(Object.keys(r.body.delivery).sort(), [
      'consecutive_failures', 'cursor', 'failing_since', 'forwarded_count', 'lag', 'last_attempt_at', 'last_error', 'last_error_at', 'last_status_code',
      'last_success_at', 'next_attempt_at', 'paused_at', 'paused_reason', 'state',
    ]);
    assert.equal(r.body.delivery.lag, 0);
    assert.equal(r.body.delivery.forwarded_count, 0);

    const own = await create({ name: 'Own secret', url: 'https://example.com/x', secret: ownSecret });
    assert.equal(own.status, 201);
    assert.equal(own.body.secret, undefined);

    const got = await call(t.app, 'GET', `${base()}/${r.body.id as string}`, A.memberToken);
    assert.equal(got.status, 200);
    assert.equal(got.body.secret, undefined);
    const list = await call(t.app, 'GET', base(), A.memberToken);
    assert.ok(list.body.data.length >= 2);
    const everything = JSON.stringify([got.body, list.body]);
    assert.ok(!everything.includes(r.body.secret) && !everything.includes(ownSecret), 'secrets never come back');

    const stored = await t.database.db.kysely.selectFrom('event_destinations').select('secret_enc').execute();
    for (const row of stored) assert.ok(!row.secret_enc.includes('whsec_') && row.secret_enc.startsWith('v1.'), 'sealed at rest');

    const job = await t.database.db.kysely.selectFrom('jobs').selectAll().where('key', '=', `fwd:${r.body.id as string}`).executeTakeFirst();
    assert.equal(job?.kind, 'forward_events');
  });

  test('validation: https only (http for localhost), no credentials in the URL, secret format, filters, batch size', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: 'x', url: 'http://example.com/hook' }, 'url'],
      [{ name: 'x', url: 'ftp://example.com/hook' }, 'url'],
      [{ name: 'x', url: 'not a url' }, 'url'],
      [{ name: 'x', url: 'https://user:pw@example.com/hook' }, 'url'],
      [{ name: 'x', url: 'https://example.com', secret: 'too-short' }, 'secret'],
      [{ name: 'x', url: 'https://example.com', statuses: ['lost'] }, 'statuses.0'],
      [{ name: 'x', url: 'https://example.com', events: ['Not Valid'] }, 'events.0'],
      [{ name: 'x', url: 'https://example.com', batch_size: 0 }, 'batch_size'],
      [{ name: 'x', url: 'https://example.com', extra: 1 }, 'extra'],
      [{ url: 'https://example.com' }, 'name'],
    ];
    for (const [body, field] of cases) {
      const r = await create(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.field, field, JSON.stringify(body));
    }
    for (const url of ['http://localhost:8080/hook', 'http://127.0.0.1:9/hook']) {
      assert.equal((await create({ name: 'local', url })).status, 201, url);
    }
  });

  test('PATCH changes fields, pauses and resumes; the secret can be replaced but is not shown', async () => {
    const r = await create({ name: 'Patch me', url: 'https://example.com/a' });
    const path = `${base()}/${r.body.id as string}`;
    const p = await call(t.app, 'PATCH', path, A.adminToken, { name: 'Patched', url: 'https://example.org/b', events: ['campaign'], statuses: null, enabled: false, batch_size: 10, secret: ownSecret });
    assert.equal(p.status, 200, JSON.stringify(p.body));
    assert.equal(p.body.name, 'Patched');
    assert.equal(p.body.url, 'https://example.org/b');
    assert.deepEqual(p.body.events, ['campaign']);
    assert.equal(p.body.statuses, null);
    assert.equal(p.body.enabled, false);
    assert.equal(p.body.delivery.state, 'paused');
    assert.equal(p.body.secret, undefined);
    assert.equal((await call(t.app, 'PATCH', path, A.adminToken, { url: 'http://example.org/b' })).body.error.field, 'url');
    const resumed = await call(t.app, 'PATCH', path, A.adminToken, { enabled: true });
    assert.equal(resumed.body.enabled, true);
    assert.equal(resumed.body.delivery.state, 'idle');
  });

  test('roles: members read, admins write; another project gets 404; no token 401', async () => {
    const r = await create({ name: 'Roles', url: 'https://example.com/r' });
    const path = `${base()}/${r.body.id as string}`;
    assert.equal((await create({ name: 'm', url: 'https://example.com' }, A.memberToken)).status, 403);
    assert.equal((await call(t.app, 'PATCH', path, A.memberToken, { name: 'm' })).status, 403);
    assert.equal((await call(t.app, 'DELETE', path, A.memberToken)).status, 403);
    assert.equal((await call(t.app, 'GET', path, A.memberToken)).status, 200);
    for (const [method, body] of [['GET', undefined], ['PATCH', { name: 'b' }], ['DELETE', undefined]] as const) {
      assert.equal((await call(t.app, method, path, B.adminToken, body)).status, 404, method);
    }
    assert.equal((await call(t.app, 'GET', base(), B.adminToken)).status, 404);
    assert.equal((await call(t.app, 'GET', `/api/v1/projects/${B.id}/event-destinations/${r.body.id as string}`, B.adminToken)).status, 404, 'not visible through another project');
    assert.equal((await call(t.app, 'GET', base(), undefined)).status, 401);
    assert.equal((await call(t.app, 'POST', base(), t.adminToken, { name: 'instance admin', url: 'https://example.com' })).status, 201);
  });

  test('DELETE: 204, then 404; its job goes too', async () => {
    const r = await create({ name: 'Delete me', url: 'https://example.com/d' });
    const path = `${base()}/${r.body.id as string}`;
    assert.equal((await call(t.app, 'DELETE', path, A.adminToken)).status, 204);
    assert.equal((await call(t.app, 'GET', path, A.memberToken)).status, 404);
    assert.equal((await call(t.app, 'DELETE', path, A.adminToken)).status, 404);
    const job = await t.database.db.kysely.selectFrom('jobs').selectAll().where('key', '=', `fwd:${r.body.id as string}`).executeTakeFirst();
    assert.equal(job, undefined);
  });

  test('list pages with a cursor', async () => {
    const first = await call(t.app, 'GET', `${base()}?limit=2`, A.memberToken);
    assert.equal(first.body.data.length, 2);
    assert.notEqual(first.body.next_cursor, null);
    const second = await call(t.app, 'GET', `${base()}?limit=2&cursor=${first.body.next_cursor as string}`, A.memberToken);
    assert.ok(second.body.data.length >= 1);
    assert.ok(second.body.data[0].id > first.body.data[1].id);
  });
});
