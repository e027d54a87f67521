/**
 * Several instances on one PostgreSQL database (README "Running several instances"): an API-only instance that
 * also receives Sinch's callbacks, and two worker-only instances sharing the jobs. Every message reaches Sinch
 * exactly once, every report is applied once, and the API instance's live stream shows events the workers wrote.
 * PostgreSQL only (SQLite is one process by design).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { openDatabase, type Db } from '../../src/db/database.ts';
import { createSecretToken } from '../../src/lib/ids.ts';
import { createSecretBox, generateKeyText, hashToken } from '../../src/lib/secret-box.ts';
import { call } from '../helpers/app.ts';
import { testPostgresUrl } from '../helpers/database.ts';
import { APP, FAST, PROJECT, startEmulator, type Running } from '../emulator/helpers.ts';
import { freePort } from '../../bench/lib/proc.ts';

const skip = testPostgresUrl === undefined ? 'PostgreSQL only (npm run test:pg)' : false;
const total = 300;

let emu: Running;
const schema = `t_multi_${Date.now().toString(36)}`;
const dbs: Db[] = [];
const apps: FastifyInstance[] = [];
let api: FastifyInstance;
let apiBase: string;
const adminToken = createSecretToken('mma');


before(async () => {
  if (skip !== false) return;
  emu = await startEmulator({ ...FAST, knobs: { enforce_whatsapp_window: false, outbound_rate: null, project_request_limit: null } });
  const admin = new pg.Client({ connectionString: testPostgresUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const port = await freePort();
  const key = generateKeyText();
  const common = {
    LOG_LEVEL: 'silent', PUBLIC_URL: `http://127.0.0.1:${port}`, SINCH_AUTH_URL: emu.base, SINCH_CONVERSATION_URL_EU: emu.base,
    SANDBOX_ENABLED: 'false', WORKER_POLL_MS: '20', SINCH_PROJECT_REQUESTS_PER_SECOND: '100000', WORKER_CONCURRENCY: '16',
  };
  for (const role of ['api', 'worker', 'worker'] as const) {
    const loaded = loadConfig({ ...common, ROLE: role });
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    const db = openDatabase({ kind: 'postgres', url: testPostgresUrl!, schema });
    await db.migrate();
    dbs.push(db);
    const app = await buildApp({ config: loaded.config, db, box: createSecretBox([key]), adminTokenHash: hashToken(adminToken) });
    apps.push(app);
    if (role === 'api') {
      await app.listen({ port, host: '127.0.0.1' });
      api = app;
      apiBase = `http://127.0.0.1:${port}`;
    } else {
      await app.ready();
    }
  }
});

after(async () => {
  if (skip !== false) return;
  for (const app of apps) await app.close();
  for (const db of dbs) await db.close();
  await emu.close();
  const admin = new pg.Client({ connectionString: testPostgresUrl });
  await admin.connect();
  await admin.query(`drop schema ${schema} cascade`);
  await admin.end();
});

/** Event ids seen on an SSE stream until `stop()`. */
function watch(url: string, token: string) {
  const controller = new AbortController();
  const ids = new Set<string>();
  const done = (async () => {
    try {
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body!) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        for (const m of buffer.matchAll(/^id: (\S+)$/gm)) ids.add(m[1]!);
        buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
      }
    } catch {
      // stopped
    }
  })();
  return { ids, stop: async () => { controller.abort(); await done; } };
}

