/**
 * Lanes and isolation (ADR 0005): one integration's backlog, or a Sinch that hangs for it, holds up nobody else;
 * reports and STOPs are applied when they arrive; a project's backlog is bounded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '../../src/db/database.ts';
import { createId } from '../../src/lib/ids.ts';
import { call, createProjectWithTokens } from '../helpers/app.ts';
import { sandboxIntegration, startSandboxApp, whatsappTemplate, type SandboxApp } from '../helpers/sandbox.ts';
import { waitFor } from '../helpers/wait.ts';

/** Queues `n` WhatsApp template messages for an integration as the send API writes them (faster than n requests). */
async function queueDirectly(db: Db, projectId: string, integrationId: string, n: number, to: (i: number) => string): Promise<void> {
  const now = Date.now();
  for (let from = 0; from < n; from += 500) {
    const rows = Array.from({ length: Math.min(500, n - from) }, (_, k) => ({
      id: createId('msg'), project_id: projectId, integration_id: integrationId, channel: 'whatsapp' as const, recipient: to(from + k),
      sender: '+46732000000', campaign_id: null, content_kind: 'template', content_json: JSON.stringify(whatsappTemplate),
      options_json: '{"sms_fallback_sender":null}', status: 'queued' as const, provider_message_id: null, error: null, error_description: null,
      possible_duplicate: 0, attempt_count: 0, current_channel: 'whatsapp', created_at: new Date(now).toISOString(), updated_at: new Date(now).toISOString(),
      sent_ts: null, consent_exempt: 0, reply_to_inbound_id: null, priority: 1, next_attempt_at: now, locked_by: null, attempt_started_at: null, interrupted_at: null,
    }));
    await db.kysely.insertInto('messages').values(rows).execute();
  }
}

async function addProject(s: SandboxApp, name: string, appId: string) {
  const p = await createProjectWithTokens(s, name);
  const integration = await call(s.app, 'POST', `/api/v1/projects/${p.id}/integrations`, p.adminToken, { ...sandboxIntegration, app_id: appId });
  assert.equal(integration.status, 201, JSON.stringify(integration.body));
  await call(s.app, 'PUT', `/api/v1/projects/${p.id}/settings/channels`, p.adminToken, { whatsapp_integration_id: integration.body.id, rcs_integration_id: integration.body.id });
  return { ...p, integrationId: integration.body.id as string };
}

