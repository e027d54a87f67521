/**
 * An integration's previous webhook secret (accepted for 24 h after a change) can be revoked at once: callbacks
 * signed with it are refused immediately on the instance that revoked it and within seconds on another one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createId } from '../../src/lib/ids.ts';
import { call, sampleIntegration } from '../helpers/app.ts';
import { deliveryReport, sinchHeaders } from '../helpers/signing.ts';
import { startInstances, waitFor } from './helpers.ts';

const hour = 3_600_000;

describe('revoking an integration\'s previous webhook secret', () => {
  let cluster: Awaited<ReturnType<typeof startInstances>>;
  before(async () => { cluster = await startInstances([{ ROLE: 'api' }, { ROLE: 'api' }]); });
  after(() => cluster.close());

  test('accepted during the overlap; refused at once after the revocation, here and on another instance', async () => {
    const [a, b] = cluster.instances as [typeof cluster.instances[0], typeof cluster.instances[0]];
    const p = await call(a.app, 'POST', '/api/v1/projects', cluster.adminToken, { name: 'P' });
    const base = `/api/v1/projects/${p.body.id as string}/integrations`;
    const created = await call(a.app, 'POST', base, cluster.adminToken, { ...sampleIntegration, webhook_secret: 'old-webhook-secret-1' });
    assert.equal(created.status, 201);
    assert.equal(created.body.previous_webhook_secret_expires_at, null);
    const path = `${base}/${created.body.id as string}`;
    const patched = await call(a.app, 'PATCH', path, cluster.adminToken, { webhook_secret: 'new-webhook-secret-2' });
    assert.ok(Date.parse(patched.body.previous_webhook_secret_expires_at as string) > Date.now() + 23 * hour);

    const callbackPath = new URL(created.body.callback_url as string).pathname;
    const post = async (instance: typeof a, key: string) => {
      const body = deliveryReport(`01J${createId('x').slice(-23).toUpperCase()}`, 'DELIVERED');
      return (await fetch(`${instance.baseUrl}${callbackPath}`, { method: 'POST', headers: sinchHeaders(key, body), body })).status;
    };
    assert.equal(await post(a, 'old-webhook-secret-1'), 200, 'the previous secret is accepted during the overlap');
    assert.equal(await post(b, 'old-webhook-secret-1'), 200);

    const revoked = await call(a.app, 'POST', `${path}/revoke-previous-webhook-secret`, cluster.adminToken);
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.previous_webhook_secret_expires_at, null);
    assert.equal(revoked.body.webhook_secret, undefined);
    assert.equal(await post(a, 'old-webhook-secret-1'), 401, 'refused at once on the instance that revoked it');
    await waitFor('the other instance to refuse it', async () => (await post(b, 'old-webhook-secret-1')) === 401, 5000);
    assert.equal(await post(a, 'new-webhook-secret-2'), 200);
    assert.equal(await post(b, 'new-webhook-secret-2'), 200);

    const member = await call(a.app, 'POST', `/api/v1/projects/${p.body.id as string}/tokens`, cluster.adminToken, { name: 'm', role: 'member' });
    assert.equal((await call(a.app, 'POST', `${path}/revoke-previous-webhook-secret`, member.body.token as string)).status, 403);
  });
});
