/**
 * The sandbox's control API (and its Sinch API) answers only this machine by default: a request from another
 * address, through a proxy, from another web page or to a rebound host name is refused and changes nothing; the
 * README's walk-through (curl on localhost) and the phone page in a browser on localhost keep working; the admin
 * token opens the control API from elsewhere; SANDBOX_ACCESS=open opens it to all.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call } from '../helpers/app.ts';
import { startSandboxApp, type SandboxApp } from '../helpers/sandbox.ts';
import { waitFor } from './helpers.ts';

const remote = '203.0.113.7';

describe('sandbox access, default (SANDBOX_ACCESS=local)', () => {
  let s: SandboxApp;
  before(async () => { s = await startSandboxApp(); });
  after(() => s.close());

  const inbound = (phone: string) => ({ identity: phone.slice(1), channel: 'WHATSAPP', text: 'STOP' });
  const customer = async (phone: string) => call(s.app, 'GET', `/api/v1/projects/${s.project.id}/customers/${encodeURIComponent(phone)}`, s.project.memberToken);

  test('from another machine: 403 in the one error shape, and nothing is injected, created or listed', async () => {
    const phone = '+46732300001';
    const attempts = [
      { method: 'POST' as const, url: '/sandbox/_emulator/apps/sandbox-app/inbound', payload: inbound(phone) },
      { method: 'PUT' as const, url: '/sandbox/_emulator/apps/evil-app', payload: { project_id: 'p', access_key: 'k', access_secret: 's' } },
      { method: 'GET' as const, url: '/sandbox/_emulator/callbacks' },
      { method: 'GET' as const, url: '/sandbox/_emulator/apps' },
      { method: 'POST' as const, url: '/sandbox/_emulator/reset' },
      { method: 'POST' as const, url: '/sandbox/v1/projects/sandbox-project/webhooks', payload: { app_id: 'sandbox-app', target: 'http://127.0.0.1:9/x', triggers: ['MESSAGE_DELIVERY'] } },
      { method: 'POST' as const, url: '/sandbox/oauth2/token', payload: 'grant_type=client_credentials', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    ];
    for (const a of attempts) {
      const res = await s.app.inject({ ...a, remoteAddress: remote, headers: { 'content-type': 'application/json', ...a.headers } });
      assert.equal(res.statusCode, 403, `${a.method} ${a.url}`);
      assert.equal(res.json().error.code, 'sandbox_local_only');
      assert.match(res.json().error.message, /SANDBOX_ACCESS=open/);
      assert.ok(!res.body.includes('/callbacks/sinch/'), 'no callback URL leaks');
    }
    assert.equal(s.emulator.state.apps.has('evil-app'), false, 'no app was created');
    assert.equal([...s.emulator.state.inbound.values()].length, 0, 'no inbound message was injected');
    assert.equal(s.emulator.state.webhooks.size, 1, 'only the integration\'s own webhook');
    assert.equal((await customer(phone)).status, 404, 'the customer was not opted out (not even created)');
  });

  test('from this machine but through a proxy, from another web page, or to a rebound host name: refused', async () => {
    const cases: Array<Record<string, string>> = [
      { 'x-forwarded-for': remote },
      { forwarded: `for=${remote}` },
      { 'x-real-ip': remote },
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { host: 'rebound.evil.example:3000' },
    ];
    for (const headers of cases) {
      const res = await s.app.inject({ method: 'POST', url: '/sandbox/_emulator/apps/sandbox-app/inbound', headers: { 'content-type': 'application/json', ...headers }, payload: inbound('+46732300002') });
      assert.equal(res.statusCode, 403, JSON.stringify(headers));
    }
    // A form post from another site (a "simple" request the browser sends without asking) is refused too.
    const form = await s.app.inject({
      method: 'POST', url: '/sandbox/_emulator/apps/sandbox-app/inbound',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      payload: 'identity=46732300002&channel=WHATSAPP&text=STOP',
    });
    assert.equal(form.statusCode, 403);
    assert.equal([...s.emulator.state.inbound.values()].filter((i) => i.identity === '46732300002').length, 0);
  });

  test('the README walk-through works as written: curl on localhost injects a customer\'s reply', async () => {
    const phone = '+46732300003';
    // `curl -s localhost:3000/sandbox/_emulator/apps/sandbox-app/inbound -H "$JSON" -d '{…}'`: real HTTP from 127.0.0.1.
    const res = await fetch(`${s.baseUrl}/sandbox/_emulator/apps/sandbox-app/inbound`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identity: phone.slice(1), channel: 'WHATSAPP', text: 'Thanks! Opening hours?' }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const c = await waitFor('the customer of the inbound message', async () => { const r = await customer(phone); return r.status === 200 ? r.body : undefined; });
    assert.equal(c.phone, phone);
  });

  test('the phone page in a browser on localhost: the page and its same-origin data requests are served', async () => {
    const page = await fetch(`${s.baseUrl}/sandbox/phone/46732300003`, { headers: { 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate' } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>Sinch emulator · phone<\/title>/);
    // What the page's script sends (fetch from the page's own origin).
    const browser = { origin: s.baseUrl!, 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors' };
    const thread = await fetch(`${s.baseUrl}/sandbox/_emulator/phones/46732300003`, { headers: browser });
    assert.equal(thread.status, 200);
    assert.equal(((await thread.json()) as { number: string }).number, '46732300003');
    const reply = await fetch(`${s.baseUrl}/sandbox/_emulator/apps/sandbox-app/inbound`, {
      method: 'POST', headers: { ...browser, 'content-type': 'application/json' }, body: JSON.stringify({ identity: '46732300003', channel: 'WHATSAPP', text: 'typed on the phone page' }),
    });
    assert.equal(reply.status, 200);
    // The same page opened as http://localhost:PORT (the README's address) works the same way.
    const port = new URL(s.baseUrl!).port;
    const viaLocalhost = await s.app.inject({ method: 'GET', url: '/sandbox/_emulator/phones', headers: { host: `localhost:${port}`, origin: `http://localhost:${port}`, 'sec-fetch-site': 'same-origin' } });
    assert.equal(viaLocalhost.statusCode, 200);
  });

  test('the phone page itself is served to anyone (it is static; its data is not)', async () => {
    const res = await s.app.inject({ method: 'GET', url: '/sandbox/phone', remoteAddress: remote });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /^text\/html/);
    assert.equal((await s.app.inject({ method: 'GET', url: '/sandbox/_emulator/phones', remoteAddress: remote })).statusCode, 403);
  });

  test('the instance admin token opens the control API from another machine; a project token does not', async () => {
    const admin = await s.app.inject({ method: 'GET', url: '/sandbox/_emulator/apps', remoteAddress: remote, headers: { authorization: `Bearer ${s.adminToken}` } });
    assert.equal(admin.statusCode, 200);
    assert.ok(Array.isArray(admin.json().apps));
    const project = await s.app.inject({ method: 'GET', url: '/sandbox/_emulator/apps', remoteAddress: remote, headers: { authorization: `Bearer ${s.project.adminToken}` } });
    assert.equal(project.statusCode, 403);
  });
});

describe('sandbox access, SANDBOX_ACCESS=open', () => {
  let s: SandboxApp;
  before(async () => { s = await startSandboxApp({ env: { SANDBOX_ACCESS: 'open' } }); });
  after(() => s.close());

  test('anyone who can reach the port may use it (for a sandbox on a private network)', async () => {
    const res = await s.app.inject({
      method: 'POST', url: '/sandbox/_emulator/apps/sandbox-app/inbound', remoteAddress: remote,
      headers: { 'content-type': 'application/json' }, payload: { identity: '46732300009', channel: 'WHATSAPP', text: 'hello' },
    });
    assert.equal(res.statusCode, 200);
  });
});