describe('lanes: a backlog or a hung Sinch holds up nobody else', () => {
  let s: SandboxApp;
  before(async () => { s = await startSandboxApp({ whatsappWindowCheck: false }); });
  after(() => s.close());

  test('20,000 sends queued in project A do not delay project B\'s send or an inbound message to A by more than a second', { timeout: 60_000 }, async () => {
    // Project A: the sandbox project, its integration at the default 20 messages/s.
    await queueDirectly(s.database.db, s.project.id, s.integrationId, 20_000, (i) => `+4673300${String(i).padStart(4, '0')}`);
    const b = await addProject(s, 'B', 'sandbox-app-b');
    // A is sending (at its 20/s) when B's message arrives.
    await waitFor(async () => ((await s.database.db.kysely.selectFrom('messages').select('id').where('project_id', '=', s.project.id).where('status', '!=', 'queued').limit(1).execute()).length > 0 ? true : undefined), 'A sending');

    const t0 = Date.now();
    const sent = await call(s.app, 'POST', `/api/v1/projects/${b.id}/messages`, b.memberToken, { channel: 'whatsapp', to: '+46732009001', message: whatsappTemplate });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    await waitFor(async () => {
      const m = await call(s.app, 'GET', `/api/v1/projects/${b.id}/messages/${sent.body.id as string}`, b.memberToken);
      return m.body.status !== 'queued' ? m.body : undefined;
    }, 'B\'s message handed to Sinch');
    const bMs = Date.now() - t0;

    const t1 = Date.now();
    await s.control('POST', '/apps/sandbox-app/inbound', { identity: '46732009002', channel: 'WHATSAPP', text: 'Hello there' });
    await waitFor(async () => (await s.database.db.kysely.selectFrom('inbound_messages').select('id').where('project_id', '=', s.project.id).executeTakeFirst()), 'the inbound message stored');
    const inboundMs = Date.now() - t1;

    const waiting = Number((await s.database.db.kysely.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('project_id', '=', s.project.id).where('status', '=', 'queued').executeTakeFirstOrThrow()).n);
    assert.ok(waiting > 19_000, `A still has its backlog (${waiting} queued)`);
    assert.ok(bMs < 1000, `B's message waited ${bMs} ms`);
    assert.ok(inboundMs < 1000, `the inbound message waited ${inboundMs} ms`);
  });

  test('a Sinch that hangs for one app holds up only that app\'s sends', { timeout: 60_000 }, async () => {
    const hung = await addProject(s, 'Hung', 'sandbox-app-hung');
    const fine = await addProject(s, 'Fine', 'sandbox-app-fine');
    // Each request to the hung app takes 4 s (Sinch's own time-outs are longer; 4 s keeps the test short).
    await s.control('PATCH', '/apps/sandbox-app-hung/knobs', { response_delay_ms: 4_000 });
    for (let i = 0; i < 40; i += 1) {
      const r = await call(s.app, 'POST', `/api/v1/projects/${hung.id}/messages`, hung.memberToken, { channel: 'whatsapp', to: `+467320091${String(i).padStart(2, '0')}`, message: whatsappTemplate });
      assert.equal(r.status, 202);
    }
    await waitFor(async () => ((await s.database.db.kysely.selectFrom('messages').select('id').where('project_id', '=', hung.id).where('locked_by', 'is not', null).limit(1).execute()).length > 0 ? true : undefined), 'the hung app\'s sends in flight');
    const t0 = Date.now();
    const r = await call(s.app, 'POST', `/api/v1/projects/${fine.id}/messages`, fine.memberToken, { channel: 'whatsapp', to: '+46732009201', message: whatsappTemplate });
    await waitFor(async () => {
      const m = await call(s.app, 'GET', `/api/v1/projects/${fine.id}/messages/${r.body.id as string}`, fine.memberToken);
      return m.body.status !== 'queued' ? true : undefined;
    }, 'the other app\'s message handed to Sinch');
    const ms = Date.now() - t0;
    await s.control('PATCH', '/apps/sandbox-app-hung/knobs', { response_delay_ms: 0 });
    assert.ok(ms < 1000, `the other app's message waited ${ms} ms`);
  });
});

