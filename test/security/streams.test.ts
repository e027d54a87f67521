/**
 * Live streams end when their token is revoked — at once on the instance that revoked it, within seconds on
 * another instance sharing the database — and one token may hold at most STREAMS_PER_TOKEN streams at once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '../../src/db/database.ts';
import { createEventsRepo, type EventRow } from '../../src/db/repos/events-repo.ts';
import { createId } from '../../src/lib/ids.ts';
import { call, sampleIntegration } from '../helpers/app.ts';
import { startInstances, waitFor } from './helpers.ts';

/** An SSE stream read over real HTTP: what arrived, when it ended. */
async function openStream(url: string, token: string | { cookie: string }) {
  const controller = new AbortController();
  const headers = typeof token === 'string' ? { authorization: `Bearer ${token}` } : token;
  const res = await fetch(url, { headers, signal: controller.signal });
  let text = '';
  let endedAt: number | undefined;
  const done = (async () => {
    if (res.body === null) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body) text += decoder.decode(chunk as Uint8Array, { stream: true });
    } catch {
      // aborted by the test
    }
    endedAt = Date.now();
  })();
  return {
    status: res.status,
    headers: res.headers,
    body: async () => { await done; return text; },
    text: () => text,
    ids: () => [...text.matchAll(/^id: (\S+)$/gm)].map((m) => m[1]!),
    endedAt: () => endedAt,
    done,
    close: async () => { controller.abort(); await done; },
  };
}

async function addEvent(db: Db, projectId: string): Promise<string> {
  const id = createId('evt');
  const row: EventRow = {
    id, project_id: projectId, event: 'campaign', ts: Date.now() / 1000, status: 'delivered', action_type: 'whatsapp', campaign_id: null,
    recipient: '+46732001122', message_id: 'msg_x', integration_id: 'int_x', dedupe_key: `stream:${id}`,
    properties_json: JSON.stringify({ status: 'delivered' }), recorded_at: new Date().toISOString(),
  };
  await createEventsRepo(db.kysely, db).insertMany(db.kysely, [row]);
  return id;
}

