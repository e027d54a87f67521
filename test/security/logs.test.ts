/**
 * Request logs never hold a token: query strings (where `?access_token=` and `?token=` get pasted) are redacted in
 * every logged URL, callback tokens in callback paths too, while the request itself is still logged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { connect } from 'node:net';
import { call, createProjectWithTokens, sampleIntegration, startTestApp } from '../helpers/app.ts';

test('a token in ?access_token= or ?token= is refused and never logged; the URLs are logged with the query redacted', async () => {
  const logs: string[] = [];
  const logStream = new Writable({ write(chunk: Buffer, _enc, cb) { logs.push(chunk.toString()); cb(); } });
  const t = await startTestApp({ env: { LOG_LEVEL: 'trace' }, logStream, listen: true });
  try {
    const p = await createProjectWithTokens(t, 'Logs');
    const integration = await call(t.app, 'POST', `/api/v1/projects/${p.id}/integrations`, p.adminToken, sampleIntegration);
    const callbackToken = (integration.body.callback_url as string).split('/').pop()!;
    const secrets = [t.adminToken, p.adminToken, p.memberToken, callbackToken];

    for (const [url, expected] of [
      [`/api/v1/projects?access_token=${t.adminToken}`, 401],
      [`/api/v1/projects/${p.id}/events?token=${p.adminToken}&limit=5`, 401],
      [`/api/v1/projects/${p.id}/events/stream?access_token=${p.memberToken}`, 401],
      [`/healthz?token=${t.adminToken}`, 200],
      [`/nowhere?access_token=${t.adminToken}`, 404],
      [`/callbacks/sinch/${callbackToken}?token=${p.adminToken}`, 401],
    ] as const) {
      assert.equal((await fetch(`${t.baseUrl}${url}`, { method: url.startsWith('/callbacks') ? 'POST' : 'GET', ...(url.startsWith('/callbacks') ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}) })).status, expected, url);
    }
    // A URL Fastify's router refuses (bad percent-encoding) is logged the same way.
    await new Promise<void>((resolve) => {
      const socket = connect(Number(new URL(t.baseUrl!).port), '127.0.0.1', () => socket.end(`GET /api/v1/%zz?access_token=${t.adminToken} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
      socket.on('close', () => resolve());
      socket.resume();
    });
    await t.app.close();

    const text = logs.join('');
    for (const secret of secrets) assert.ok(!text.includes(secret), 'no token in the logs');
    const urls = logs.map((l) => JSON.parse(l) as { req?: { url?: string } }).map((l) => l.req?.url).filter((u): u is string => u !== undefined);
    for (const logged of ['/api/v1/projects?[redacted]', `/api/v1/projects/${p.id}/events?[redacted]`, '/healthz?[redacted]', '/nowhere?[redacted]', '/callbacks/sinch/[redacted]?[redacted]', '/api/v1/%zz?[redacted]']) {
      assert.ok(urls.includes(logged), `${logged} was logged (got ${JSON.stringify([...new Set(urls)])})`);
    }
    assert.ok(urls.every((u) => !/[?&][^[]/.test(u)), 'no query string survives');
  } finally {
    await t.close();
  }
});
