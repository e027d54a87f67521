/**
 * The real process (`node src/main.ts`) with its built-in sandbox, restarted: the sandbox keeps its state in
 * DATA_DIR like the service, so a restart changes nothing a user can see. A WhatsApp window opened by a customer's
 * message before the restart still lets a free-form message through after it, and a message in flight at the
 * restart goes on to delivered and read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../bench/lib/proc.ts';
import { sandboxIntegration } from '../helpers/sandbox.ts';
import { startService } from '../helpers/service.ts';

const ADMIN = 'admin-token-for-the-sandbox-restart-test-0123456789';

const start = (dataDir: string, port: number) => startService({ dataDir, port, env: { ADMIN_TOKEN: ADMIN } });

test('a restart of the service keeps the sandbox: an open WhatsApp window, and a message in flight that goes on to read', { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mm-sandbox-restart-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const api = async (method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const r = await fetch(`${base}${url}`, {
      method, headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    return { status: r.status, body: text === '' ? undefined : JSON.parse(text) };
  };
  let service = await start(dataDir, port);
  try {
    const project = await api('POST', '/api/v1/projects', { name: 'Restart' });
    assert.equal(project.status, 201, JSON.stringify(project.body));
    const integration = await api('POST', `/api/v1/projects/${project.body.id}/integrations`, sandboxIntegration);
    assert.equal(integration.status, 201, JSON.stringify(integration.body));
    await api('PUT', `/api/v1/projects/${project.body.id}/settings/channels`, { whatsapp_integration_id: integration.body.id, rcs_integration_id: integration.body.id });
    const send = async (to: string, text: string): Promise<string> => {
      const r = await api('POST', `/api/v1/projects/${project.body.id}/messages`, { channel: 'whatsapp', to, message: { text_message: { text } } });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      return r.body.id as string;
    };
    const waitFor = async (id: string, statuses: string[], timeoutMs = 30_000): Promise<any> => {
      let last: any;
      for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
        last = (await api('GET', `/api/v1/projects/${project.body.id}/messages/${id}`)).body;
        if (statuses.includes(last.status)) return last;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`message ${id} never reached ${statuses.join('/')}; last: ${JSON.stringify(last)}\n${service.output().slice(-3000)}`);
    };

    // The customers write first (the sandbox's phone): their WhatsApp windows open, in the sandbox and in the service.
    for (const identity of ['46732001201', '46732001202']) {
      const inbound = await fetch(`${base}/sandbox/_emulator/apps/sandbox-app/inbound`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity, text: 'Hello?' }),
      });
      assert.equal(inbound.status, 200);
    }
    // The service learns of them through the sandbox's callbacks: wait until it knows both windows are open.
    for (const phone of ['%2B46732001201', '%2B46732001202']) {
      for (const deadline = Date.now() + 30_000; ;) {
        const customer = await api('GET', `/api/v1/projects/${project.body.id}/customers/${phone}`);
        if (customer.status === 200 && customer.body.whatsapp_window?.open === true) break;
        if (Date.now() > deadline) throw new Error(`the service never saw ${phone}'s message: ${JSON.stringify(customer.body)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    // A message in flight: handed to WhatsApp (sent), its delivery a few seconds away when the service stops.
    const knobs = await fetch(`${base}/sandbox/_emulator/apps/sandbox-app/knobs`, {
      method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ delivered_delay_ms: 4000, read_delay_ms: 200 }),
    });
    assert.equal(knobs.status, 200);
    const inFlight = await send('+46732001201', 'Your order is on its way');
    await waitFor(inFlight, ['sent']);

    assert.equal(await service.stop(), 0, service.output());
    service = await start(dataDir, port);

    const read = await waitFor(inFlight, ['read', 'failed']);
    assert.equal(read.status, 'read', JSON.stringify(read));
    // The window is still open in the sandbox: a free-form message goes through to read.
    const answer = await waitFor(await send('+46732001202', 'We open at 9.'), ['read', 'failed']);
    assert.equal(answer.status, 'read', JSON.stringify(answer));
  } finally {
    await service.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
