/**
 * Input that no route's schema speaks of, refused the same way on SQLite and PostgreSQL: numbers that are not finite
 * (`?limit=Infinity`, `1e999`), text holding NUL (PostgreSQL cannot store it; SQLite did), and JSON nested deeper
 * than anything the API takes. Each is a 400 naming the field, and nothing is stored.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCursor } from '../../src/lib/pagination.ts';
import { call, createProjectWithTokens, sampleIntegration, startTestApp, type TestApp } from '../helpers/app.ts';

const template = {
  template_message: { channel_template: { WHATSAPP: { template_id: 'welcome', language_code: 'en_US', parameters: { 'body[1]text': 'Hi' } } } },
};

/** `{"a": {"a": … 1 …}}`, `depth` objects deep, as text (building it with JSON.stringify would overflow first). */
const nested = (depth: number, leaf = '1') => `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;

describe('input every route refuses: not finite, NUL, too deep', () => {
  let t: TestApp;
  let p: Awaited<ReturnType<typeof createProjectWithTokens>>;
  const ids = { customer: '', importId: '', segment: '', campaign: '', message: '' };
  const api = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown) =>
    call(t.app, method, `/api/v1/projects/${p.id}${path}`, p.adminToken, body);
  const raw = async (method: 'POST' | 'PATCH', path: string, payload: string) => {
    const r = await t.app.inject({ method, url: `/api/v1/projects/${p.id}${path}`, headers: { authorization: `Bearer ${p.adminToken}`, 'content-type': 'application/json' }, payload });
    return { status: r.statusCode, body: r.json() };
  };
  const count = async (table: 'projects' | 'customers' | 'messages' | 'integrations' | 'segments') =>
    Number((await t.database.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  before(async () => {
    t = await startTestApp({ env: { ROLE: 'api' } });
    p = await createProjectWithTokens(t, 'Input');
    const integration = await api('POST', '/integrations', sampleIntegration);
    assert.equal(integration.status, 201, JSON.stringify(integration.body));
    await api('PUT', '/settings/channels', { whatsapp_integration_id: integration.body.id, rcs_integration_id: integration.body.id });
    ids.customer = (await api('POST', '/customers', { phone: '+46732001122', attributes: { city: 'Lund' } })).body.id;
    ids.importId = (await api('POST', '/customer-imports', { name: 'list' })).body.id;
    ids.segment = (await api('POST', '/segments', { name: 'vip', filter: { tag: 'vip' } })).body.id;
    const campaign = await api('POST', '/campaigns', { name: 'c', channel: 'whatsapp', content: template, audience: { all: true } });
    assert.equal(campaign.status, 201, JSON.stringify(campaign.body));
    ids.campaign = campaign.body.id;
    const message = await api('POST', '/messages', { channel: 'whatsapp', to: '+46732001133', message: template });
    assert.equal(message.status, 202, JSON.stringify(message.body));
    ids.message = message.body.id;
  });
  after(() => t.close());

  const lists = () => [
    '/api/v1/projects',
    ...[
      '/tokens', '/integrations', '/messages', '/events', '/callbacks', '/customers', `/customers/${ids.customer}/consent`, '/keyword-rules',
      '/conversations', '/segments', '/campaigns', `/campaigns/${ids.campaign}/skipped`, '/customer-imports',
      `/customer-imports/${ids.importId}/errors`, '/event-destinations', `/segments/${ids.segment}/preview`,
    ].map((path) => `/api/v1/projects/${p.id}${path}`),
  ];

  test('?limit= that is not a finite number: 400 naming limit on every list (it was a 500)', async () => {
    for (const url of lists()) {
      const ok = await call(t.app, 'GET', `${url}?limit=2`, t.adminToken);
      assert.equal(ok.status, 200, `${url}: ${JSON.stringify(ok.body)}`);
      for (const limit of ['Infinity', '1e999', '-Infinity']) {
        const r = await call(t.app, 'GET', `${url}?limit=${limit}`, t.adminToken);
        assert.equal(r.status, 400, `${url}?limit=${limit}: ${r.status} ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.field, 'limit', url);
        assert.equal(r.body.error.code, 'invalid_request');
      }
    }
  });

  test('a number in a body that JSON reads as Infinity (1e999): 400 naming it, nothing stored', async () => {
    const r = await raw('PATCH', `/customers/${ids.customer}`, '{"attributes": {"points": 1e999}}');
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.deepEqual(r.body.error, { code: 'invalid_request', message: 'attributes.points must be a finite number', field: 'attributes.points' });
    assert.deepEqual((await api('GET', `/customers/${ids.customer}`)).body.attributes, { city: 'Lund' });
  });

  test('NUL in a body field, a nested one, a key, a filter, a path or a cursor: 400 naming it, nothing stored', async () => {
    const before = { projects: await count('projects'), customers: await count('customers'), messages: await count('messages'), integrations: await count('integrations'), segments: await count('segments') };
    const cases: Array<[string, () => Promise<{ status: number; body: any }>, string]> = [
      ['project name', () => call(t.app, 'POST', '/api/v1/projects', t.adminToken, { name: 'a\u0000b' }), 'name'],
      ['a sender of an integration', () => api('POST', '/integrations', { ...sampleIntegration, senders: { rcs: 'agent\u0000' } }), 'senders.rcs'],
      ['the text of a message', () => api('POST', '/messages', { channel: 'rcs', to: '+46732001144', message: { text_message: { text: 'hi\u0000' } } }), 'message.text_message.text'],
      ['a message in a batch', () => api('POST', '/messages:batch', { messages: [{ channel: 'rcs', to: '+46732001144', message: { text_message: { text: 'ok' } } }, { channel: 'rcs', to: '+46732001144', message: { text_message: { text: '\u0000' } } }] }), 'messages.1.message.text_message.text'],
      ['an attribute name', () => api('POST', '/customers', { phone: '+46732001155', attributes: { 'ci\u0000ty': 'Lund' } }), 'attributes'],
      ['an attribute value (PATCH)', () => api('PATCH', `/customers/${ids.customer}`, { attributes: { city: 'Lu\u0000nd' } }), 'attributes.city'],
      ['a customer in bulk', () => api('POST', '/customers:batch', { customers: [{ phone: '+46732001166', attributes: { city: '\u0000' } }] }), 'customers.0.attributes.city'],
      ['a segment filter', () => api('POST', '/segments', { name: 'nul', filter: { attribute: 'city', op: 'eq', value: 'x\u0000' } }), 'filter.value'],
      ['an events filter', () => api('GET', '/events?recipient=%2B4673%00'), 'recipient'],
      ['a messages filter', () => api('GET', '/messages?campaign_id=c%00'), 'campaign_id'],
      ['a path (instance admin)', () => call(t.app, 'GET', `/api/v1/projects/${p.id}%00`, t.adminToken), 'project_id'],
      ['a path inside a project', () => api('GET', `/messages/${ids.message}%00`), 'message_id'],
      ['a customer looked up by phone', () => api('GET', '/customers/%2B46732001122%00'), 'customer_id'],
      ['a cursor\'s key', () => api('GET', `/messages?cursor=${encodeCursor('msg_\u0000')}`), 'cursor'],
      ['an import\'s name', () => api('POST', '/customer-imports?name=a%00b'), 'name'],
    ];
    for (const [name, run, field] of cases) {
      const r = await run();
      assert.equal(r.status, 400, `${name}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'invalid_request', name);
      assert.equal(r.body.error.field, field, `${name}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.error.message, /NUL|cursor/, name);
    }
    const customer = (await api('GET', `/customers/${ids.customer}`)).body;
    assert.deepEqual(customer.attributes, { city: 'Lund' }, 'unchanged');
    assert.deepEqual({ projects: await count('projects'), customers: await count('customers'), messages: await count('messages'), integrations: await count('integrations'), segments: await count('segments') }, before);
  });

  test('NUL in a CSV cell: the row goes to the error report naming the column, the customer is not stored', async () => {
    const res = await t.app.inject({
      method: 'POST', url: `/api/v1/projects/${p.id}/customer-imports?name=nul`,
      headers: { authorization: `Bearer ${p.adminToken}`, 'content-type': 'text/csv' },
      payload: 'phone,city\n+46732001177,Lu\u0000nd\n+46732001188,Umeå\n',
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual({ created: res.json().created, errors: res.json().errors }, { created: 1, errors: 1 });
    const errors = await api('GET', `/customer-imports/${res.json().id as string}/errors`);
    assert.deepEqual(errors.body.data.map((e: any) => [e.row, e.field]), [[2, 'attributes.city']]);
    assert.match(errors.body.data[0].message, /NUL/);
    assert.equal((await api('GET', '/customers/%2B46732001177')).status, 404);
  });

  test('customer attributes nested 20,000 deep, or any body nested deeper than 32: 400 naming where, nothing stored', async () => {
    const before = await count('customers');
    const deep = await raw('POST', '/customers', `{"phone": "+46732001199", "attributes": ${nested(20_000)}}`);
    assert.equal(deep.status, 400, JSON.stringify(deep.body));
    assert.equal(deep.body.error.code, 'invalid_request');
    assert.match(deep.body.error.field, /^attributes(\.a)+$/);
    assert.match(deep.body.error.message, /nests deeper than 32 levels/);
    const patch = await raw('PATCH', `/customers/${ids.customer}`, `{"attributes": {"city": ${nested(20_000)}}}`);
    assert.equal(patch.status, 400, JSON.stringify(patch.body));
    assert.match(patch.body.error.field, /^attributes\.city(\.a)+$/);
    const batch = await raw('POST', '/messages:batch', `{"messages": [{"channel": "rcs", "to": "+46732001144", "message": {"text_message": {"text": "hi"}}, "x": ${'['.repeat(50_000)}${']'.repeat(50_000)}}]}`);
    assert.equal(batch.status, 400, JSON.stringify(batch.body));
    assert.match(batch.body.error.field, /^messages\.0\.x(\.0)+$/);
    assert.equal(await count('customers'), before);
    assert.equal((await api('GET', '/messages?limit=1000')).body.data.length, 1, 'only the message sent before');
    assert.deepEqual((await api('GET', `/customers/${ids.customer}`)).body.attributes, { city: 'Lund' });
  });
});
