/**
 * CSV injection: no cell of an export starts a live formula. Text from outside (a sender, a campaign id, a reason
 * code Sinch sent) that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a leading `'`;
 * plain numbers, E.164 phone numbers among them, are written as they are (docs/api-v1.md §0). The import error
 * report is written by the same function; none of its cells starts with text from the file today.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { csvCell, csvLine } from '../../src/lib/csv.ts';
import { call, createProjectWithTokens, sampleIntegration, startTestApp, type TestApp } from '../helpers/app.ts';
import { startSandboxApp, type SandboxApp } from '../helpers/sandbox.ts';
import { sinchHeaders } from '../helpers/signing.ts';
import { waitFor } from '../helpers/wait.ts';

const formulas = ['=HYPERLINK("http://evil.example/x","open")', '+1+cmd|\' /C calc\'!A0', '-2+3', '@SUM(1+9)', '\t=1+2', '\r=1+2'];

const rowsOf = (text: string): Array<Record<string, string>> => parse<Record<string, string>>(text, { columns: true, bom: true, relax_column_count: true });

describe('CSV cells', () => {
  test('a cell that would start a formula gets a leading quote; quoting as RFC 4180', () => {
    for (const text of formulas) {
      const cell = csvCell(text);
      const cells: string[][] = parse(`${cell}\r\n`);
      const read = cells[0]![0]!;
      assert.equal(read, `'${text}`, JSON.stringify(text));
    }
    assert.equal(csvCell('=HYPERLINK("a","b")'), '"\'=HYPERLINK(""a"",""b"")"');
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvLine(['x', null, undefined, 3, true, { a: 1 }]), 'x,,,3,true,"{""a"":1}"\r\n');
  });

  test('plain numbers are numbers, not formulas: E.164 phone numbers, signed and decimal numbers stay as they are', () => {
    for (const number of ['+46732000001', '-3', '+7', '1723484965.922874', '0', '-0.5']) assert.equal(csvCell(number), number);
    for (const notOnlyANumber of ['+46 73 200 00 01', '-3+1', '+1e5', '-', '+', '=1']) assert.equal(csvCell(notOnlyANumber), `'${notOnlyANumber}`);
  });
});

describe('events export', () => {
  let t: TestApp;
  let p: Awaited<ReturnType<typeof createProjectWithTokens>>;
  before(async () => {
    t = await startTestApp({ env: { ROLE: 'api' } });
    p = await createProjectWithTokens(t, 'CSV');
  });
  after(() => t.close());

  test('a sender and a campaign id that look like formulas are exported as text; the recipient and times as they are', async () => {
    const api = (method: 'POST' | 'PUT', path: string, body: unknown) => call(t.app, method, `/api/v1/projects/${p.id}${path}`, p.adminToken, body);
    const integration = await api('POST', '/integrations', { ...sampleIntegration, senders: { rcs: formulas[0] } });
    assert.equal(integration.status, 201, JSON.stringify(integration.body));
    await api('PUT', '/settings/channels', { whatsapp_integration_id: null, rcs_integration_id: integration.body.id });
    // Consent revoked: the send is refused at once and tracked as an event (no Sinch needed).
    assert.equal((await api('POST', '/customers', { phone: '+46732005001', consent: { rcs: 'revoked' } })).status, 201);
    for (const campaignId of formulas.slice(1)) {
      const sent = await api('POST', '/messages', { channel: 'rcs', to: '+46732005001', campaign_id: campaignId, message: { text_message: { text: 'hi' } } });
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
      assert.equal(sent.body.status, 'enqueued_failed');
    }
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/projects/${p.id}/events/export?format=csv`, headers: { authorization: `Bearer ${p.memberToken}` } });
    assert.equal(res.statusCode, 200);
    const rows = rowsOf(res.body);
    assert.equal(rows.length, formulas.length - 1);
    assert.deepEqual(rows.map((r) => r.campaign_id).sort(), formulas.slice(1).map((f) => `'${f}`).sort());
    for (const row of rows) {
      assert.equal(row.sender, `'${formulas[0]}`);
      assert.equal(row.recipient, '+46732005001', 'a phone number is a plain number: left as it is');
      assert.match(row.timestamp!, /^\d+(\.\d+)?$/);
      for (const [column, value] of Object.entries(row)) assert.doesNotMatch(value, /^[=+\-@\t\r](?![0-9.]+$)/, `${column} starts a formula: ${value}`);
    }
  });
});

describe('campaign exports', () => {
  let s: SandboxApp;
  const webhookSecret = 'csv-export-webhook-secret';
  before(async () => { s = await startSandboxApp({ integration: { webhook_secret: webhookSecret } }); });
  after(() => s.close());
  const api = (method: 'GET' | 'POST', path: string, body?: unknown) => call(s.app, method, `/api/v1/projects/${s.project.id}${path}`, s.project.adminToken, body);
  const download = async (path: string) => {
    const res = await s.app.inject({ method: 'GET', url: `/api/v1/projects/${s.project.id}${path}`, headers: { authorization: `Bearer ${s.project.memberToken}` } });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /text\/csv/);
    return res.body;
  };

  test('a reason code Sinch reported that looks like a formula is exported as text', async () => {
    // …0005: the sandbox accepts the message and never reports on it; the report below is Sinch's only word.
    assert.equal((await api('POST', '/customers', { phone: '+46732000005' })).status, 201);
    const created = await api('POST', '/campaigns', { name: 'csv', channel: 'rcs', content: { text_message: { text: 'Hi' } }, audience: { all: true } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const campaignId = created.body.id as string;
    assert.equal((await api('POST', `/campaigns/${campaignId}/launch`)).status, 200);
    const message = await waitFor(async () => {
      const m = (await api('GET', `/messages?campaign_id=${campaignId}`)).body.data[0];
      return m?.provider_message_id ? m : undefined;
    }, 'the campaign message to reach Sinch');

    const integration = (await api('GET', `/integrations/${s.integrationId}`)).body;
    const report = JSON.stringify({
      app_id: 'sandbox-app', project_id: 'sandbox-project', event_time: new Date().toISOString(), accepted_time: new Date().toISOString(),
      message_delivery_report: {
        message_id: message.provider_message_id, status: 'FAILED', metadata: message.id,
        channel_identity: { channel: 'RCS', identity: '46732000005', app_id: '' }, reason: { code: '@SUM(1+9)', description: '=cmd' },
      },
    });
    const posted = await s.app.inject({ method: 'POST', url: new URL(integration.callback_url as string).pathname, headers: sinchHeaders(webhookSecret, report), payload: report });
    assert.equal(posted.statusCode, 200, posted.body);
    await s.waitForMessage(message.id, (m) => m.status === 'failed');

    const rows = rowsOf(await download(`/campaigns/${campaignId}/report/export?part=messages`));
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.error, '\'@SUM(1+9)');
    assert.equal(rows[0]!.recipient, '+46732000005');
    assert.equal(rows[0]!.message_id, message.id);
    const summary: string[][] = parse(await download(`/campaigns/${campaignId}/report/export?part=summary`), { relax_column_count: true });
    assert.ok(summary.some((r) => r[0] === 'error:@SUM(1+9)' && r[1] === '1'), JSON.stringify(summary));
    for (const cell of summary.flat()) assert.doesNotMatch(cell, /^[=+\-@\t\r]/);
  });
});
