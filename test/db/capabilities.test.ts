/**
 * The RCS capability cache on the real database: CAPABILITY callbacks applied idempotently (a repeated or older
 * answer changes nothing, a newer one wins), pending queries replaced by their answer, other channels ignored.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCapabilitiesRepo } from '../../src/db/repos/capabilities-repo.ts';
import { createIntegrationsRepo } from '../../src/db/repos/integrations-repo.ts';
import { createProjectsRepo } from '../../src/db/repos/projects-repo.ts';
import { createRateLimitsRepo } from '../../src/db/repos/rate-limits-repo.ts';
import type { IntegrationSecrets } from '../../src/services/integrations.ts';
import { createCapabilities } from '../../src/services/capabilities.ts';
import { openTestDatabase, testPostgresUrl, type TestDatabase } from '../helpers/database.ts';
import { integrationRow } from '../helpers/rows.ts';

const now = '2026-11-24T10:00:00.000Z';
const notification = (status: string, eventTime: string, channel = 'RCS') => ({
  app_id: 'app', project_id: 'sp', accepted_time: eventTime, event_time: eventTime, message_metadata: '', correlation_id: '',
  capability_notification: {
    request_id: 'req-1', contact_id: '', channel, identity: '46732090003', capability_status: status, channel_capabilities: [],
    ...(status === 'NO_CAPABILITY' ? { reason: { code: 'RECIPIENT_NOT_REACHABLE', description: 'no RCS', sub_code: 'UNSPECIFIED_SUB_CODE' } } : {}),
  },
});

describe(`the RCS capability cache on ${testPostgresUrl !== undefined ? 'PostgreSQL' : 'SQLite'}`, () => {
  let t: TestDatabase;
  let capabilities: ReturnType<typeof createCapabilities>;
  let repo: ReturnType<typeof createCapabilitiesRepo>;
  before(async () => {
    t = await openTestDatabase();
    await createProjectsRepo(t.db.kysely).insert({ id: 'prj_1', name: 'p', created_at: now });
    await createIntegrationsRepo(t.db.kysely).insert(integrationRow('int_1', 'prj_1', now));
    repo = createCapabilitiesRepo(t.db.kysely);
    capabilities = createCapabilities({
      transact: t.db.transact, repo, client: { post: () => Promise.reject(new Error('no queries here')) }, clock: { now: () => new Date(now) },
      ttl: { knownMs: 7 * 86400_000, unknownMs: 3600_000 }, waitMs: 30_000, queriesPerSecond: 20, rateLimits: createRateLimitsRepo(t.db), log: { warn() {} },
    });
  });
  after(() => t.dropAll());
  const apply = (body: Record<string, unknown>) => t.db.transact((trx) => capabilities.apply(trx, 'int_1', body));
  const entry = async () => (await capabilities.forCustomer('prj_1', '+46732090003'))[0];

  test('a pending query is replaced by its answer; the same answer again, or an older one, changes nothing', async () => {
    await t.db.transact((trx) => repo.markPending(trx, [{ integration_id: 'int_1', phone: '+46732090003', channel: 'rcs', request_id: 'req-1', queried_at: now, expires_at: '2026-11-24T11:00:00.000Z' }]));
    assert.equal((await entry())?.status, 'pending');
    assert.equal(await apply(notification('NO_CAPABILITY', '2026-11-24T10:00:01.123456789Z')), 'applied');
    assert.deepEqual(await entry(), {
      integration_id: 'int_1', channel: 'rcs', status: 'not_capable', reason: 'RECIPIENT_NOT_REACHABLE',
      checked_at: '2026-11-24T10:00:01.123Z', queried_at: now, expires_at: '2026-12-01T10:00:01.123Z',
    });
    assert.equal(await apply(notification('NO_CAPABILITY', '2026-11-24T10:00:01.123456789Z')), 'repeated');
    assert.equal(await apply(notification('CAPABILITY_FULL', '2026-11-24T09:59:00Z')), 'repeated');
    assert.equal((await entry())?.status, 'not_capable');
  });

  test('a newer answer wins; an unknown one is kept for less long; other channels are not cached', async () => {
    assert.equal(await apply(notification('CAPABILITY_UNKNOWN', '2026-11-24T10:05:00Z')), 'applied');
    assert.deepEqual({ status: (await entry())?.status, expires: (await entry())?.expires_at }, { status: 'unknown', expires: '2026-11-24T11:05:00.000Z' });
    assert.equal(await apply(notification('CAPABILITY_FULL', '2026-11-24T10:06:00Z', 'WHATSAPP')), 'ignored_channel');
    assert.equal(await apply({ capability_notification: {} }), 'malformed');
    assert.equal((await entry())?.status, 'unknown');
  });

  test('two instances on one database share the query rate: together at most one second of queries at once, then the rate', async () => {
    let clock = Date.parse('2026-11-24T12:00:00.000Z');
    const asked: string[] = [];
    const instance = () => createCapabilities({
      transact: t.db.transact, repo, clock: { now: () => new Date(clock) },
      client: { post: (_integration, _api, _path, body) => { asked.push(JSON.stringify(body)); return Promise.resolve({ ok: true, status: 200, json: {} }); } },
      ttl: { knownMs: 7 * 86400_000, unknownMs: 3600_000 }, waitMs: 30_000, queriesPerSecond: 20, rateLimits: createRateLimitsRepo(t.db), log: { warn() {} },
    });
    const [a, b] = [instance(), instance()];
    const integration = { id: 'int_1', sinchProjectId: 'sp', appId: 'app' } as IntegrationSecrets;
    const phones = (from: number) => Array.from({ length: 30 }, (_, i) => `+4673209${String(from + i).padStart(4, '0')}`);
    const first = await a.check(integration, phones(100));
    const second = await b.check(integration, phones(200));
    assert.equal(asked.length, 20, 'the first instance took the whole second of queries; the other waits');
    assert.equal(first.undecided, 30);
    assert.equal(second.undecided, 30);
    assert.ok(second.retryInMs >= 50, `the other is told to look again when a permit frees: ${second.retryInMs} ms`);
    clock += 500;
    await b.check(integration, phones(200));
    assert.equal(asked.length, 30, 'half a second later: ten more, whichever instance asks');
  });
});
