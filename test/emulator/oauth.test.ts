import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { createEmulator } from '../../src/emulator/emulator.ts';
import { APP, basic, call, FAST, getToken, PROJECT, send, startEmulator, textTo, type Running } from './helpers.ts';

let offset = 0;
let emu: Running;
before(async () => { emu = await startEmulator({ ...FAST, now: () => Date.now() + offset, knobs: { enforce_whatsapp_window: false } }); });
after(async () => { await emu.close(); });

async function tokenRequest(auth: string | undefined, body = 'grant_type=client_credentials') {
  return call('POST', `${emu.base}/oauth2/token`, body, { 'content-type': 'application/x-www-form-urlencoded', ...(auth === undefined ? {} : { authorization: auth }) });
}

test('issues a bearer token for the default account', async () => {
  const r = await tokenRequest(basic());
  assert.equal(r.status, 200);
  assert.equal(r.body.token_type, 'bearer');
  assert.equal(r.body.expires_in, 3600);
  assert.equal(typeof r.body.access_token, 'string');
  assert.equal(typeof r.body.scope, 'string');
  const sent = await send(emu.base, textTo('46700000000'), `Bearer ${r.body.access_token}`);
  assert.equal(sent.status, 200);
  assert.match(sent.body.message_id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  assert.ok(!Number.isNaN(Date.parse(sent.body.accepted_time)));
});

test('wrong or missing client credentials get 401; wrong grant type 400', async () => {
  assert.equal((await tokenRequest(basic('sandbox-key', 'nope'))).status, 401);
  assert.equal((await tokenRequest(basic('nobody', 'sandbox-secret'))).status, 401);
  const missing = await tokenRequest(undefined);
  assert.equal(missing.status, 401);
  assert.equal(missing.body.error, 'invalid_client');
  assert.equal((await tokenRequest(basic(), 'grant_type=password')).status, 400);
});

test('an expired token gets 401 with WWW-Authenticate containing "expired"', async () => {
  const token = await getToken(emu.base);
  offset += 3601 * 1000;
  try {
    const r = await send(emu.base, textTo('46700000000'), `Bearer ${token}`);
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="sinch", error="invalid_token", error_description="expired"');
    assert.equal(r.body.error.status, 'UNAUTHENTICATED');
    const fresh = await getToken(emu.base);
    assert.equal((await send(emu.base, textTo('46700000000'), `Bearer ${fresh}`)).status, 200);
  } finally {
    offset -= 3601 * 1000;
  }
});

test('unknown bearer tokens and bad basic credentials get 401 without "expired"', async () => {
  const r = await send(emu.base, textTo('46700000000'), 'Bearer not-a-token');
  assert.equal(r.status, 401);
  assert.doesNotMatch(r.headers.get('www-authenticate') ?? '', /expired/);
  assert.equal((await send(emu.base, textTo('46700000000'), basic('sandbox-key', 'wrong'))).status, 401);
  assert.equal((await send(emu.base, textTo('46700000000'), '')).status, 401);
});

test('basic auth straight on the API is accepted', async () => {
  assert.equal((await send(emu.base, textTo('46700000000'), basic())).status, 200);
});

test('404 for an unknown project or app, 403 for credentials of another project', async () => {
  emu.emulator.upsertApp('other-app', { project_id: 'other-project', access_key: 'other-key', access_secret: 'other-secret' });
  assert.equal((await send(emu.base, textTo('46700000000'), basic(), 'no-such-project')).status, 404);
  const unknownApp = await send(emu.base, { ...textTo('46700000000'), app_id: 'no-such-app' });
  assert.equal(unknownApp.status, 404);
  assert.equal(unknownApp.body.error.status, 'NOT_FOUND');
  const otherToken = await getToken(emu.base, 'other-key', 'other-secret');
  const forbidden = await send(emu.base, textTo('46700000000'), `Bearer ${otherToken}`);
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.body.error.status, 'PERMISSION_DENIED');
  // The app of another project is not visible from this project either.
  assert.equal((await send(emu.base, { ...textTo('46700000000'), app_id: 'other-app' })).status, 404);
  assert.equal((await send(emu.base, { ...textTo('46700000000'), app_id: 'other-app' }, `Bearer ${otherToken}`, 'other-project')).status, 200);
  assert.equal(APP, 'sandbox-app');
  assert.equal(PROJECT, 'sandbox-project');
});

test('the token endpoint is throttled like Sinch (token bucket)', async () => {
  const limited = createEmulator({ ...FAST, tokenRateLimit: { capacity: 2, perSecond: 0.01 } });
  const app = Fastify();
  await app.register(limited.plugin);
  try {
    const ask = () => app.inject({ method: 'POST', url: '/oauth2/token', headers: { authorization: basic(), 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=client_credentials' });
    assert.equal((await ask()).statusCode, 200);
    assert.equal((await ask()).statusCode, 200);
    assert.equal((await ask()).statusCode, 429);
  } finally {
    await limited.close();
    await app.close();
  }
});

test('token_faults: the next N token requests with the app\'s credentials get 429 without Retry-After, counted', async () => {
  emu.emulator.upsertApp('throttled-app', { project_id: 'throttled-project', access_key: 'throttled-key', access_secret: 'throttled-secret' });
  const patched = await call('PATCH', `${emu.base}/_emulator/apps/throttled-app/knobs`, { token_faults: 2 });
  assert.equal(patched.status, 200);
  const before = (await call('GET', `${emu.base}/_emulator`)).body;
  for (let i = 0; i < 2; i++) {
    const r = await tokenRequest(basic('throttled-key', 'throttled-secret'));
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), null);
    assert.equal(r.body.error, 'rate_limited');
  }
  assert.equal((await tokenRequest(basic())).status, 200, 'other credentials are not throttled');
  assert.equal((await tokenRequest(basic('throttled-key', 'throttled-secret'))).status, 200);
  const counts = (await call('GET', `${emu.base}/_emulator`)).body;
  assert.equal(counts.token_requests - before.token_requests, 4);
  assert.equal(counts.token_requests_refused - before.token_requests_refused, 2);
  assert.equal((await call('GET', `${emu.base}/_emulator/apps/throttled-app`)).body.knobs.token_faults, 0);
});

test('works under a prefix on a host app with its own parsers and error handler', async () => {
  const emulator = createEmulator(FAST);
  const host = Fastify();
  host.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_r, _b, done) => { done(new Error('host parser must not be used')); });
  host.setErrorHandler((_e, _r, reply) => reply.code(418).send({ host: true }));
  await host.register(emulator.plugin, { prefix: '/sandbox' });
  try {
    const token = await host.inject({ method: 'POST', url: '/sandbox/oauth2/token', headers: { authorization: basic(), 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=client_credentials' });
    assert.equal(token.statusCode, 200, token.body);
    const bad = await host.inject({ method: 'POST', url: `/sandbox/v1/projects/${PROJECT}/messages:send`, headers: { authorization: basic(), 'content-type': 'application/json' }, payload: '{"app_id":' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.status, 'INVALID_ARGUMENT');
    const missing = await host.inject({ method: 'GET', url: '/sandbox/v1/nothing-here' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 404);
  } finally {
    await emulator.close();
    await host.close();
  }
});