describe('live streams and revoked tokens', () => {
  let cluster: Awaited<ReturnType<typeof startInstances>>;
  before(async () => { cluster = await startInstances([{ ROLE: 'api' }, { ROLE: 'api' }]); });
  after(() => cluster.close());

  async function projectWithMember(name: string) {
    const a = cluster.instances[0]!;
    const p = await call(a.app, 'POST', '/api/v1/projects', cluster.adminToken, { name });
    const member = await call(a.app, 'POST', `/api/v1/projects/${p.body.id as string}/tokens`, cluster.adminToken, { name: 'reader', role: 'member' });
    return { id: p.body.id as string, token: member.body.token as string, tokenId: member.body.id as string };
  }

  for (const where of ['the same instance', 'another instance'] as const) {
    test(`revoked on ${where}: the stream ends within seconds and carries no event after the revocation`, async () => {
      const [a, b] = cluster.instances as [typeof cluster.instances[0], typeof cluster.instances[0]];
      const p = await projectWithMember(`revoke on ${where}`);
      const streaming = where === 'the same instance' ? a : b;
      const stream = await openStream(`${streaming.baseUrl}/api/v1/projects/${p.id}/events/stream`, p.token);
      try {
        assert.equal(stream.status, 200);
        const before = await addEvent(a.db, p.id);
        await waitFor('the event before the revocation', () => stream.ids().includes(before), 10_000);

        const revoked = await call(a.app, 'DELETE', `/api/v1/projects/${p.id}/tokens/${p.tokenId}`, cluster.adminToken);
        assert.equal(revoked.status, 204);
        const revokedAt = Date.now();
        const seenAtRevocation = stream.ids().length;
        const afterRevocation = await addEvent(a.db, p.id);

        await waitFor('the stream to end', () => stream.endedAt() !== undefined, 8000);
        assert.ok(stream.endedAt()! - revokedAt < (where === 'the same instance' ? 1000 : 6000), `ended ${stream.endedAt()! - revokedAt} ms after the revocation`);
        assert.ok(!stream.ids().includes(afterRevocation), 'no event recorded after the revocation');
        assert.equal(stream.ids().length, seenAtRevocation, 'nothing after the 204');
        // And the token is refused from now on, on both instances.
        for (const i of cluster.instances) {
          assert.equal((await fetch(`${i.baseUrl}/api/v1/projects/${p.id}/events/stream`, { headers: { authorization: `Bearer ${p.token}` } })).status, 401);
        }
      } finally {
        await stream.close();
      }
    });
  }

  test('a console session\'s stream ends when it signs out, on another instance within seconds', async () => {
    const [a, b] = cluster.instances as [typeof cluster.instances[0], typeof cluster.instances[0]];
    const p = await projectWithMember('session stream');
    const first = await call(a.app, 'POST', '/api/v1/setup/first-admin', cluster.adminToken, { email: 'ops@example.com', password: 'a long enough password' });
    assert.ok(first.status === 201 || first.status === 409, JSON.stringify(first.body));
    const signedIn = await a.app.inject({ method: 'POST', url: '/api/v1/session', payload: { email: 'ops@example.com', password: 'a long enough password' } });
    assert.equal(signedIn.statusCode, 200, signedIn.body);
    const cookie = String(signedIn.headers['set-cookie']).split(';')[0]!;
    const stream = await openStream(`${b.baseUrl}/api/v1/projects/${p.id}/events/stream`, { cookie });
    try {
      assert.equal(stream.status, 200);
      const before = await addEvent(a.db, p.id);
      await waitFor('the event before signing out', () => stream.ids().includes(before), 10_000);
      const out = await a.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie, 'x-csrf-token': JSON.parse(signedIn.body).csrf_token as string } });
      assert.equal(out.statusCode, 204);
      await waitFor('the stream to end after signing out', () => stream.endedAt() !== undefined, 8000);
      assert.equal((await fetch(`${b.baseUrl}/api/v1/projects/${p.id}/events/stream`, { headers: { cookie } })).status, 401);
    } finally {
      await stream.close();
    }
  });

  test('a campaign report stream ends too', async () => {
    const a = cluster.instances[0]!;
    const p = await projectWithMember('report stream');
    const integration = await call(a.app, 'POST', `/api/v1/projects/${p.id}/integrations`, cluster.adminToken, sampleIntegration);
    const campaign = await call(a.app, 'POST', `/api/v1/projects/${p.id}/campaigns`, cluster.adminToken, {
      name: 'c', channel: 'whatsapp', integration_id: integration.body.id, audience: { filter: { tag: 'vip' } }, content: { text_message: { text: 'hi' } },
    });
    assert.equal(campaign.status, 201, JSON.stringify(campaign.body));
    const stream = await openStream(`${a.baseUrl}/api/v1/projects/${p.id}/campaigns/${campaign.body.id as string}/report/stream`, p.token);
    try {
      assert.equal(stream.status, 200);
      await waitFor('the first report', () => stream.text().includes('event: report'));
      assert.equal((await call(a.app, 'DELETE', `/api/v1/projects/${p.id}/tokens/${p.tokenId}`, cluster.adminToken)).status, 204);
      await waitFor('the report stream to end', () => stream.endedAt() !== undefined, 3000);
    } finally {
      await stream.close();
    }
  });
});

describe('streams per token', () => {
  let cluster: Awaited<ReturnType<typeof startInstances>>;
  before(async () => { cluster = await startInstances([{ ROLE: 'api', STREAMS_PER_TOKEN: '2' }]); });
  after(() => cluster.close());

  test('one more than STREAMS_PER_TOKEN: 429 too_many_streams in the one error shape; other tokens unaffected; a closed one frees its place', async () => {
    const a = cluster.instances[0]!;
    const p = await call(a.app, 'POST', '/api/v1/projects', cluster.adminToken, { name: 'cap' });
    const tokens = await Promise.all(['one', 'two'].map(async (name) =>
      (await call(a.app, 'POST', `/api/v1/projects/${p.body.id as string}/tokens`, cluster.adminToken, { name, role: 'member' })).body.token as string));
    const url = `${a.baseUrl}/api/v1/projects/${p.body.id as string}/events/stream`;
    const open = [await openStream(url, tokens[0]!), await openStream(url, tokens[0]!)];
    try {
      assert.deepEqual(open.map((s) => s.status), [200, 200]);
      const third = await fetch(url, { headers: { authorization: `Bearer ${tokens[0]!}` } });
      assert.equal(third.status, 429);
      const body = await third.json() as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'too_many_streams');
      assert.match(body.error.message, /STREAMS_PER_TOKEN/);
      const other = await openStream(url, tokens[1]!);
      assert.equal(other.status, 200, 'the cap is per token');
      await other.close();
      await open[0]!.close();
      const again = await waitFor('a free place after closing a stream', async () => {
        const s = await openStream(url, tokens[0]!);
        if (s.status === 200) return s;
        await s.close();
        return undefined;
      });
      open.push(again);
    } finally {
      for (const s of open) await s.close();
    }
  });
});
