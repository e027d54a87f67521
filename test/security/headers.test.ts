/**
 * Safety headers by kind of route: `nosniff` on every answer; HTML pages with their own Content-Security-Policy
 * (the phone page allows exactly its inline script and style, by hash) and never framed; API answers with a
 * policy that renders nothing and `Cache-Control: no-store`; Fastify's own errors in the one error shape, echoing
 * nothing of the request.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { registerConsole } from '../../src/http/console.ts';
import { call, createProjectWithTokens, sampleIntegration } from '../helpers/app.ts';
import { startSandboxApp, type SandboxApp } from '../helpers/sandbox.ts';

/** Sends raw bytes and returns the raw answer (status line, headers, body). */
function raw(baseUrl: string, request: string): Promise<string> {
  const { port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.end(request));
    let out = '';
    socket.on('data', (d: Buffer) => { out += d.toString('utf8'); });
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
  });
}

function parseRaw(answer: string) {
  const [head = '', ...rest] = answer.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
}

describe('security headers and framework errors', () => {
  let s: SandboxApp;
  const secretInUrl = 'mma_THIS_IS_A_SECRET_TOKEN_1234567890';
  before(async () => { s = await startSandboxApp({ env: { EVENT_DESTINATION_ALLOWED_NETWORKS: '127.0.0.0/8' } }); });
  after(() => s.close());

  test('nosniff on every kind of answer, including streams, errors, pages and the sandbox', async () => {
    const p = s.project;
    const urls = [
      '/healthz', '/api/v1/projects', `/api/v1/projects/${p.id}/messages/nope`, '/nowhere', '/docs', '/docs/json', '/docs/static/swagger-ui.css',
      '/sandbox/phone', '/sandbox/_emulator/apps', `/api/v1/projects/${p.id}/events/export`,
    ];
    for (const url of urls) {
      const res = await fetch(`${s.baseUrl}${url}`, { headers: { authorization: `Bearer ${p.adminToken}` }, redirect: 'manual' });
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', url);
      await res.arrayBuffer();
    }
    const unauthorized = await fetch(`${s.baseUrl}/api/v1/projects`);
    assert.equal(unauthorized.status, 401);
    assert.equal(unauthorized.headers.get('x-content-type-options'), 'nosniff');
    // The live stream writes its own head (it bypasses Fastify's reply): it carries the headers too.
    const controller = new AbortController();
    const stream = await fetch(`${s.baseUrl}/api/v1/projects/${p.id}/events/stream`, { headers: { authorization: `Bearer ${p.memberToken}` }, signal: controller.signal });
    assert.equal(stream.status, 200);
    assert.equal(stream.headers.get('x-content-type-options'), 'nosniff');
    assert.match(stream.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    controller.abort();
  });

  test('API JSON: a policy that renders and frames nothing, never cached; answers with tokens or secrets included', async () => {
    const p = await createProjectWithTokens(s, 'headers');
    const token = await s.app.inject({ method: 'POST', url: `/api/v1/projects/${p.id}/tokens`, headers: { authorization: `Bearer ${s.adminToken}` }, payload: { name: 't', role: 'member' } });
    assert.equal(token.statusCode, 201);
    assert.ok(token.json().token);
    const destination = await s.app.inject({ method: 'POST', url: `/api/v1/projects/${p.id}/event-destinations`, headers: { authorization: `Bearer ${p.adminToken}` }, payload: { name: 'd', url: 'https://127.0.0.1:9/x', enabled: false } });
    assert.equal(destination.statusCode, 201);
    assert.ok(destination.json().secret, 'a generated secret is in this answer');
    const integration = await s.app.inject({ method: 'POST', url: `/api/v1/projects/${p.id}/integrations`, headers: { authorization: `Bearer ${p.adminToken}` }, payload: sampleIntegration });
    assert.equal(integration.statusCode, 201);
    assert.match(integration.json().callback_url, /\/callbacks\/sinch\//, 'the callback URL holds a secret token');
    for (const res of [token, destination, integration]) {
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.match(String(res.headers['content-security-policy']), /^default-src 'none'; frame-ancestors 'none'/);
      assert.equal(res.headers['x-frame-options'], 'DENY');
    }
    const list = await s.app.inject({ method: 'GET', url: '/sandbox/_emulator/callbacks' });
    assert.equal(list.headers['cache-control'], 'no-store', 'the sandbox lists callback URLs');
  });

  test('the web console: only its own scripts, no eval, connections to itself, images from itself and over https, never framed', async () => {
    // The console module on its own, over a stand-in build (the test apps serve no console).
    const dir = mkdtempSync(path.join(tmpdir(), 'mm-console-headers-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>console</title>');
    const app = Fastify();
    await registerConsole(app, dir);
    const res = await app.inject({ method: 'GET', url: '/' });
    await app.close();
    rmSync(dir, { recursive: true, force: true });
    assert.equal(res.statusCode, 200);
    const csp = String(res.headers['content-security-policy'] ?? '');
    const directive = (name: string) => csp.split(';').map((d) => d.trim()).find((d) => d.startsWith(`${name} `)) ?? '';
    assert.equal(directive('script-src'), "script-src 'self'");
    assert.equal(directive('connect-src'), "connect-src 'self'");
    assert.equal(directive('img-src'), "img-src 'self' data: https:", 'a rich card\'s https media shows in the campaign preview; no plain http');
    assert.equal(directive('frame-ancestors'), "frame-ancestors 'none'");
    assert.doesNotMatch(csp, /unsafe-eval/);
    assert.equal(res.headers['x-frame-options'], 'DENY');
  });

  test('the phone page: its own policy allows exactly its inline script and style (by hash), nothing inline besides, never framed', async () => {
    const res = await fetch(`${s.baseUrl}/sandbox/phone/46732001122`);
    const html = await res.text();
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /connect-src 'self'/, 'its data comes from the control API on the same origin');
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const sha = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
    assert.ok(scripts.length > 0 && styles.length > 0);
    const directive = (name: string) => csp.split(';').map((d) => d.trim()).find((d) => d.startsWith(`${name} `)) ?? '';
    assert.deepEqual(directive('script-src').split(' ').slice(1), scripts.map(sha));
    assert.deepEqual(directive('style-src').split(' ').slice(1), styles.map(sha));
    // Anything inline that a hash does not cover would be blocked: no handler attributes, style attributes or other scripts.
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i);
    assert.doesNotMatch(html, /\sstyle\s*=/i);
    assert.equal((html.match(/<script/g) ?? []).length, scripts.length);
  });

  test('/docs: a policy of its own (its scripts and styles are files of this origin), never framed; per-kind policies differ', async () => {
    const docs = await fetch(`${s.baseUrl}/docs/`);
    const html = await docs.text();
    const csp = docs.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(docs.headers.get('x-frame-options'), 'DENY');
    assert.doesNotMatch(html, /<script>[^<]/, 'no inline script to allow');
    for (const src of [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!)) {
      const file = await fetch(new URL(src, `${s.baseUrl}/docs/`));
      assert.equal(file.status, 200, src);
      await file.arrayBuffer();
    }
    const phone = (await fetch(`${s.baseUrl}/sandbox/phone`)).headers.get('content-security-policy');
    const api = (await fetch(`${s.baseUrl}/healthz`)).headers.get('content-security-policy');
    assert.equal(new Set([csp, phone, api]).size, 3, 'each kind of route has its own policy');
  });

  test('Fastify\'s own errors: the one error shape, the headers, nothing of the URL echoed', async () => {
    const auth = `Authorization: Bearer ${s.adminToken}\r\n`;
    const cases: Array<{ request: string; status: number; code: string | string[] }> = [
      { request: `GET /api/v1/%zz?access_token=${secretInUrl} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, status: 400, code: 'invalid_request' },
      { request: `GET /api/v1/projects/${'p'.repeat(300)}?token=${secretInUrl} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, status: 414, code: 'uri_too_long' },
      { request: `GET /api/v1/projects?token=${secretInUrl}${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, status: 431, code: 'headers_too_large' },
      { request: `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`, status: 431, code: 'headers_too_large' },
      // A body longer than its Content-Length: the first two bytes are the body, the rest is not HTTP.
      { request: `POST /api/v1/projects?token=${secretInUrl} HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{"name":"longer than two"}`, status: 400, code: ['invalid_json', 'invalid_request'] },
      { request: `POST /api/v1/projects HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, status: 400, code: 'invalid_request' },
      { request: 'NOT HTTP AT ALL\r\n\r\n', status: 400, code: 'invalid_request' },
    ];
    for (const c of cases) {
      const answer = await raw(s.baseUrl!, c.request);
      // A pipelined remainder may be answered too: the first answer is the one about this request.
      const first = parseRaw(answer.slice(0, answer.indexOf('HTTP/1.1', 1) > 0 ? answer.indexOf('HTTP/1.1', 1) : undefined));
      assert.equal(first.status, c.status, c.request.slice(0, 60));
      assert.equal(first.headers['x-content-type-options'], 'nosniff', c.request.slice(0, 60));
      assert.equal(first.headers['cache-control'], 'no-store');
      const body = JSON.parse(first.body.split('\r\n')[0]!) as { error: { code: string; message: string } };
      assert.ok([c.code].flat().includes(body.error.code), `${c.request.slice(0, 60)}: ${body.error.code}`);
      assert.equal(typeof body.error.message, 'string');
      assert.ok(!answer.includes(secretInUrl) && !answer.includes('%zz') && !answer.includes('ppppp'), 'nothing of the request is echoed');
    }
  });

  test('an ordinary API error keeps its shape and headers (callbacks, 404)', async () => {
    const res = await call(s.app, 'POST', '/callbacks/sinch/not-a-token', undefined, { x: 1 });
    assert.equal(res.status, 404);
    assert.ok(res.body.error.code);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });
});
