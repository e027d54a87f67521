/**
 * Sinch's consent management against the emulator: OPT_OUT / OPT_IN callbacks change the customer's consent on
 * the identity's channel and are recorded in the ledger (source `sinch`); verify shows Sinch's opt-out lists.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call } from '../helpers/app.ts';
import { startSandboxApp, type SandboxApp } from '../helpers/sandbox.ts';
import { waitFor } from '../helpers/wait.ts';

describe('Sinch consents (OPT_OUT / OPT_IN) and the consent lists', () => {
  let s: SandboxApp;
  before(async () => { s = await startSandboxApp(); });
  after(() => s.close());
  const api = (method: 'GET' | 'POST', path: string, body?: unknown) => call(s.app, method, `/api/v1/projects/${s.project.id}${path}`, s.project.memberToken, body);
  const consentOf = async (phone: string) => (await api('GET', `/customers/${encodeURIComponent(phone)}`)).body;
  const ledger = async (phone: string) => ((await api('GET', `/customers/${encodeURIComponent(phone)}/consent`)).body.data ?? []) as any[];

  test('the sandbox webhook subscribes to OPT_IN and OPT_OUT', async () => {
    const app = await s.control('GET', '/apps/sandbox-app');
    assert.ok(app.webhooks.some((h: any) => h.triggers.includes('OPT_OUT') && h.triggers.includes('OPT_IN')), JSON.stringify(app.webhooks));
  });

  test('an opt-out from Sinch revokes the identity\'s channel (a new customer is created), an opt-in grants it; both in the ledger as sinch', async () => {
    await s.control('POST', '/apps/sandbox-app/consents', { identity: '+46732093001', channel: 'WHATSAPP', action: 'opt_out' });
    const revoked = await waitFor(async () => { const c = await consentOf('+46732093001'); return c.consent?.whatsapp === 'revoked' ? c : undefined; }, 'the opt-out to apply');
    assert.deepEqual(revoked.consent, { whatsapp: 'revoked', rcs: 'unknown', sms: 'unknown' });
    await s.control('POST', '/apps/sandbox-app/consents', { identity: '+46732093001', channel: 'WHATSAPP', action: 'opt_in' });
    await waitFor(async () => ((await consentOf('+46732093001')).consent.whatsapp === 'granted' ? true : undefined), 'the opt-in to apply');
    const entries = await ledger('+46732093001');
    assert.deepEqual(entries.map((e) => [e.channel, e.action, e.source]), [['whatsapp', 'revoke', 'sinch'], ['whatsapp', 'grant', 'sinch']]);
    // A sent message to a revoked number is refused by our own check, as for any revoked consent.
    await s.control('POST', '/apps/sandbox-app/consents', { identity: '+46732093001', channel: 'SMS', action: 'opt_out' });
    await waitFor(async () => ((await consentOf('+46732093001')).consent.sms === 'revoked' ? true : undefined), 'the SMS opt-out to apply');
    assert.equal((await consentOf('+46732093001')).consent.whatsapp, 'granted', 'only the identity\'s channel changes');
  });

  test('with consent management on, a customer\'s STOP reaches the ledger twice: our keyword rule and Sinch\'s opt-out', async () => {
    await s.control('PATCH', '/apps/sandbox-app/knobs', { consent_management: true });
    try {
      await s.control('POST', '/apps/sandbox-app/inbound', { identity: '+46732093002', channel: 'RCS', text: 'STOP' });
      const entries = await waitFor(async () => { const l = await ledger('+46732093002'); return l.some((e) => e.source === 'sinch') && l.some((e) => e.source === 'keyword') ? l : undefined; }, 'both entries');
      assert.deepEqual(entries.filter((e) => e.source === 'sinch').map((e) => [e.channel, e.action]), [['rcs', 'revoke']]);
      assert.equal((await consentOf('+46732093002')).consent.rcs, 'revoked');
    } finally {
      await s.control('PATCH', '/apps/sandbox-app/knobs', { consent_management: false });
    }
  });

  test('verify shows Sinch\'s opt-out lists', async () => {
    const r = await call(s.app, 'POST', `/api/v1/projects/${s.project.id}/integrations/${s.integrationId}/verify`, s.project.adminToken);
    assert.equal(r.status, 200);
    assert.equal(r.body.consents.readable, true, JSON.stringify(r.body));
    assert.deepEqual(r.body.consents.lists.OPT_OUT_ALL, { identities: ['+46732093001', '+46732093002'], more: false });
    assert.deepEqual(r.body.consents.lists.OPT_OUT_MARKETING, { identities: [], more: false });
    assert.deepEqual(Object.keys(r.body.consents.lists).sort(), ['OPT_OUT_ALL', 'OPT_OUT_MARKETING', 'OPT_OUT_NOTIFICATION']);
  });
});