describe('a STOP during a long backlog', () => {
  let s: SandboxApp;
  before(async () => { s = await startSandboxApp({ whatsappWindowCheck: false }); });
  after(() => s.close());

  test('stops the sends to that number from the moment it is applied; the others go on', { timeout: 60_000 }, async () => {
    // 120 messages at the integration's 20/s: six seconds of backlog; every fifth to the customer who will write STOP.
    const stopper = '+46732008888';
    await queueDirectly(s.database.db, s.project.id, s.integrationId, 120, (i) => (i % 5 === 3 ? stopper : `+4673200${7000 + i}`));
    const kysely = s.database.db.kysely;
    const sentSoFar = async () => Number((await kysely.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', s.project.id).where('status', '!=', 'queued').executeTakeFirstOrThrow()).n);
    await waitFor(async () => ((await sentSoFar()) >= 25 ? true : undefined), 'the first sends');
    await s.control('POST', '/apps/sandbox-app/inbound', { identity: stopper.slice(1), channel: 'WHATSAPP', text: 'STOP' });
    await waitFor(async () => kysely.selectFrom('consent_ledger').select('at').where('action', '=', 'revoke').executeTakeFirst(), 'the opt-out');
    // Committed by now (seen from here): whatever starts after this moment must see it. (A send whose claim began
    // before the STOP committed is the last one before it, even if its request reaches Sinch a moment later.)
    const appliedBy = new Date().toISOString();
    await waitFor(async () => ((await kysely.selectFrom('messages').select('id').where('project_id', '=', s.project.id).where('status', '=', 'queued').limit(1).execute()).length === 0 ? true : undefined), 'the backlog drained');

    const toStopper = await kysely.selectFrom('messages').selectAll().where('recipient', '=', stopper).where('consent_exempt', '=', 0).execute();
    const sentAfter = toStopper.filter((m) => m.attempt_started_at !== null && m.attempt_started_at > appliedBy && m.status !== 'enqueued_failed');
    assert.deepEqual(sentAfter.map((m) => m.id), [], 'nothing handed to Sinch for that number after the STOP was applied');
    const refused = toStopper.filter((m) => m.status === 'enqueued_failed');
    assert.ok(refused.length > 0 && refused.every((m) => m.error === 'CONSENT_REVOKED'), JSON.stringify(toStopper.map((m) => [m.status, m.error])));
    const others = await kysely.selectFrom('messages').select(['status']).where('project_id', '=', s.project.id).where('recipient', '!=', stopper).execute();
    assert.ok(others.every((m) => m.status !== 'queued' && m.status !== 'enqueued_failed'), 'everyone else got theirs');
    const confirmation = await kysely.selectFrom('messages').selectAll().where('recipient', '=', stopper).where('consent_exempt', '=', 1).executeTakeFirstOrThrow();
    assert.equal(confirmation.priority, 0, 'the confirmation goes first, ahead of the backlog');
    assert.notEqual(confirmation.status, 'enqueued_failed');
  });
});

describe('a project\'s backlog is bounded', () => {
  let s: SandboxApp;
  before(async () => { s = await startSandboxApp({ env: { SEND_BACKLOG_LIMIT: '30', ROLE: 'api' } }); });
  after(() => s.close());

  test('past SEND_BACKLOG_LIMIT waiting sends the API answers 429 with Retry-After; a reply in a conversation still goes', async () => {
    for (let i = 0; i < 30; i += 1) {
      const r = await s.send({ channel: 'whatsapp', to: `+467320060${String(i).padStart(2, '0')}`, message: whatsappTemplate });
      assert.equal(r.status, 202, `send ${i}: ${JSON.stringify(r.body)}`);
    }
    const res = await s.app.inject({
      method: 'POST', url: `/api/v1/projects/${s.project.id}/messages`, headers: { authorization: `Bearer ${s.project.memberToken}` },
      payload: { channel: 'whatsapp', to: '+46732006099', message: whatsappTemplate },
    });
    assert.equal(res.statusCode, 429);
    assert.equal(res.json().error.code, 'backlog_full');
    assert.match(res.json().error.message, /30/);
    assert.ok(Number(res.headers['retry-after']) >= 1, `Retry-After: ${String(res.headers['retry-after'])}`);
    const count = Number((await s.database.db.kysely.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', s.project.id).executeTakeFirstOrThrow()).n);
    assert.equal(count, 30, 'the refused send left nothing behind');

    // An agent's reply in a thread is not held back by the project's bulk of API sends.
    await s.control('POST', '/apps/sandbox-app/inbound', { identity: '46732006100', channel: 'WHATSAPP', text: 'Hi' });
    const thread = await waitFor(async () => (await call(s.app, 'GET', `/api/v1/projects/${s.project.id}/conversations`, s.project.memberToken)).body.data[0], 'the thread');
    const reply = await call(s.app, 'POST', `/api/v1/projects/${s.project.id}/conversations/${thread.id as string}/messages`, s.project.memberToken, { message: { text_message: { text: 'Hello!' } } });
    assert.equal(reply.status, 202, JSON.stringify(reply.body));
  });
});
