import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call } from '../helpers/app.ts';
import { startSandboxApp, type SandboxApp } from '../helpers/sandbox.ts';
import { waitFor } from '../helpers/wait.ts';

/** A WhatsApp template with a personalised parameter (templates are allowed outside the 24 h window). */
const greeting = {
  template_message: { channel_template: { WHATSAPP: { template_id: 'welcome', language_code: 'en_US', parameters: { 'body[1]text': 'Hi {{ first_name }} from {{ city | default: "us" }}' } } } },
};

describe('campaigns: import, segment, personalised launch, report', () => {
  let s: SandboxApp;
  before(async () => { s = await startSandboxApp(); });
  after(() => s.close());
  const api = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown) =>
    call(s.app, method, `/api/v1/projects/${s.project.id}${path}`, s.project.memberToken, body);
  const csv = async (text: string, name = 'test') => {
    const res = await s.app.inject({
      method: 'POST', url: `/api/v1/projects/${s.project.id}/customer-imports?name=${name}`,
      headers: { authorization: `Bearer ${s.project.memberToken}`, 'content-type': 'text/csv' }, payload: text,
    });
    return { status: res.statusCode, body: res.json() };
  };

  test('a CSV import upserts by phone, reports bad rows by row, field and rule, and can run again without changing anything', async () => {
    const file = [
      'phone,first_name,city,tags,consent_whatsapp',
      '+46732001101,Ada,Lund,vip|newsletter,granted',
      '+46732001102,Bo,,vip,',
      'not-a-phone,Cy,Malmö,,',
      '+46732001104,Di,Umeå,VIP ok,maybe',
      '0046732001105,Ed,Kiruna,newsletter,',
    ].join('\n');
    const first = await csv(file);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.status, 'completed');
    assert.deepEqual({ rows: first.body.rows_read, created: first.body.created, updated: first.body.updated, errors: first.body.errors }, { rows: 5, created: 3, updated: 0, errors: 2 });
    const errors = await api('GET', `/customer-imports/${first.body.id as string}/errors`);
    assert.deepEqual(errors.body.data.map((e: any) => [e.row, e.field]), [[4, 'phone'], [5, 'consent.whatsapp'], [5, 'tags']]);
    assert.match(errors.body.data[0].message, /phone/);
    const ada = (await api('GET', '/customers/%2B46732001101')).body;
    assert.deepEqual(ada.attributes, { first_name: 'Ada', city: 'Lund' });
    assert.deepEqual(ada.tags, ['vip', 'newsletter']);
    assert.equal(ada.consent.whatsapp, 'granted');

    const again = await csv(file, 'again');
    assert.deepEqual({ created: again.body.created, updated: again.body.updated, errors: again.body.errors }, { created: 0, updated: 3, errors: 2 });
    const list = await api('GET', '/customers?limit=100');
    assert.equal(list.body.data.filter((c: any) => c.phone.startsWith('+467320011')).length, 3, 'no duplicates');
  });

  test('a CSV with its own column names is imported through a column mapping; a bad mapping is named by field and nothing is written', async () => {
    const upload = async (id: string, text: string) => {
      const res = await s.app.inject({
        method: 'PUT', url: `/api/v1/projects/${s.project.id}/customer-imports/${id}/csv`,
        headers: { authorization: `Bearer ${s.project.memberToken}`, 'content-type': 'text/csv' }, payload: text,
      });
      return { status: res.statusCode, body: res.json() };
    };
    const file = [
      'Mobile number,First name,Town,Notes,WhatsApp opt-in',
      '+46732001401,Fia,Visby,"called, twice",granted',
      '+46732001402,Gus,Luleå,,revoked',
    ].join('\n');

    // Without a mapping the file cannot be read: the error says how to map it.
    const unmapped = await csv(file, 'unmapped');
    assert.equal(unmapped.status, 400);
    assert.equal(unmapped.body.error.field, 'csv');
    assert.match(unmapped.body.error.message, /"Mobile number" is not a valid attribute name.*columns/);

    const columns = { 'Mobile number': 'phone', 'First name': 'attribute:first_name', Town: 'attribute:city', Notes: 'ignore', 'WhatsApp opt-in': 'consent_whatsapp' };
    const created = await api('POST', '/customer-imports', { name: 'mapped', columns });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.columns, columns, 'the mapping is kept with the import');
    const done = await upload(created.body.id, file);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.deepEqual({ status: done.body.status, created: done.body.created, errors: done.body.errors }, { status: 'completed', created: 2, errors: 0 });
    const fia = (await api('GET', '/customers/%2B46732001401')).body;
    assert.deepEqual(fia.attributes, { first_name: 'Fia', city: 'Visby' }, 'Notes ignored, the others renamed');
    assert.equal(fia.consent.whatsapp, 'granted');
    assert.equal((await api('GET', '/customers/%2B46732001402')).body.consent.whatsapp, 'revoked');

    // Mappings refused when the import is created, each naming the column.
    for (const [bad, field, rule] of [
      [{ Mobile: 'telephone' }, 'columns.Mobile', /one of phone, tags/],
      [{ A: 'phone', B: 'phone' }, 'columns.B', /phone is already the column "A"/],
      [{ Name: 'attribute:first name' }, 'columns.Name', /attribute names/],
      [['phone'], 'columns', /must be an object/],
    ] as const) {
      const r = await api('POST', '/customer-imports', { name: 'bad', columns: bad });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.field, field);
      assert.match(r.body.error.message, rule);
    }
    // A mapping that does not fit the file: the import fails at the header, before any row is written.
    const misfit = await api('POST', '/customer-imports', { name: 'misfit', columns: { Phone: 'phone' } });
    const refused = await upload(misfit.body.id, file.replaceAll('+4673200140', '+4673200149'));
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.field, 'columns.Phone');
    assert.match(refused.body.error.message, /the file has no column "Phone"/);
    assert.equal((await api('GET', `/customer-imports/${misfit.body.id as string}`)).body.status, 'failed');
    assert.equal((await api('GET', '/customers/%2B46732001491')).status, 404, 'nothing written');
    // Two columns that would both be the phone.
    const twice = await api('POST', '/customer-imports', { name: 'twice', columns: { 'Mobile number': 'phone' } });
    const both = await upload(twice.body.id, 'phone,Mobile number\n+46732001501,+46732001502\n');
    assert.equal(both.status, 400);
    assert.match(both.body.error.message, /columns "phone" and "Mobile number" are both phone/);
  });

  test('bulk upsert: a result per item, invalid items named by field', async () => {
    const r = await api('POST', '/customers:batch', { customers: [
      { phone: '+46732001201', attributes: { first_name: 'Fi', points: 12 }, tags: ['vip'] },
      { phone: 'nope' },
      { phone: '+46732001101', attributes: { city: 'Lund C' } },
    ] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.data.map((d: any) => d.status), ['created', 'invalid', 'updated']);
    assert.equal(r.body.data[1].errors[0].field, 'customers[1].phone');
  });

  test('segments: a filter\'s live count and preview; the saved segment', async () => {
    const vip = await api('POST', '/segments/preview', { filter: { tag: 'vip' } });
    assert.equal(vip.status, 200, JSON.stringify(vip.body));
    assert.deepEqual(vip.body.members.map((m: any) => m.phone).sort(), ['+46732001101', '+46732001102', '+46732001201']);
    assert.equal(vip.body.count, 3);
    const rich = await api('POST', '/segments/preview', { filter: { all: [{ tag: 'vip' }, { attribute: 'points', op: 'gte', value: 10 }] } });
    assert.equal(rich.body.count, 1);
    const bad = await api('POST', '/segments/preview', { filter: { all: [{ attribute: 'points', op: 'gte', value: 'ten' }] } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'filter.all[0].value');
    const saved = await api('POST', '/segments', { name: 'VIPs', filter: { tag: 'vip' } });
    assert.equal(saved.status, 201);
    assert.equal((await api('GET', `/segments/${saved.body.id as string}/preview`)).body.count, 3);
  });

  test('a personalised campaign to a segment: the preselected provider, skips with reasons, every message once, a report that adds up', async () => {
    const segment = (await api('GET', '/segments')).body.data[0];
    const created = await api('POST', '/campaigns', { name: 'Welcome VIPs', channel: 'whatsapp', content: greeting, audience: { segment_id: segment.id } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.integration_id, s.integrationId, 'the default WhatsApp provider is preselected');
    assert.deepEqual(created.body.variables, { used: ['city', 'first_name'], required: ['first_name'] });

    const preview = await api('POST', `/campaigns/${created.body.id as string}/preview`, { phone: '+46732001101' });
    assert.ok(preview.body.content, JSON.stringify(preview.body));
    assert.equal(preview.body.content.template_message.channel_template.WHATSAPP.parameters['body[1]text'], 'Hi Ada from Lund C');

    const launched = await api('POST', `/campaigns/${created.body.id as string}/launch`);
    assert.equal(launched.status, 200, JSON.stringify(launched.body));
    const done = await waitFor(async () => {
      const c = (await api('GET', `/campaigns/${created.body.id as string}`)).body;
      return c.status === 'completed' ? c : undefined;
    }, 'the campaign to complete');
    assert.equal(done.progress.audience, 3, JSON.stringify({ done, report: (await api("GET", `/campaigns/${created.body.id as string}/report`)).body }));
    const editRunning = await api('PATCH', `/campaigns/${created.body.id as string}`, { name: 'Renamed' });
    assert.equal(editRunning.status, 409);

    const report = await waitFor(async () => {
      const r = (await api('GET', `/campaigns/${created.body.id as string}/report`)).body;
      return r.statuses.read + r.statuses.failed + r.statuses.rejected >= r.messages ? r : undefined;
    }, 'every report in');
    assert.equal(report.audience, report.skipped.total + report.messages, 'audience = skipped + messages');
    assert.equal(report.messages, 3);
    assert.equal(report.statuses.enqueued, 3);
    const messages = (await api('GET', `/messages?campaign_id=${created.body.id as string}`)).body.data;
    assert.equal(messages.length, 3);
    const bo = messages.find((m: any) => m.to === '+46732001102');
    assert.equal(bo.message.template_message.channel_template.WHATSAPP.parameters['body[1]text'], 'Hi Bo from us', 'rendered when sent, with the default');
  });
});