test(`an API instance and two workers on one PostgreSQL: ${total} messages sent once each, read, and streamed live`, { skip, timeout: 90_000 }, async () => {
  const project = await call(api, 'POST', '/api/v1/projects', adminToken, { name: 'Scale-out' });
  const p = project.body.id as string;
  const member = (await call(api, 'POST', `/api/v1/projects/${p}/tokens`, adminToken, { name: 'app', role: 'member' })).body.token as string;
  const integration = await call(api, 'POST', `/api/v1/projects/${p}/integrations`, adminToken, {
    provider: 'sinch_mobile_messaging', name: 'Sinch EU', sinch_project_id: PROJECT, app_id: APP,
    access_key: 'sandbox-key', access_secret: 'sandbox-secret', region: 'EU', senders: { rcs: 'agent' }, send_rate_per_second: 10_000,
  });
  assert.equal(integration.status, 201, JSON.stringify(integration.body));
  assert.equal((await call(api, 'POST', `/api/v1/projects/${p}/integrations/${integration.body.id as string}/register-webhook`, adminToken)).body.ok, true);
  await call(api, 'PUT', `/api/v1/projects/${p}/settings/channels`, adminToken, { whatsapp_integration_id: null, rcs_integration_id: integration.body.id });

  const stream = watch(`${apiBase}/api/v1/projects/${p}/events/stream?status=read`, member);
  const ids: string[] = [];
  for (let i = 0; i < total; i += 25) {
    const batch = await Promise.all(Array.from({ length: Math.min(25, total - i) }, (_, k) => call(api, 'POST', `/api/v1/projects/${p}/messages`, member, {
      channel: 'rcs', to: `+4673200${String(3000 + i + k).padStart(4, '0')}`, message: { text_message: { text: `Hello ${i + k}` } },
    })));
    for (const r of batch) {
      assert.equal(r.status, 202, JSON.stringify(r.body));
      ids.push(r.body.id as string);
    }
  }

  const kysely = dbs[0]!.kysely;
  const deadline = Date.now() + 60_000;
  let read = 0;
  while (Date.now() < deadline) {
    read = Number((await kysely.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', p).where('status', '=', 'read').executeTakeFirstOrThrow()).n);
    if (read === total) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(read, total, 'every message reached read');

  const atSinch = ((await (await fetch(`${emu.base}/_emulator/messages?app_id=${APP}&limit=100000`)).json()) as { messages: Array<{ request: { message_metadata: string } }> }).messages;
  const perMessage = new Map<string, number>();
  for (const m of atSinch) perMessage.set(m.request.message_metadata, (perMessage.get(m.request.message_metadata) ?? 0) + 1);
  assert.equal(perMessage.size, total);
  assert.deepEqual([...perMessage.values()].filter((n) => n !== 1), [], 'each message reached Sinch exactly once');
  assert.deepEqual(ids.filter((id) => perMessage.get(id) !== 1), []);

  const events = await kysely.selectFrom('events').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).where('project_id', '=', p).groupBy('status').execute();
  assert.deepEqual(Object.fromEntries(events.map((e) => [e.status, Number(e.n)])), { enqueued: total, sent: total, delivered: total, read: total }, 'each status tracked once per message');

  // The workers wrote the read events; the API instance's stream finds them by polling the database.
  const streamDeadline = Date.now() + 10_000;
  while (stream.ids.size < total && Date.now() < streamDeadline) await new Promise((r) => setTimeout(r, 100));
  await stream.stop();
  assert.equal(stream.ids.size, total, 'the API instance streamed every read event written by the workers');
});

test('two worker instances share one integration\'s send rate: 20/s together, not 20/s each', { skip, timeout: 60_000 }, async () => {
  const project = await call(api, 'POST', '/api/v1/projects', adminToken, { name: 'Shared rate' });
  const p = project.body.id as string;
  const member = (await call(api, 'POST', `/api/v1/projects/${p}/tokens`, adminToken, { name: 'app', role: 'member' })).body.token as string;
  const integration = await call(api, 'POST', `/api/v1/projects/${p}/integrations`, adminToken, {
    provider: 'sinch_mobile_messaging', name: 'Sinch EU at 20/s', sinch_project_id: PROJECT, app_id: APP,
    access_key: 'sandbox-key', access_secret: 'sandbox-secret', region: 'EU', senders: { rcs: 'agent' }, send_rate_per_second: 20,
  });
  assert.equal(integration.status, 201, JSON.stringify(integration.body));
  const count = 90;
  const ids = new Set<string>();
  for (let i = 0; i < count; i += 1) {
    const r = await call(api, 'POST', `/api/v1/projects/${p}/messages`, member, {
      channel: 'rcs', integration_id: integration.body.id, to: `+4673201${String(4000 + i)}`, message: { text_message: { text: `Rate ${i}` } },
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    ids.add(r.body.id as string);
  }
  const kysely = dbs[0]!.kysely;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const left = await kysely.selectFrom('messages').select('id').where('project_id', '=', p).where('status', '=', 'queued').limit(1).execute();
    if (left.length === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const atSinch = ((await (await fetch(`${emu.base}/_emulator/messages?app_id=${APP}&limit=100000`)).json()) as { messages: Array<{ accepted_time: string; request: { message_metadata: string } }> }).messages
    .filter((m) => ids.has(m.request.message_metadata)).map((m) => Date.parse(m.accepted_time)).sort((a, b) => a - b);
  assert.equal(atSinch.length, count, 'every message reached Sinch once');
  // A bucket of 20/s holds one second of permits: 20 may go at once, the other 70 at 20/s, i.e. over 3.5 s or more.
  const seconds = (atSinch.at(-1)! - atSinch[0]!) / 1000;
  const rate = (count - 20) / seconds;
  const attempts = await kysely.selectFrom('message_attempts').innerJoin('messages', 'messages.id', 'message_attempts.message_id')
    .select('messages.id').where('messages.project_id', '=', p).execute();
  assert.equal(attempts.length, count, 'one attempt each: no 429 from Sinch, no retries');
  assert.ok(rate <= 21, `sent at ${rate.toFixed(1)}/s after the first second's burst (${count} in ${seconds.toFixed(2)} s)`);
  assert.ok(rate >= 15, `and not much slower: ${rate.toFixed(1)}/s`);
});
