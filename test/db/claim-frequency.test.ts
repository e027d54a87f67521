/**
 * The claim tells each campaign message how many campaign messages its customer got lately (the frequency cap is
 * checked on that when it goes). Messages to one customer claimed together, or one claimed while another is still on
 * its way to Sinch, must count each other: else both pass a cap of one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createIntegrationsRepo } from '../../src/db/repos/integrations-repo.ts';
import { createMessagesRepo, type MessagesRepo } from '../../src/db/repos/messages-repo.ts';
import { createProjectsRepo } from '../../src/db/repos/projects-repo.ts';
import type { MessageRow } from '../../src/db/repos/messages-repo.ts';
import { absorbingStatuses, statusRanks } from '../../src/domain/statuses.ts';
import { openTestDatabase, testPostgresUrl, type TestDatabase } from '../helpers/database.ts';
import { integrationRow } from '../helpers/rows.ts';

const created = '2026-11-24T10:00:00.000Z';
const now = Date.parse('2026-11-24T12:00:00.000Z');

describe(`claiming campaign messages for the frequency cap on ${testPostgresUrl !== undefined ? 'PostgreSQL' : 'SQLite'}`, () => {
  let t: TestDatabase;
  let messages: MessagesRepo;
  before(async () => {
    t = await openTestDatabase();
    await createProjectsRepo(t.db.kysely).insert({ id: 'prj_1', name: 'p', created_at: created });
    await createIntegrationsRepo(t.db.kysely).insert(integrationRow('int_1', 'prj_1', created));
    messages = createMessagesRepo(t.db.kysely, t.db, statusRanks, absorbingStatuses);
  });
  after(() => t.dropAll());

  const message = (id: string, recipient: string, campaign: string | null): MessageRow => ({
    id, project_id: 'prj_1', integration_id: 'int_1', channel: 'whatsapp', recipient, sender: null, campaign_id: campaign, content_kind: 'text',
    content_json: '{}', options_json: '{}', status: 'queued', provider_message_id: null, error: null, error_description: null, possible_duplicate: 0,
    attempt_count: 0, current_channel: null, created_at: created, updated_at: created, sent_ts: null, consent_exempt: 0, reply_to_inbound_id: null,
    priority: campaign === null ? 1 : 2, next_attempt_at: now - 1000, locked_by: null, attempt_started_at: null, interrupted_at: null,
    campaign_ref: campaign, send_at: null,
  });
  const recent = (claimed: Awaited<ReturnType<MessagesRepo['claimDue']>>) =>
    Object.fromEntries(claimed.map((m) => [m.id, m.recent_sends ?? '0,0']));

  test('claimed together: each counts the ones before it; other customers and API sends do not count', async () => {
    for (const row of [
      message('msg_a1', '+46732000001', 'cmp_a'), message('msg_a2', '+46732000001', 'cmp_b'), message('msg_a3', '+46732000001', 'cmp_c'),
      message('msg_b1', '+46732000002', 'cmp_a'), message('msg_x1', '+46732000001', null),
    ]) await messages.insert(t.db.kysely, row);
    const claimed = await t.db.transact((trx) => messages.claimDue(trx, 'int_1', 10, 'w1', now + 30_000, now));
    assert.equal(claimed.length, 5);
    assert.deepEqual(recent(claimed), { msg_a1: '0,0', msg_a2: '1,1', msg_a3: '2,2', msg_b1: '0,0', msg_x1: '0,0' });
    await t.db.kysely.updateTable('messages').set({ status: 'failed', locked_by: null, next_attempt_at: null }).execute();
  });

  test('one still on its way to Sinch (held by another worker) counts for the next claim, as does one Sinch accepted', async () => {
    for (const row of [message('msg_c1', '+46732000003', 'cmp_a'), message('msg_c2', '+46732000003', 'cmp_b')]) await messages.insert(t.db.kysely, row);
    const first = await t.db.transact((trx) => messages.claimDue(trx, 'int_1', 1, 'w1', now + 30_000, now));
    assert.deepEqual(recent(first), { msg_c1: '0,0' });
    const second = await t.db.transact((trx) => messages.claimDue(trx, 'int_1', 10, 'w2', now + 30_000, now));
    assert.deepEqual(recent(second), { msg_c2: '1,1' }, 'msg_c1 is in flight');

    // Sinch accepted the first; the second comes back (its attempt failed and is retried) and still counts it.
    assert.equal(await messages.recordAccepted(t.db.kysely, 'msg_c1', 'w1', 'sinch-1', now / 1000, new Date(now).toISOString()), true);
    assert.equal(await messages.recordRetry(t.db.kysely, 'msg_c2', 'w2', now, new Date(now).toISOString()), true);
    const again = await t.db.transact((trx) => messages.claimDue(trx, 'int_1', 10, 'w3', now + 30_000, now + 1));
    assert.deepEqual(recent(again), { msg_c2: '1,1' });
  });
});
