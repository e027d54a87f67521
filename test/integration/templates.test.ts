import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call } from '../helpers/app.ts';
import { startSandboxApp, whatsappTemplate, type SandboxApp } from '../helpers/sandbox.ts';

const basic = `Basic ${Buffer.from('sandbox-key:sandbox-secret').toString('base64')}`;
const WA = 'message.template_message.channel_template.WHATSAPP';
const wa = (ref: Record<string, unknown>) => ({ template_message: { channel_template: { WHATSAPP: { template_id: 'order_update', language_code: 'en_US', ...ref } } } });
const orderParameters = {
  'header[1]text': 'A-1', 'body[1]text': 'A-1', 'body[2]text': 'shipped', 'button[0]quick_reply[1]payload': 'track', 'button[1]quick_reply[1]payload': 'stop',
};

describe('templates: the catalogue read from Sinch, and sends checked against it before Sinch', () => {
  let s: SandboxApp;
  before(async () => { s = await startSandboxApp({ whatsappWindowCheck: false }); });
  after(() => s.close());

  const catalogue = (query = '') => call(s.app, 'GET', `/api/v1/projects/${s.project.id}/integrations/${s.integrationId}/templates${query}`, s.project.memberToken);
  /** Creates an omni-channel template through the sandbox's Template Management API v2, as one would at Sinch. */
  async function createOmni(body: unknown): Promise<void> {
    const res = await fetch(`${s.baseUrl}/sandbox/v2/projects/sandbox-project/templates`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 200, await res.text());
  }

  test('lists the approved WhatsApp templates with language, category and parameters; cached until refreshed', async () => {
    const first = await catalogue();
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(first.body.whatsapp.map((t: { name: string; language: string }) => `${t.name}/${t.language}`), ['order_update/en_US', 'welcome/en_US', 'welcome/pt_BR']);
    const order = first.body.whatsapp[0];
    assert.equal(order.category, 'UTILITY');
    assert.deepEqual(order.parameters, Object.keys(orderParameters));
    assert.equal(order.body, 'Your order {{1}} is now {{2}}.');
    assert.deepEqual(first.body.omni, []);

    await createOmni({ id: 'spring', translations: [{ language_code: 'en-US', text_message: { text: 'Hi ${name}' } }] });
    await s.control('PUT', '/templates/paused_promo/en_US', { body: 'Sale {{1}}', category: 'MARKETING', state: 'PAUSED' });
    const cached = await catalogue();
    assert.deepEqual(cached.body.omni, [], 'served from the cache');
    assert.equal(cached.body.fetched_at, first.body.fetched_at);
    const fresh = await catalogue('?refresh=true');
    assert.equal(fresh.status, 200);
    assert.deepEqual(fresh.body.omni.map((t: { id: string }) => t.id), ['spring']);
    assert.equal(fresh.body.omni[0].translations[0].whatsapp, null);
    assert.ok(!fresh.body.whatsapp.some((t: { name: string }) => t.name === 'paused_promo'), 'only approved templates');
  });

  test('a send naming an unknown template, language or leaving out a parameter is refused with 400 before Sinch', async () => {
    const before = (await s.control('GET', '/messages')).messages.length;
    const unknown = await s.send({ channel: 'whatsapp', to: '+46732001122', message: wa({ template_id: 'order_updates', parameters: orderParameters }) });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.field, `${WA}.template_id`);
    assert.match(unknown.body.error.message, /order_updates is not an approved WhatsApp template.*approved templates: order_update \(en_US\), welcome \(en_US, pt_BR\)/);
    const language = await s.send({ channel: 'whatsapp', to: '+46732001122', message: wa({ language_code: 'pt_BR', parameters: orderParameters }) });
    assert.equal(language.status, 400);
    assert.equal(language.body.error.field, `${WA}.language_code`);
    assert.match(language.body.error.message, /pt_BR is not a language of the WhatsApp template order_update; its languages: en_US/);
    const missing = await s.send({ channel: 'whatsapp', to: '+46732001122', message: wa({ parameters: { 'body[1]text': 'A-1' } }) });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.field, `${WA}.parameters`);
    assert.match(missing.body.error.message, /lacks header\[1\]text, body\[2\]text, .*takes the parameters header\[1\]text, body\[1\]text, body\[2\]text, button\[0\]quick_reply\[1\]payload, button\[1\]quick_reply\[1\]payload/);
    assert.equal((await s.control('GET', '/messages')).messages.length, before, 'nothing reached Sinch');

    const ok = await s.send({ channel: 'whatsapp', to: '+46732001122', message: wa({ parameters: orderParameters }) });
    assert.equal(ok.status, 202, JSON.stringify(ok.body));
  });

  test('each item of a batch is checked, naming its index', async () => {
    const r = await call(s.app, 'POST', `/api/v1/projects/${s.project.id}/messages:batch`, s.project.memberToken, {
      messages: [
        { channel: 'whatsapp', to: '+46732001122', message: whatsappTemplate },
        { channel: 'whatsapp', to: '+46732001123', message: wa({}) },
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.data[0].status, 202);
    assert.equal(r.body.data[1].status, 400);
    assert.equal(r.body.data[1].error.field, `messages[1].${WA}.parameters`);
  });

  test('a thread reply is checked too', async () => {
    await s.control('POST', '/apps/sandbox-app/inbound', { identity: '46732001124', text: 'hello' });
    let conversationId: string | undefined;
    while (conversationId === undefined) {
      const list = await call(s.app, 'GET', `/api/v1/projects/${s.project.id}/conversations`, s.project.memberToken);
      conversationId = list.body.data.find((c: { phone: string }) => c.phone === '+46732001124')?.id;
      if (conversationId === undefined) await new Promise((r) => setTimeout(r, 20));
    }
    const r = await call(s.app, 'POST', `/api/v1/projects/${s.project.id}/conversations/${conversationId}/messages`, s.project.memberToken, { message: wa({ template_id: 'nope' }) });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.field, `${WA}.template_id`);
  });

  test('a campaign naming an unknown template is refused when written', async () => {
    const r = await call(s.app, 'POST', `/api/v1/projects/${s.project.id}/campaigns`, s.project.adminToken, {
      name: 'Spring', channel: 'whatsapp', content: wa({ template_id: 'nope' }), audience: { all: true },
    });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.error.field, 'content.template_message.channel_template.WHATSAPP.template_id');
  });

  test('an omni-channel template goes on WhatsApp through its WHATSAPP override; without one it is refused', async () => {
    await createOmni({
      id: 'welcome_omni', default_translation: 'en-US',
      translations: [{
        language_code: 'en-US', text_message: { text: 'Hi ${name}' }, variables: [{ key: 'name' }],
        channel_template_overrides: { WHATSAPP: { template_reference: { template_id: 'welcome', version: '1', language_code: 'en_US' }, parameter_mappings: { 'body[1]text': 'name' } } },
      }],
    });
    await catalogue('?refresh=true');
    const omni = (ref: Record<string, unknown>) => ({ template_message: { omni_template: { template_id: 'welcome_omni', version: 'latest', ...ref } } });
    const missing = await s.send({ channel: 'whatsapp', to: '+46732001126', message: omni({}) });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.field, 'message.template_message.omni_template.parameters');
    assert.match(missing.body.error.message, /lacks name/);
    const noOverride = await s.send({ channel: 'whatsapp', to: '+46732001126', message: { template_message: { omni_template: { template_id: 'spring', version: 'latest', parameters: { name: 'Ana' } } } } });
    assert.equal(noOverride.status, 400);
    assert.match(noOverride.body.error.message, /has no WHATSAPP override in en-US/);

    const r = await s.send({ channel: 'whatsapp', to: '+46732001126', message: omni({ parameters: { name: 'Ana' } }) });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const m = await s.waitForMessage(r.body.id, (x) => x.status === 'read');
    assert.equal(m.error, null);
  });
});
