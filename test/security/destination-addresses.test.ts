/**
 * Event destinations reach public addresses only (SSRF): private, loopback, link-local, metadata and other
 * non-public addresses are refused however they are written, when saved and again at delivery (after DNS, on the
 * address connected to); redirects are not followed; `last_error` shows a status code or a plain reason, never what
 * the receiver answered. EVENT_DESTINATION_ALLOWED_NETWORKS opens chosen networks for on-premise receivers.
 * (No test here sends anything to an address outside this machine: refused addresses are refused before any connection.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Db } from '../../src/db/database.ts';
import { createEventsRepo, type EventRow } from '../../src/db/repos/events-repo.ts';
import { createId } from '../../src/lib/ids.ts';
import { call, createProjectWithTokens, startTestApp, type TestApp } from '../helpers/app.ts';
import { startInstances, waitFor } from './helpers.ts';

/** A receiver on 127.0.0.1 answering `status` (with `body` and `headers`); counts what it received. */
async function receiver(status = 200, body = 'ok', headers: Record<string, string> = {}) {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => { hits++; res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(body); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    hits: () => hits,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** Records one event of the project as the tracker would (the forwarder reads them by id). */
async function addEvent(db: Db, projectId: string): Promise<void> {
  const id = createId('evt');
  const row: EventRow = {
    id, project_id: projectId, event: 'campaign', ts: Date.now() / 1000, status: 'delivered', action_type: 'whatsapp', campaign_id: null,
    recipient: '+46732001122', message_id: 'msg_x', integration_id: 'int_x', dedupe_key: `sec:${id}`,
    properties_json: JSON.stringify({ status: 'delivered' }), recorded_at: new Date().toISOString(),
  };
  await createEventsRepo(db.kysely, db).insertMany(db.kysely, [row]);
}

const refused = [
  'https://127.0.0.1/hook', 'https://169.254.169.254/latest/meta-data/', 'https://10.0.0.1/', 'https://[::ffff:127.0.0.1]/',
  'https://127.1/', 'https://2130706433/', 'https://0x7f.1/', 'https://[::1]/', 'https://192.168.1.1/', 'https://172.16.0.1/',
  'https://100.100.100.200/', 'https://[fd00:ec2::254]/', 'https://[fe80::1]/', 'https://0.0.0.0/', 'https://[64:ff9b::a9fe:a9fe]/',
  'https://[2002:a9fe:a9fe::1]/', 'https://224.0.0.1/', 'http://localhost:8080/hook',
];

describe('destination addresses when saved (default: public only)', () => {
  let t: TestApp;
  let P: Awaited<ReturnType<typeof createProjectWithTokens>>;
  before(async () => {
    t = await startTestApp({ env: { ROLE: 'api' } }); // no worker: nothing is sent anywhere
    P = await createProjectWithTokens(t, 'P');
  });
  after(() => t.close());

  test('private, loopback, link-local, metadata and other non-public addresses are refused, however written', async () => {
    for (const url of refused) {
      const r = await call(t.app, 'POST', `/api/v1/projects/${P.id}/event-destinations`, P.adminToken, { name: 'x', url });
      assert.equal(r.status, 400, url);
      assert.equal(r.body.error.field, 'url', url);
      assert.match(r.body.error.message, /EVENT_DESTINATION_ALLOWED_NETWORKS/);
    }
    assert.equal((await call(t.app, 'GET', `/api/v1/projects/${P.id}/event-destinations`, P.adminToken)).body.data.length, 0);
  });

  test('a public address is accepted; PATCH to a private one is refused and changes nothing', async () => {
    const created = await call(t.app, 'POST', `/api/v1/projects/${P.id}/event-destinations`, P.adminToken, { name: 'public', url: 'https://93.184.216.34/hook' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const path = `/api/v1/projects/${P.id}/event-destinations/${created.body.id as string}`;
    const patched = await call(t.app, 'PATCH', path, P.adminToken, { url: 'https://169.254.169.254/' });
    assert.equal(patched.status, 400);
    assert.equal(patched.body.error.field, 'url');
    assert.equal((await call(t.app, 'GET', path, P.adminToken)).body.url, 'https://93.184.216.34/hook');
  });
});

describe('EVENT_DESTINATION_ALLOWED_NETWORKS', () => {
  let t: TestApp;
  let P: Awaited<ReturnType<typeof createProjectWithTokens>>;
  before(async () => {
    t = await startTestApp({ env: { ROLE: 'api', EVENT_DESTINATION_ALLOWED_NETWORKS: '127.0.0.0/8,10.20.0.0/16' } });
    P = await createProjectWithTokens(t, 'P');
  });
  after(() => t.close());

  test('opens exactly the networks named, nothing else', async () => {
    for (const url of ['https://127.0.0.1/hook', 'https://10.20.3.4/hook', 'https://[::ffff:127.0.0.1]/']) {
      assert.equal((await call(t.app, 'POST', `/api/v1/projects/${P.id}/event-destinations`, P.adminToken, { name: 'on-prem', url })).status, 201, url);
    }
    for (const url of ['https://10.0.0.1/', 'https://169.254.169.254/', 'https://[::1]/']) {
      assert.equal((await call(t.app, 'POST', `/api/v1/projects/${P.id}/event-destinations`, P.adminToken, { name: 'other', url })).status, 400, url);
    }
  });

  test('a setting that is not a list of networks stops the start with the rule', async () => {
    await assert.rejects(async () => {
      const started = await startTestApp({ env: { EVENT_DESTINATION_ALLOWED_NETWORKS: '10.0.0.0/33' } });
      await started.close(); // (it should not have started)
    }, /EVENT_DESTINATION_ALLOWED_NETWORKS must be comma-separated IP networks/);
  });
});

describe('destination addresses at delivery', () => {
  test('a destination saved where loopback was allowed is not delivered by an instance where it is not', async () => {
    const cluster = await startInstances([
      { ROLE: 'api', EVENT_DESTINATION_ALLOWED_NETWORKS: '127.0.0.0/8' },
      { ROLE: 'worker' },
    ]);
    const target = await receiver();
    try {
      const api = cluster.instances[0]!;
      const project = await call(api.app, 'POST', '/api/v1/projects', cluster.adminToken, { name: 'P' });
      const created = await call(api.app, 'POST', `/api/v1/projects/${project.body.id as string}/event-destinations`, cluster.adminToken, { name: 'rebound', url: target.url, start_from: 'beginning' });
      assert.equal(created.status, 201);
      await addEvent(api.db, project.body.id as string);
      const path = `/api/v1/projects/${project.body.id as string}/event-destinations/${created.body.id as string}`;
      const state = await waitFor('a refused delivery', async () => {
        const d = (await call(api.app, 'GET', path, cluster.adminToken)).body.delivery;
        return d.consecutive_failures > 0 ? d : undefined;
      });
      assert.match(state.last_error, /^address not allowed/);
      assert.equal(state.last_status_code, null);
      assert.equal(target.hits(), 0, 'nothing reached the loopback receiver');
      assert.ok(!String(state.last_error).includes('127.0.0.1'), 'no address in the error');
    } finally {
      await target.close();
      await cluster.close();
    }
  });
});

describe('what a receiver answers is never shown; redirects are not followed', () => {
  let t: TestApp;
  let P: Awaited<ReturnType<typeof createProjectWithTokens>>;
  before(async () => {
    t = await startTestApp({ env: { EVENT_DESTINATION_ALLOWED_NETWORKS: '127.0.0.0/8', WORKER_POLL_MS: '20' } });
    P = await createProjectWithTokens(t, 'P');
  });
  after(() => t.close());

  async function firstFailure(url: string) {
    const created = await call(t.app, 'POST', `/api/v1/projects/${P.id}/event-destinations`, P.adminToken, { name: 'x', url, start_from: 'beginning' });
    assert.equal(created.status, 201);
    await addEvent(t.database.db, P.id);
    const path = `/api/v1/projects/${P.id}/event-destinations/${created.body.id as string}`;
    const view = await waitFor('a failed delivery', async () => {
      const r = await call(t.app, 'GET', path, P.adminToken);
      return r.body.delivery.consecutive_failures > 0 ? r : undefined;
    });
    await call(t.app, 'DELETE', path, P.adminToken);
    return view;
  }

  test('an error answer shows its status code only, never its body (no banner reading)', async () => {
    const banner = await receiver(500, 'SSH-2.0-OpenSSH_9.6 internal-db-01 secret-banner');
    try {
      const view = await firstFailure(banner.url);
      assert.equal(view.body.delivery.last_error, 'HTTP 500');
      assert.equal(view.body.delivery.last_status_code, 500);
      assert.ok(!JSON.stringify(view.body).includes('secret-banner'));
    } finally {
      await banner.close();
    }
  });

  test('a redirect is a failure (HTTP 307) and its target receives nothing', async () => {
    const inside = await receiver();
    const redirect = await receiver(307, '', { location: inside.url });
    try {
      const view = await firstFailure(redirect.url);
      assert.equal(view.body.delivery.last_error, 'HTTP 307');
      assert.equal(inside.hits(), 0);
    } finally {
      await redirect.close();
      await inside.close();
    }
  });

  test('a closed port is told in plain words, without the address or port', async () => {
    const gone = await receiver();
    await gone.close();
    const view = await firstFailure(gone.url);
    assert.equal(view.body.delivery.last_error, 'request failed: connection refused');
  });
});
