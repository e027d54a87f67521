import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP, basic, call, FAST, openWindow, PROJECT, send, startEmulator, type Running } from './helpers.ts';

let emu: Running;
before(async () => {
  emu = await startEmulator(FAST);
  const created = await call('POST', `${emu.base}/v2/projects/${PROJECT}/templates`, {
    id: 'spring',
    default_translation: 'en-US',
    translations: [
      {
        language_code: 'en-US',
        text_message: { text: 'Hi ${name}, our spring sale starts now' },
        channel_template_overrides: {
          WHATSAPP: { template_reference: { template_id: 'welcome', version: '1', language_code: 'en_US' }, parameter_mappings: { 'body[1]text': 'name' } },
        },
      },
      { language_code: 'pt-BR', text_message: { text: 'Oi ${name}, a promoção começou' } },
    ],
  }, { authorization: basic() });
  assert.equal(created.status, 200, JSON.stringify(created.body));
});
after(async () => { await emu.close(); });

/** Waits until the emulator settles the message, then returns its state and reason code. */
async function outcome(messageId: string): Promise<{ state: string; code: string | undefined }> {
  for (;;) {
    const msg = emu.emulator.state.messages.get(messageId);
    if (msg?.settled === true) return { state: msg.state, code: msg.reason?.code };
    await sleep(5);
  }
}

const omni = (identity: string, ref: Record<string, unknown>) => ({
  app_id: APP,
  recipient: { identified_by: { channel_identities: [{ channel: 'WHATSAPP', identity }] } },
  message: { template_message: { omni_template: { template_id: 'spring', version: 'latest', ...ref } } },
});

async function sendOmni(identity: string, ref: Record<string, unknown>): Promise<{ state: string; code: string | undefined }> {
  const r = await send(emu.base, omni(identity, ref));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return outcome(r.body.message_id as string);
}

test('an omni template with a WHATSAPP override goes as that WhatsApp template, outside the 24-hour window too', async () => {
  assert.deepEqual(await sendOmni('46700005001', { language_code: 'en-US', parameters: { name: 'Ana' } }), { state: 'READ', code: undefined });
  // The default translation is used when no language is named.
  assert.deepEqual(await sendOmni('46700005002', { parameters: { name: 'Ana' } }), { state: 'READ', code: undefined });
});

test('the override is checked like a WhatsApp template: a mapped variable left out is missing', async () => {
  assert.deepEqual(await sendOmni('46700005003', { language_code: 'en-US', parameters: {} }), { state: 'FAILED', code: 'TEMPLATE_INSUFFICIENT_PARAMETERS' });
});

test('an omni translation without a WHATSAPP override is a free-form message on WhatsApp: only inside the window', async () => {
  assert.deepEqual(await sendOmni('46700005004', { language_code: 'pt-BR', parameters: { name: 'Ana' } }), { state: 'FAILED', code: 'OUTSIDE_ALLOWED_SENDING_WINDOW' });
  await openWindow(emu.base, '46700005005');
  assert.deepEqual(await sendOmni('46700005005', { language_code: 'pt-BR', parameters: { name: 'Ana' } }), { state: 'READ', code: undefined });
});

test('an unknown omni template, version or translation fails as Sinch reports it', async () => {
  assert.deepEqual(await sendOmni('46700005006', { template_id: 'nope' }), { state: 'FAILED', code: 'TEMPLATE_NOT_FOUND' });
  assert.deepEqual(await sendOmni('46700005007', { version: '7', parameters: { name: 'Ana' } }), { state: 'FAILED', code: 'TEMPLATE_NON_EXISTING_LANGUAGE_OR_VERSION' });
  assert.deepEqual(await sendOmni('46700005008', { language_code: 'de-DE', parameters: { name: 'Ana' } }), { state: 'FAILED', code: 'TEMPLATE_NON_EXISTING_LANGUAGE_OR_VERSION' });
});

test('Templates v2 refuses a second template with the same id and a translation without content', async () => {
  const again = await call('POST', `${emu.base}/v2/projects/${PROJECT}/templates`, { id: 'spring', translations: [{ language_code: 'en-US', text_message: { text: 'x' } }] }, { authorization: basic() });
  assert.equal(again.status, 409);
  const empty = await call('POST', `${emu.base}/v2/projects/${PROJECT}/templates`, { id: 'empty', translations: [{ language_code: 'en-US' }] }, { authorization: basic() });
  assert.equal(empty.status, 400);
  assert.match(empty.body.error.message, /translations\[0\]/);
});

test('the Provisioning API lists the WhatsApp templates with their state, category and components, page by page', async () => {
  const put = await call('PUT', `${emu.base}/_emulator/templates/paused_promo/en_US`, { body: 'Sale {{1}}', category: 'MARKETING', state: 'PAUSED' });
  assert.equal(put.status, 200);
  const url = `${emu.base}/v1/projects/${PROJECT}/whatsapp/templates`;
  const first = await call('GET', `${url}?pageSize=2&filterStates=APPROVED`, undefined, { authorization: basic() });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.totalSize, 3);
  assert.deepEqual(first.body.templates.map((t: { name: string; language: string }) => `${t.name}/${t.language}`), ['order_update/en_US', 'welcome/en_US']);
  const orderUpdate = first.body.templates[0];
  assert.equal(orderUpdate.state, 'APPROVED');
  assert.equal(orderUpdate.category, 'UTILITY');
  assert.deepEqual(orderUpdate.details.components.map((c: { type: string }) => c.type), ['HEADER', 'BODY', 'FOOTER', 'BUTTONS']);
  const second = await call('GET', `${url}?pageSize=2&filterStates=APPROVED&pageToken=${first.body.nextPageToken as string}`, undefined, { authorization: basic() });
  assert.deepEqual(second.body.templates.map((t: { name: string; language: string }) => `${t.name}/${t.language}`), ['welcome/pt_BR']);
  assert.equal(second.body.nextPageToken, '');
  const paused = await call('GET', `${url}?filterStates=PAUSED`, undefined, { authorization: basic() });
  assert.deepEqual(paused.body.templates.map((t: { name: string }) => t.name), ['paused_promo']);
  const noAuth = await call('GET', url);
  assert.equal(noAuth.status, 401);
});

test('a WhatsApp template that is not APPROVED cannot be sent', async () => {
  const r = await send(emu.base, {
    app_id: APP,
    recipient: { identified_by: { channel_identities: [{ channel: 'WHATSAPP', identity: '46700005009' }] } },
    message: { template_message: { channel_template: { WHATSAPP: { template_id: 'paused_promo', language_code: 'en_US', parameters: { 'body[1]text': 'x' } } } } },
  });
  assert.equal(r.status, 200);
  assert.deepEqual(await outcome(r.body.message_id as string), { state: 'FAILED', code: 'TEMPLATE_NON_EXISTING_LANGUAGE_OR_VERSION' });
});
