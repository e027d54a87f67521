/**
 * Limits the documentation states hold on every way in: customer attribute names (letters, digits, `_`, at most 100
 * characters), their values (JSON scalars) and size (16,384 bytes of JSON), in the customers API as in imports and
 * bulk upserts; phone numbers are digits (with the usual separators) and nothing else: an extension, trailing text or
 * NUL is refused, not cut off by the phone library; the callback signature header is taken only in its canonical
 * base64 form (Node's decoder skips junk). The same on SQLite and PostgreSQL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, createProjectWithTokens, sampleIntegration, startTestApp, type TestApp } from '../helpers/app.ts';
import { deliveryReport, sinchHeaders } from '../helpers/signing.ts';

describe('documented limits hold', () => {
  let t: TestApp;
  let p: Awaited<ReturnType<typeof createProjectWithTokens>>;
  let callbackPath: string;
  const api = (method: 'GET' | 'POST' | 'PUT' | 'PATCH', path: string, body?: unknown) => call(t.app, method, `/api/v1/projects/${p.id}${path}`, p.adminToken, body);
  const customerCount = async () => Number((await t.database.db.kysely.selectFrom('customers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const callbackCount = async () => Number((await t.database.db.kysely.selectFrom('callbacks').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  before(async () => {
    t = await startTestApp({ env: { ROLE: 'api' } });
    p = await createProjectWithTokens(t, 'Limits');
    const integration = await api('POST', '/integrations', sampleIntegration);
    callbackPath = new URL(integration.body.callback_url as string).pathname;
    await api('PUT', '/settings/channels', { whatsapp_integration_id: integration.body.id, rcs_integration_id: integration.body.id });
  });
  after(() => t.close());

  test('customers API: attribute names longer than 100 characters or not of letters, digits and _ are refused, naming the attribute', async () => {
    const before = await customerCount();
    const long = 'a'.repeat(101);
    for (const [attributes, field] of [
      [{ [long]: 1 }, `attributes.${'a'.repeat(100)}`],
      [{ 'first-name': 'Ada' }, 'attributes.first-name'],
      [{ '1st': 'Ada' }, 'attributes.1st'],
    ] as const) {
      const r = await api('POST', '/customers', { phone: '+46732004001', attributes });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.field, field);
      assert.match(r.body.error.message, /letters, digits and _, at most 100 characters/);
    }
    assert.equal(await customerCount(), before);
    const ok = await api('POST', '/customers', { phone: '+46732004001', attributes: { ['b'.repeat(100)]: 1, first_name: 'Ada' } });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    const patched = await api('PATCH', `/customers/${ok.body.id as string}`, { attributes: { [long]: 2 } });
    assert.equal(patched.status, 400);
    assert.equal(patched.body.error.field, `attributes.${'a'.repeat(100)}`);
    assert.deepEqual(Object.keys((await api('GET', `/customers/${ok.body.id as string}`)).body.attributes).sort(), ['b'.repeat(100), 'first_name'].sort());
  });

  test('customers API: attribute values are JSON scalars (a nested object or a list is refused)', async () => {
    for (const value of [{ street: 'Storgatan 1' }, ['a', 'b']]) {
      const r = await api('POST', '/customers', { phone: '+46732004002', attributes: { address: value } });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.deepEqual(r.body.error, { code: 'invalid_request', field: 'attributes.address', message: 'attributes.address must be text, a number, true/false or null' });
    }
    assert.equal((await api('GET', '/customers/%2B46732004002')).status, 404);
  });

  test('customers API: attributes of ~900 KB are refused (the documented bound is 16,384 bytes of JSON), on create and on a PATCH that merges past it', async () => {
    const before = await customerCount();
    const big = await api('POST', '/customers', { phone: '+46732004003', attributes: { notes: 'x'.repeat(900_000) } });
    assert.equal(big.status, 400, JSON.stringify(big.body).slice(0, 300));
    assert.deepEqual(big.body.error, { code: 'invalid_request', field: 'attributes', message: 'attributes must be at most 16384 bytes of JSON' });
    assert.equal(await customerCount(), before);

    const half = 'y'.repeat(9000);
    const created = await api('POST', '/customers', { phone: '+46732004003', attributes: { a: half } });
    assert.equal(created.status, 201, 'within the bound');
    const merged = await api('PATCH', `/customers/${created.body.id as string}`, { attributes: { b: half }, consent: { whatsapp: 'revoked' } });
    assert.equal(merged.status, 400, 'each half fits, both together do not');
    assert.equal(merged.body.error.field, 'attributes');
    const after = (await api('GET', `/customers/${created.body.id as string}`)).body;
    assert.deepEqual(Object.keys(after.attributes), ['a']);
    assert.equal(after.consent.whatsapp, 'unknown', 'nothing of the refused PATCH was kept');
    assert.equal((await api('PATCH', `/customers/${created.body.id as string}`, { attributes: { a: null, b: half } })).status, 200, 'replacing one keeps within it');
  });

  const junkPhones = ['+46732004010;ext=12', '+46732004010 ext. 12', '+46732004010 x12', '+46732004010abc', '+46732004010/', '+46732004010,,', 'tel:+46732004010', '+４６７３２００４０１０'];

  test('phone numbers with an extension, trailing text or other junk are refused, not trimmed to a number (send, customers, integrations)', async () => {
    const existing = await api('POST', '/customers', { phone: '+46732004010', attributes: { city: 'Lund' } });
    assert.equal(existing.status, 201);
    for (const phone of junkPhones) {
      const send = await api('POST', '/messages', { channel: 'rcs', to: phone, message: { text_message: { text: 'hi' } } });
      assert.equal(send.status, 400, `${phone}: ${JSON.stringify(send.body)}`);
      assert.equal(send.body.error.field, 'to');
      const customer = await api('POST', '/customers', { phone, attributes: { city: 'Umeå' } });
      assert.equal(customer.status, 400, `${phone}: ${JSON.stringify(customer.body)}`);
      assert.equal(customer.body.error.field, 'phone');
      const batch = await api('POST', '/customers:batch', { customers: [{ phone, attributes: { city: 'Kiruna' } }] });
      assert.deepEqual(batch.body.data.map((d: any) => [d.status, d.errors?.[0]?.field]), [['invalid', 'customers[0].phone']], phone);
      const integration = await api('POST', '/integrations', { ...sampleIntegration, name: 'junk', senders: { whatsapp: phone } });
      assert.equal(integration.status, 400, phone);
      assert.equal(integration.body.error.field, 'senders.whatsapp');
    }
    assert.deepEqual((await api('GET', '/customers/%2B46732004010')).body.attributes, { city: 'Lund' }, 'no junk number updated the customer it contains');
    for (const phone of ['+46 73 200 40 10', '+46-73-200-40-10', '0046 (73) 200 40 10', ' +46732004010 ']) {
      const r = await api('POST', '/messages', { channel: 'rcs', to: phone, message: { text_message: { text: 'hi' } } });
      assert.equal(r.status, 202, `${phone} is a number as people write it: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.to, '+46732004010');
    }
  });

  test('a CSV import refuses a phone cell with junk or NUL after the number (the row goes to the error report)', async () => {
    const rows = ['+46732004020;ext=1', '+46732004021\u0000', '+46732004022 x9', '+46732004023'];
    const res = await t.app.inject({
      method: 'POST', url: `/api/v1/projects/${p.id}/customer-imports?name=phones`,
      headers: { authorization: `Bearer ${p.adminToken}`, 'content-type': 'text/csv' }, payload: `phone,city\n${rows.map((r) => `${r},Lund`).join('\n')}\n`,
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual({ created: res.json().created, errors: res.json().errors }, { created: 1, errors: 3 });
    const errors = await api('GET', `/customer-imports/${res.json().id as string}/errors`);
    assert.deepEqual(errors.body.data.map((e: any) => [e.row, e.field]), [[2, 'phone'], [3, 'phone'], [4, 'phone']]);
    for (const phone of ['%2B46732004020', '%2B46732004021', '%2B46732004022']) assert.equal((await api('GET', `/customers/${phone}`)).status, 404, phone);
  });

  test('the callback signature is taken only in its canonical base64 form: junk, spaces, no padding or the URL alphabet are a 401', async () => {
    const body = deliveryReport('01JSTRICTSIGNATURE00000001', 'DELIVERED');
    const headers = sinchHeaders(sampleIntegration.webhook_secret, body);
    const signature = headers['x-sinch-webhook-signature']!;
    // A signature with both + or / (URL alphabet differs) and padding: find a nonce that gives one.
    let urlHeaders = headers;
    for (let i = 0; !/[+/]/.test(urlHeaders['x-sinch-webhook-signature']!); i += 1) urlHeaders = sinchHeaders(sampleIntegration.webhook_secret, body, { nonce: `nonce-url-${i}` });
    const variants: Array<[string, Record<string, string>]> = [
      ['junk after it', { ...headers, 'x-sinch-webhook-signature': `${signature}!!` }],
      ['junk inside it', { ...headers, 'x-sinch-webhook-signature': `${signature.slice(0, 10)}*${signature.slice(10)}` }],
      ['spaces inside it', { ...headers, 'x-sinch-webhook-signature': `${signature.slice(0, 10)} ${signature.slice(10)}` }],
      ['without its padding', { ...headers, 'x-sinch-webhook-signature': signature.replace(/=+$/, '') }],
      ['in the URL alphabet', { ...urlHeaders, 'x-sinch-webhook-signature': urlHeaders['x-sinch-webhook-signature']!.replaceAll('+', '-').replaceAll('/', '_') }],
    ];
    assert.match(signature, /=$/, 'an HMAC-SHA256 in base64 ends in padding');
    const before = await callbackCount();
    for (const [what, h] of variants) {
      const r = await t.app.inject({ method: 'POST', url: callbackPath, headers: h, payload: body });
      assert.equal(r.statusCode, 401, `${what}: ${r.body}`);
      assert.equal(r.json().error.code, 'invalid_signature');
    }
    assert.equal(await callbackCount(), before, 'nothing stored');
    const canonical = await t.app.inject({ method: 'POST', url: callbackPath, headers, payload: body });
    assert.equal(canonical.statusCode, 200, canonical.body);
    assert.equal(await callbackCount(), before + 1);
  });
});
