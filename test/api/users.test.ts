import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { createUsersRepo } from '../../src/db/repos/users-repo.ts';
import { createSecretBox, generateKeyText, hashToken } from '../../src/lib/secret-box.ts';
import { call, createProjectWithTokens, sampleIntegration, startTestApp, type TestApp } from '../helpers/app.ts';

/** A browser-like session: keeps the cookie and sends the CSRF token on changes. */
async function signIn(app: FastifyInstance, email: string, password: string) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { email, password } });
  assert.equal(res.statusCode, 200, res.body);
  const setCookie = String(res.headers['set-cookie']);
  assert.match(setCookie, /^mm_session=mms_[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
  const cookie = setCookie.split(';')[0]!;
  const body = JSON.parse(res.body);
  return {
    cookie, csrf: body.csrf_token as string, body,
    async call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown, csrf: string | null = body.csrf_token) {
      const r = await app.inject({
        method, url, headers: { cookie, ...(csrf !== null ? { 'x-csrf-token': csrf } : {}) },
        ...(payload !== undefined ? { payload: payload as object } : {}),
      });
      return { status: r.statusCode, body: r.body.length > 0 ? JSON.parse(r.body) : undefined, headers: r.headers };
    },
  };
}

describe('console users, sessions and roles', () => {
  let t: TestApp;
  before(async () => { t = await startTestApp(); });
  after(async () => t.close());

  test('first admin: needed until created with the instance admin token, then never again', async () => {
    assert.deepEqual((await call(t.app, 'GET', '/api/v1/setup', undefined)).body, { first_admin_needed: true });
    const noToken = await call(t.app, 'POST', '/api/v1/setup/first-admin', undefined, { email: 'ana@example.com', password: 'correct horse battery' });
    assert.equal(noToken.status, 401);
    const weak = await call(t.app, 'POST', '/api/v1/setup/first-admin', t.adminToken, { email: 'ana@example.com', password: 'short' });
    assert.equal(weak.status, 400);
    assert.equal(weak.body.error.field, 'password');
    const badEmail = await call(t.app, 'POST', '/api/v1/setup/first-admin', t.adminToken, { email: 'ana', password: 'correct horse battery' });
    assert.equal(badEmail.body.error.field, 'email');
    const first = await call(t.app, 'POST', '/api/v1/setup/first-admin', t.adminToken, { email: ' Ana@Example.com ', password: 'correct horse battery' });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.email, 'ana@example.com');
    assert.equal(first.body.instance_admin, true);
    assert.equal(JSON.stringify(first.body).includes('scrypt'), false);
    assert.deepEqual((await call(t.app, 'GET', '/api/v1/setup', undefined)).body, { first_admin_needed: false });
    const second = await call(t.app, 'POST', '/api/v1/setup/first-admin', t.adminToken, { email: 'eve@example.com', password: 'correct horse battery' });
    assert.equal(second.status, 409);
    const stored = await t.database.db.kysely.selectFrom('users').select(['password_hash']).where('email', '=', 'ana@example.com').executeTakeFirstOrThrow();
    assert.match(stored.password_hash!, /^scrypt\$32768\$8\$1\$/);
  });

  test('sign in, CSRF on changes, sign out ends the session', async () => {
    const wrong = await call(t.app, 'POST', '/api/v1/session', undefined, { email: 'ana@example.com', password: 'wrong password!' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, 'invalid_credentials');
    const unknown = await call(t.app, 'POST', '/api/v1/session', undefined, { email: 'nobody@example.com', password: 'wrong password!' });
    assert.equal(unknown.body.error.message, wrong.body.error.message);

    const ana = await signIn(t.app, 'ANA@example.com', 'correct horse battery');
    assert.equal(ana.body.user.email, 'ana@example.com');
    const me = await ana.call('GET', '/api/v1/session');
    assert.equal(me.status, 200);
    assert.equal(me.body.csrf_token, ana.csrf);
    assert.equal(me.headers['cache-control'], 'no-store');

    // The instance admin user creates a project; without the CSRF header the same request is refused.
    const noCsrf = await ana.call('POST', '/api/v1/projects', { name: 'Shop' }, null);
    assert.equal(noCsrf.status, 403);
    assert.equal(noCsrf.body.error.code, 'csrf_token_invalid');
    const forged = await ana.call('POST', '/api/v1/projects', { name: 'Shop' }, 'x'.repeat(43));
    assert.equal(forged.status, 403);
    assert.equal((await call(t.app, 'GET', '/api/v1/projects', t.adminToken)).body.data.length, 0);
    const project = await ana.call('POST', '/api/v1/projects', { name: 'Shop' });
    assert.equal(project.status, 201);

    assert.equal((await ana.call('DELETE', '/api/v1/session')).status, 204);
    const after = await ana.call('GET', '/api/v1/session');
    assert.equal(after.status, 401);
    const row = await t.database.db.kysely.selectFrom('user_sessions').selectAll().execute();
    assert.equal(row.length, 0);
  });

  test('invite a member: link sets the password once; members cannot set default providers; other projects are 404', async () => {
    const ana = await signIn(t.app, 'ana@example.com', 'correct horse battery');
    const shop = (await ana.call('GET', '/api/v1/projects')).body.data[0].id as string;
    const other = await createProjectWithTokens(t, 'Other');

    const invited = await ana.call('POST', `/api/v1/projects/${shop}/members`, { email: 'ben@example.com', role: 'member' });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    assert.equal(invited.body.password_set, false);
    assert.match(invited.body.set_password.url, /\/set-password#token=mmi_/);
    const token = invited.body.set_password.token as string;
    const signInFirst = await call(t.app, 'POST', '/api/v1/session', undefined, { email: 'ben@example.com', password: 'anything at all' });
    assert.equal(signInFirst.status, 401);
    const set = await call(t.app, 'POST', '/api/v1/password', undefined, { token, password: 'ben has a long password' });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const reuse = await call(t.app, 'POST', '/api/v1/password', undefined, { token, password: 'another long password' });
    assert.equal(reuse.status, 400);
    assert.equal(reuse.body.error.field, 'token');

    const ben = await signIn(t.app, 'ben@example.com', 'ben has a long password');
    assert.deepEqual(ben.body.projects, [{ id: shop, role: 'member' }]);
    assert.deepEqual((await ben.call('GET', '/api/v1/projects')).body.data.map((p: { id: string }) => p.id), [shop]);
    assert.equal((await ben.call('GET', `/api/v1/projects/${other.id}`)).status, 404);
    assert.equal((await ben.call('GET', `/api/v1/projects/${shop}/settings/channels`)).status, 200);

    const integration = await ana.call('POST', `/api/v1/projects/${shop}/integrations`, sampleIntegration);
    assert.equal(integration.status, 201, JSON.stringify(integration.body));
    const refused = await ben.call('PUT', `/api/v1/projects/${shop}/settings/channels`, { whatsapp_integration_id: integration.body.id, rcs_integration_id: null });
    assert.equal(refused.status, 403);
    assert.match(refused.body.error.message, /only admins/);
    assert.equal((await ben.call('POST', `/api/v1/projects`, { name: 'Mine' })).status, 403);
    assert.equal((await ben.call('GET', `/api/v1/users`)).status, 403);

    // Promoted, Ben may; the last admin cannot be demoted.
    assert.equal((await ana.call('PATCH', `/api/v1/projects/${shop}/members/${ben.body.user.id}`, { role: 'admin' })).status, 204);
    const allowed = await ben.call('PUT', `/api/v1/projects/${shop}/settings/channels`, { whatsapp_integration_id: integration.body.id, rcs_integration_id: null });
    assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
    const lastAdmin = await ben.call('PATCH', `/api/v1/projects/${shop}/members/${ben.body.user.id}`, { role: 'member' });
    assert.equal(lastAdmin.status, 409);
    const members = await ana.call('GET', `/api/v1/projects/${shop}/members`);
    assert.deepEqual(members.body.data.map((m: { email: string; role: string }) => [m.email, m.role]), [['ben@example.com', 'admin']]);

    // Removed, Ben sees nothing of the project any more.
    assert.equal((await ana.call('DELETE', `/api/v1/projects/${shop}/members/${ben.body.user.id}`)).status, 409);
    const carl = await ana.call('POST', `/api/v1/projects/${shop}/members`, { email: 'carl@example.com', role: 'admin' });
    assert.equal(carl.status, 201);
    assert.equal((await ana.call('DELETE', `/api/v1/projects/${shop}/members/${ben.body.user.id}`)).status, 204);
    assert.equal((await ben.call('GET', `/api/v1/projects/${shop}`)).status, 404);
  });

  test('password reset by the instance admin ends sessions and gives a one-time link', async () => {
    const ben = await signIn(t.app, 'ben@example.com', 'ben has a long password');
    const users = await call(t.app, 'GET', '/api/v1/users', t.adminToken);
    const benId = users.body.data.find((u: { email: string }) => u.email === 'ben@example.com').id as string;
    const reset = await call(t.app, 'POST', `/api/v1/users/${benId}/password-reset`, t.adminToken);
    assert.equal(reset.status, 201);
    assert.match(reset.body.url, /set-password#token=mmr_/);
    assert.equal((await ben.call('GET', '/api/v1/session')).status, 401);
    assert.equal((await call(t.app, 'POST', '/api/v1/password', undefined, { token: reset.body.token, password: 'a brand new password' })).status, 200);
    assert.equal((await call(t.app, 'POST', '/api/v1/session', undefined, { email: 'ben@example.com', password: 'ben has a long password' })).status, 401);
    await signIn(t.app, 'ben@example.com', 'a brand new password');
    // Secrets are stored hashed only.
    const links = await t.database.db.kysely.selectFrom('password_links').select('token_hash').execute();
    assert.ok(links.every((l) => !l.token_hash.startsWith('mm')));
  });

  test('guessing a password gets 429 after 10 failures for one email; others are unaffected', async () => {
    await call(t.app, 'POST', '/api/v1/users', t.adminToken, { email: 'guess@example.com', password: 'the real password' });
    for (let i = 0; i < 10; i++) {
      assert.equal((await call(t.app, 'POST', '/api/v1/session', undefined, { email: 'guess@example.com', password: `wrong guess ${i}` })).status, 401);
    }
    const blocked = await call(t.app, 'POST', '/api/v1/session', undefined, { email: 'guess@example.com', password: 'the real password' });
    assert.equal(blocked.status, 429);
    assert.equal(blocked.body.error.code, 'too_many_attempts');
    assert.ok(Number(blocked.headers['retry-after']) > 0);
    await signIn(t.app, 'ana@example.com', 'correct horse battery');
  });

  test('failed sign-ins are counted by all instances together: 5 here and 5 on another, then 429 on both; a restart does not forget', async () => {
    await call(t.app, 'POST', '/api/v1/users', t.adminToken, { email: 'shared@example.com', password: 'the real password' });
    // A second instance on the same database (its own process state, as another machine would have).
    const instance = async () => {
      const app = await buildApp({ config: t.config, db: t.database.db, box: createSecretBox([generateKeyText()]), adminTokenHash: hashToken(t.adminToken) });
      await app.ready();
      return app;
    };
    const other = await instance();
    try {
      for (let i = 0; i < 10; i++) {
        const app = i % 2 === 0 ? t.app : other;
        assert.equal((await call(app, 'POST', '/api/v1/session', undefined, { email: 'Shared@Example.com', password: `wrong guess ${i}` })).status, 401);
      }
    } finally {
      await other.close();
    }
    // The other instance restarted: it still knows.
    const restarted = await instance();
    try {
      for (const app of [t.app, restarted]) {
        const blocked = await call(app, 'POST', '/api/v1/session', undefined, { email: 'shared@example.com', password: 'the real password' });
        assert.equal(blocked.status, 429);
        assert.ok(Number(blocked.headers['retry-after']) > 0 && Number(blocked.headers['retry-after']) <= 15 * 60);
      }
    } finally {
      await restarted.close();
    }
    // Only a hash of the address is kept, also for addresses nobody has.
    assert.equal((await call(t.app, 'POST', '/api/v1/session', undefined, { email: 'nobody@example.com', password: 'any password at all' })).status, 401);
    const rows = await t.database.db.kysely.selectFrom('sign_in_failures').selectAll().execute();
    assert.ok(rows.length >= 2);
    assert.ok(rows.every((r) => /^[0-9a-f]{64}$/.test(r.email_hash)));
  });

  test('a successful sign-in clears the failures; a window that has ended starts again at one', async () => {
    await call(t.app, 'POST', '/api/v1/users', t.adminToken, { email: 'clear@example.com', password: 'the real password' });
    for (let i = 0; i < 9; i++) {
      assert.equal((await call(t.app, 'POST', '/api/v1/session', undefined, { email: 'clear@example.com', password: `wrong guess ${i}` })).status, 401);
    }
    await signIn(t.app, 'clear@example.com', 'the real password');
    for (let i = 0; i < 9; i++) {
      assert.equal((await call(t.app, 'POST', '/api/v1/session', undefined, { email: 'clear@example.com', password: `wrong again ${i}` })).status, 401);
    }
    await signIn(t.app, 'clear@example.com', 'the real password');
    const users = createUsersRepo(t.database.db.kysely);
    const key = 'k'.repeat(64);
    assert.deepEqual(await users.recordSignInFailure(key, 1_000, 100), { failures: 1, window_until: 1_100 });
    assert.deepEqual(await users.recordSignInFailure(key, 1_050, 100), { failures: 2, window_until: 1_100 });
    assert.deepEqual(await users.signInFailures(key, 1_099), { failures: 2, window_until: 1_100 });
    assert.equal(await users.signInFailures(key, 1_100), undefined);
    assert.deepEqual(await users.recordSignInFailure(key, 1_100, 100), { failures: 1, window_until: 1_200 });
  });

  test('a bearer token still works beside cookies and needs no CSRF token', async () => {
    const p = await createProjectWithTokens(t, 'Machines');
    const res = await call(t.app, 'POST', `/api/v1/projects/${p.id}/integrations`, p.adminToken, sampleIntegration);
    assert.equal(res.status, 201);
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/projects', headers: { cookie: 'mm_session=mms_forged' } });
    assert.equal(bad.statusCode, 401);
  });
});
