/**
 * The consent import from Sinch's opt-out lists (Consents API) into our ledger, against the emulator over HTTP:
 * identities already on the lists whose OPT_OUT callback never came (put there with the control API's
 * `notify: false`) are revoked on the integration's channels; the import acts on the lists' changes only.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'undici';
import { readConsentList } from '../../src/providers/sinch/consents.ts';
import { basicAuth } from '../../src/providers/sinch/http.ts';
import { call } from '../helpers/app.ts';
import { sandboxIntegration, startSandboxApp, whatsappTemplate, type SandboxApp } from '../helpers/sandbox.ts';
import { waitFor } from '../helpers/wait.ts';

type List = 'OPT_OUT_ALL' | 'OPT_OUT_MARKETING' | 'OPT_OUT_NOTIFICATION';

function helpers(s: () => SandboxApp) {
  const api = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) => call(s().app, method, `/api/v1/projects/${s().project.id}${path}`, s().project.adminToken, body);
  return {
    api,
    /** On Sinch's list without the OPT_OUT callback (as if before the webhook existed). */
    optOut: async (phone: string, list: List = 'OPT_OUT_ALL', app = 'sandbox-app') => {
      const r = await s().control('POST', `/apps/${app}/consents`, { identity: phone, action: 'opt_out', list, notify: false });
      assert.deepEqual(r.callbacks, [], JSON.stringify(r));
    },
    optIn: async (phone: string, list: List = 'OPT_OUT_ALL') => {
      await s().control('POST', '/apps/sandbox-app/consents', { identity: phone, action: 'opt_in', list, notify: false });
    },
    sync: async (integrationId = s().integrationId) => {
      const r = await api('POST', `/integrations/${integrationId}/consents/sync`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body;
    },
    customer: async (phone: string) => api('GET', `/customers/${encodeURIComponent(phone)}`),
    ledger: async (phone: string) => ((await api('GET', `/customers/${encodeURIComponent(phone)}/consent`)).body.data ?? []) as any[],
    ledgerRows: async () => Number((await s().database.db.kysely.selectFrom('consent_ledger').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
  };
}

const phone = (n: number) => `+467321${String(n).padStart(5, '0')}`;
const counts = (r: any) => ({ ok: r.ok, lists: r.lists, added: r.added, removed: r.removed, imported: r.imported, revocations: r.revocations });

describe('consent import from Sinch\'s opt-out lists', () => {
  let s: SandboxApp;
  // The periodic import is off here: every import in this suite is the admin route's.
  before(async () => { s = await startSandboxApp({ env: { SINCH_CONSENT_SYNC_SECONDS: '0' } }); });
  after(() => s.close());
  const h = helpers(() => s);

  test('identities already on OPT_OUT_ALL (three pages) and OPT_OUT_MARKETING are revoked on the integration\'s channels, ledger source sinch', async () => {
    // An existing customer who had granted WhatsApp and already revoked SMS (through our API).
    const known = await h.api('POST', '/customers', { phone: phone(7), consent: { whatsapp: 'granted', sms: 'revoked' } });
    assert.equal(known.status, 201, JSON.stringify(known.body));
    for (let i = 0; i < 120; i++) await h.optOut(phone(i));
    for (let i = 200; i < 205; i++) await h.optOut(phone(i), 'OPT_OUT_MARKETING');
    await h.optOut(phone(0), 'OPT_OUT_MARKETING'); // on both lists
    assert.equal((await h.customer(phone(3))).status, 404, 'no callback came, so no customer yet');

    const result = await h.sync();
    // 120 + 5 customers, three channels each (sandbox senders: whatsapp, rcs, sms), less the SMS already revoked.
    assert.deepEqual(counts(result), {
      ok: true, lists: { OPT_OUT_ALL: 120, OPT_OUT_MARKETING: 6, OPT_OUT_NOTIFICATION: 0 }, added: 126, removed: 0, imported: 125, revocations: 374,
    });
    assert.equal(result.error, null);
    for (const p of [phone(3), phone(119), phone(202)]) {
      const c = await h.customer(p);
      assert.deepEqual(c.body.consent, { whatsapp: 'revoked', rcs: 'revoked', sms: 'revoked' }, p);
      assert.deepEqual((await h.ledger(p)).map((e) => [e.channel, e.action, e.source]).sort(), [['rcs', 'revoke', 'sinch'], ['sms', 'revoke', 'sinch'], ['whatsapp', 'revoke', 'sinch']]);
    }
    assert.deepEqual((await h.customer(phone(7))).body.consent, { whatsapp: 'revoked', rcs: 'revoked', sms: 'revoked' });
    assert.deepEqual((await h.ledger(phone(7))).filter((e) => e.source === 'sinch').map((e) => e.channel).sort(), ['rcs', 'whatsapp'], 'only where not revoked already');
    assert.equal((await h.ledger(phone(0))).length, 3, 'on two lists, revoked once');

    // The last import is kept: its own route and verify show it.
    assert.deepEqual((await h.api('GET', `/integrations/${s.integrationId}/consents/sync`)).body.last, result);
    const verify = await h.api('POST', `/integrations/${s.integrationId}/verify`);
    assert.deepEqual(verify.body.consents.sync, result);
    assert.equal(verify.body.consents.lists.OPT_OUT_ALL.more, true);
  });

  test('a whole list is read page by page; past the cap it is an error, never a part', async () => {
    const dispatcher = new Agent();
    try {
      const target = { baseUrl: `${s.baseUrl!}/sandbox`, authorization: basicAuth(sandboxIntegration.access_key, sandboxIntegration.access_secret), sinchProjectId: sandboxIntegration.sinch_project_id, appId: 'sandbox-app' };
      const whole = await readConsentList(dispatcher, target, 'OPT_OUT_ALL', { cap: 120 });
      assert.ok(whole.ok);
      assert.equal(new Set(whole.identities).size, 120);
      const capped = await readConsentList(dispatcher, target, 'OPT_OUT_ALL', { cap: 100 });
      assert.equal(capped.ok, false);
      assert.equal(!capped.ok && capped.tooLong, true);
    } finally {
      await dispatcher.close();
    }
  });

  test('a second import of unchanged lists writes nothing', async () => {
    const before = await h.ledgerRows();
    const result = await h.sync();
    assert.deepEqual(counts(result), {
      ok: true, lists: { OPT_OUT_ALL: 120, OPT_OUT_MARKETING: 6, OPT_OUT_NOTIFICATION: 0 }, added: 0, removed: 0, imported: 0, revocations: 0,
    });
    assert.equal(await h.ledgerRows(), before);
  });

  test('a consent granted again through our API stays granted while the identity stays listed; leaving the list grants nothing; coming back revokes again', async () => {
    const id = (await h.customer(phone(5))).body.id as string;
    const granted = await h.api('PATCH', `/customers/${id}`, { consent: { whatsapp: 'granted', rcs: 'granted', sms: 'granted' } });
    assert.equal(granted.status, 200, JSON.stringify(granted.body));
    assert.equal((await h.sync()).revocations, 0);
    assert.deepEqual((await h.customer(phone(5))).body.consent, { whatsapp: 'granted', rcs: 'granted', sms: 'granted' });

    // Off the list: forgotten, and no consent changes either way (phone(6) stays revoked: absence is not an opt-in).
    await h.optIn(phone(5));
    await h.optIn(phone(6));
    const left = await h.sync();
    assert.deepEqual({ removed: left.removed, added: left.added, revocations: left.revocations }, { removed: 2, added: 0, revocations: 0 });
    assert.deepEqual((await h.customer(phone(5))).body.consent, { whatsapp: 'granted', rcs: 'granted', sms: 'granted' });
    assert.deepEqual((await h.customer(phone(6))).body.consent, { whatsapp: 'revoked', rcs: 'revoked', sms: 'revoked' });

    // Back on the list: a new entry, imported again.
    await h.optOut(phone(5));
    const back = await h.sync();
    assert.deepEqual({ added: back.added, imported: back.imported, revocations: back.revocations }, { added: 1, imported: 1, revocations: 3 });
    assert.deepEqual((await h.customer(phone(5))).body.consent, { whatsapp: 'revoked', rcs: 'revoked', sms: 'revoked' });
    assert.deepEqual((await h.ledger(phone(5))).map((e) => e.source), ['sinch', 'sinch', 'sinch', 'api', 'api', 'api', 'sinch', 'sinch', 'sinch']);
  });

  test('OPT_OUT_NOTIFICATION is recorded as seen and changes no consent', async () => {
    await h.api('POST', '/customers', { phone: phone(301), consent: { whatsapp: 'granted' } });
    await h.optOut(phone(300), 'OPT_OUT_NOTIFICATION');
    await h.optOut(phone(301), 'OPT_OUT_NOTIFICATION');
    const before = await h.ledgerRows();
    const result = await h.sync();
    assert.deepEqual({ notification: result.lists.OPT_OUT_NOTIFICATION, added: result.added, imported: result.imported }, { notification: 2, added: 2, imported: 0 });
    assert.equal(await h.ledgerRows(), before);
    assert.equal((await h.customer(phone(300))).status, 404);
    assert.equal((await h.customer(phone(301))).body.consent.whatsapp, 'granted');
  });

  test('a failed read changes nothing and the status carries Sinch\'s error; the next import takes it all', async () => {
    await h.optOut(phone(400));
    await s.control('PATCH', '/apps/sandbox-app/knobs', { faults: [{ kind: 'internal_error', count: 1 }] });
    const failed = await h.sync();
    assert.equal(failed.ok, false);
    assert.equal(failed.error.code, 'consents_unreadable');
    assert.match(failed.error.message, /HTTP 500.*Internal error \(injected fault\)/);
    assert.deepEqual({ lists: failed.lists, added: failed.added, imported: failed.imported }, { lists: null, added: 0, imported: 0 });
    assert.equal((await h.customer(phone(400))).status, 404);
    assert.deepEqual((await h.api('GET', `/integrations/${s.integrationId}/consents/sync`)).body.last, failed);

    const next = await h.sync();
    assert.deepEqual({ ok: next.ok, added: next.added, imported: next.imported }, { ok: true, added: 1, imported: 1 });
    assert.equal((await h.customer(phone(400))).body.consent.whatsapp, 'revoked');
  });

  test('a campaign skips an imported opt-out with consent_revoked', async () => {
    const batch = await h.api('POST', '/customers:batch', { customers: [{ phone: phone(500), tags: ['promo'] }, { phone: phone(501), tags: ['promo'] }] });
    assert.equal(batch.status, 200, JSON.stringify(batch.body));
    await h.optOut(phone(500), 'OPT_OUT_MARKETING');
    assert.equal((await h.sync()).imported, 1);
    const created = await h.api('POST', '/campaigns', { name: 'Promo', channel: 'whatsapp', content: whatsappTemplate, audience: { filter: { tag: 'promo' } } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const campaign = created.body.id as string;
    assert.equal((await h.api('POST', `/campaigns/${campaign}/launch`)).status, 200);
    await waitFor(async () => ((await h.api('GET', `/campaigns/${campaign}`)).body.status === 'completed' ? true : undefined), 'the campaign to complete');
    const skipped = (await h.api('GET', `/campaigns/${campaign}/skipped`)).body.data;
    assert.deepEqual(skipped.map((k: any) => [k.phone, k.reason]), [[phone(500), 'consent_revoked']]);
    const messages = (await h.api('GET', `/messages?campaign_id=${campaign}`)).body.data;
    assert.deepEqual(messages.map((m: any) => m.to), [phone(501)]);
  });

  test('project members may read the last import but not run one', async () => {
    const path = `/api/v1/projects/${s.project.id}/integrations/${s.integrationId}/consents/sync`;
    assert.equal((await call(s.app, 'POST', path, s.project.memberToken)).status, 403);
    assert.equal((await call(s.app, 'GET', path, s.project.memberToken)).status, 200);
  });
});

describe('the periodic consent import', () => {
  let s: SandboxApp;
  before(async () => { s = await startSandboxApp({ env: { SINCH_CONSENT_SYNC_SECONDS: '1' } }); });
  after(() => s.close());
  const h = helpers(() => s);

  test('imports every integration by itself; one failing does not stop the others; only the channels an integration serves', async () => {
    // A second integration with only a WhatsApp sender and defaults elsewhere; created after the first, so synced after it.
    const second = await h.api('POST', '/integrations', { ...sandboxIntegration, name: 'WhatsApp only', app_id: 'sandbox-app-2', senders: { whatsapp: '+46732000001' } });
    assert.equal(second.status, 201, JSON.stringify(second.body));
    // The first integration's Consents API fails on every read for a while.
    await s.control('PATCH', '/apps/sandbox-app/knobs', { faults: [{ kind: 'unavailable', count: 100_000 }] });
    await h.optOut(phone(600), 'OPT_OUT_ALL', 'sandbox-app-2');

    const customer = await waitFor(async () => {
      const c = await h.customer(phone(600));
      return c.status === 200 && c.body.consent.whatsapp === 'revoked' ? c.body : undefined;
    }, 'the periodic import of the second integration');
    assert.deepEqual(customer.consent, { whatsapp: 'revoked', rcs: 'unknown', sms: 'unknown' });
    // (A run that began before the fault was set may still have read the first integration fine: wait for one after.)
    const first = await waitFor(async () => {
      const last = (await h.api('GET', `/integrations/${s.integrationId}/consents/sync`)).body.last;
      return last?.ok === false ? last : undefined;
    }, 'the first integration\'s failed import');
    assert.match(first.error.message, /HTTP 503/);
    // From now on every run meets the failing integration first; the second is still imported.
    await h.optOut(phone(601), 'OPT_OUT_ALL', 'sandbox-app-2');
    await waitFor(async () => ((await h.customer(phone(601))).body?.consent?.whatsapp === 'revoked' ? true : undefined), 'the next import of the second integration');
    const last = await waitFor(async () => (await h.api('GET', `/integrations/${second.body.id as string}/consents/sync`)).body.last ?? undefined, 'the second status');
    assert.equal(last.ok, true);

    // What the import keeps of an integration goes with it.
    const rows = async (table: 'sinch_consent_entries' | 'sinch_consent_syncs') => Number((await s.database.db.kysely.selectFrom(table)
      .select((eb) => eb.fn.countAll().as('n')).where('integration_id', '=', second.body.id as string).executeTakeFirstOrThrow()).n);
    assert.deepEqual([await rows('sinch_consent_entries'), await rows('sinch_consent_syncs')], [2, 1]);
    assert.equal((await h.api('DELETE', `/integrations/${second.body.id as string}`)).status, 204);
    assert.deepEqual([await rows('sinch_consent_entries'), await rows('sinch_consent_syncs')], [0, 0]);
  });
});
