/**
 * A cursor the API did not hand out is a 400 naming `cursor` on every list, whatever is wrong with it: not base64,
 * not our wrapping, or a key of the wrong shape for that list (a conversations key that is no pair, an import
 * errors key that is no row number, an events key whose time is not a finite number).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCursor } from '../../src/lib/pagination.ts';
import { call, createProjectWithTokens, sampleIntegration, startTestApp, type TestApp } from '../helpers/app.ts';
import { sinchHeaders } from '../helpers/signing.ts';

describe('malformed cursors', () => {
  let t: TestApp;
  let p: Awaited<ReturnType<typeof createProjectWithTokens>>;
  const ids = { customer: '', importId: '', campaign: '' };
  const api = (method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) => call(t.app, method, `/api/v1/projects/${p.id}${path}`, p.adminToken, body);

  before(async () => {
    t = await startTestApp({ env: { ROLE: 'api' } });
    p = await createProjectWithTokens(t, 'Cursors');
    const integration = await api('POST', '/integrations', sampleIntegration);
    await api('PUT', '/settings/channels', { whatsapp_integration_id: integration.body.id, rcs_integration_id: integration.body.id });
    ids.customer = (await api('POST', '/customers', { phone: '+46732001122' })).body.id;
    ids.importId = (await api('POST', '/customer-imports', { name: 'list' })).body.id;
    ids.campaign = (await api('POST', '/campaigns', { name: 'c', channel: 'rcs', content: { text_message: { text: 'Hi' } }, audience: { all: true } })).body.id;
  });
  after(() => t.close());

  const lists = () => [
    '/tokens', '/integrations', '/messages', '/events', '/callbacks', '/customers', `/customers/${ids.customer}/consent`, '/keyword-rules',
    '/conversations', '/segments', '/campaigns', `/campaigns/${ids.campaign}/skipped`, '/customer-imports', `/customer-imports/${ids.importId}/errors`,
    '/event-destinations',
  ];
  const malformed = [
    ['not base64 of JSON', 'zzz'],
    ['JSON without our key', Buffer.from('{"x":1}').toString('base64url')],
    ['a key holding NUL', encodeCursor('a\u0000')],
  ] as const;
  /** Lists whose key has a shape (a pair, a number and an id, a row number): a key of another shape is not theirs. */
  const shaped = () => [
    ...['/conversations', `/customers/${ids.customer}/consent`, '/keyword-rules'].map((path) => [path, ['not json', '{"at":"x","id":"y"}', '["x"]', '[1,2]']] as const),
    ['/events', ['not json', '["1","evt_x"]', '[1e999,"evt_x"]']] as const,
    [`/customer-imports/${ids.importId}/errors`, ['abc', '1.5', '-1', '1e3']] as const,
  ];
  const refused = async (path: string, cursor: string, what: string) => {
    const r = await api('GET', `${path}?cursor=${cursor}`);
    assert.equal(r.status, 400, `${path}, ${what}: ${r.status} ${JSON.stringify(r.body)}`);
    assert.deepEqual(r.body.error, { code: 'invalid_request', message: 'cursor is not one this API returned', field: 'cursor' }, `${path}, ${what}`);
  };

  test('every list answers 400 naming cursor for a cursor it never handed out', async () => {
    for (const path of lists()) {
      assert.equal((await api('GET', `${path}?limit=1`)).status, 200, path);
      for (const [what, cursor] of malformed) await refused(path, cursor, what);
    }
  });

  test('a key of the wrong shape for the list: 400 naming cursor (conversations answered 500)', async () => {
    for (const [path, keys] of shaped()) {
      for (const key of keys) await refused(path, encodeCursor(key), `key ${key}`);
    }
  });

  test('the cursors the lists hand out still page through them', async () => {
    for (const phone of ['+46732001133', '+46732001144']) await api('POST', '/customers', { phone });
    const first = await api('GET', '/customers?limit=2');
    assert.equal(first.body.data.length, 2);
    const second = await api('GET', `/customers?limit=2&cursor=${first.body.next_cursor as string}`);
    assert.equal(second.status, 200);
    assert.equal(second.body.data.length, 1);
    assert.equal(new Set([...first.body.data, ...second.body.data].map((c: any) => c.id)).size, 3);
  });

  test('conversations page with their cursor (time and id)', async () => {
    const integration = (await api('GET', '/integrations')).body.data[0];
    const callbackPath = new URL(integration.callback_url as string).pathname;
    for (const identity of ['46732002001', '46732002002', '46732002003']) {
      const body = JSON.stringify({
        app_id: sampleIntegration.app_id, project_id: sampleIntegration.sinch_project_id, event_time: new Date().toISOString(),
        message: { id: `MO-${identity}`, direction: 'TO_APP', channel_identity: { channel: 'WHATSAPP', identity, app_id: '' }, contact_message: { text_message: { text: 'hi' } }, accept_time: new Date().toISOString() },
      });
      const r = await t.app.inject({ method: 'POST', url: callbackPath, headers: sinchHeaders(sampleIntegration.webhook_secret, body), payload: body });
      assert.equal(r.statusCode, 200, r.body);
    }
    const first = await api('GET', '/conversations?limit=2');
    assert.equal(first.body.data.length, 2);
    const second = await api('GET', `/conversations?limit=2&cursor=${first.body.next_cursor as string}`);
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.deepEqual([...first.body.data, ...second.body.data].map((c: any) => c.phone).sort(), ['+46732002001', '+46732002002', '+46732002003']);
    assert.equal(second.body.next_cursor, null);
  });
});
