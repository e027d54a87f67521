import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { createSecretToken } from '../../src/lib/ids.ts';
import { createSecretBox, generateKeyText, hashToken } from '../../src/lib/secret-box.ts';
import type { Clock } from '../../src/lib/time.ts';
import { openTestDatabase, type TestDatabase } from './database.ts';

export interface TestApp {
  app: FastifyInstance;
  database: TestDatabase;
  adminToken: string;
  config: Config;
  /** Base URL when started with `listen: true`. */
  baseUrl: string | undefined;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  listen?: boolean;
  /** With `listen`: this port instead of any free one (e.g. to match a PUBLIC_URL set in `env`). */
  port?: number;
  sandboxPlugin?: FastifyPluginAsync;
  logStream?: NodeJS.WritableStream;
  clock?: Clock;
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const loaded = loadConfig({ LOG_LEVEL: 'silent', PORT: '3999', SINCH_AUTH_URL: 'http://127.0.0.1:9', ...options.env });
  if (!loaded.ok) throw new Error(loaded.problems.join('; '));
  const config = loaded.config;
  const database = await openTestDatabase();
  const adminToken = createSecretToken('mma');
  const app = await buildApp({
    config,
    db: database.db,
    box: createSecretBox([generateKeyText()]),
    adminTokenHash: hashToken(adminToken),
    ...(options.sandboxPlugin ? { sandboxPlugin: options.sandboxPlugin } : {}),
    ...(options.logStream ? { logStream: options.logStream } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  let baseUrl: string | undefined;
  if (options.listen === true) {
    await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
    const address = app.server.address();
    if (address !== null && typeof address === 'object') baseUrl = `http://127.0.0.1:${address.port}`;
  } else {
    await app.ready();
  }
  return {
    app, database, adminToken, config, baseUrl,
    async close() {
      await app.close();
      await database.dropAll();
    },
  };
}

export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/** Calls the API through `app.inject` and returns status and parsed JSON. */
export async function call(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  token: string | undefined,
  body?: unknown,
): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  const res = await app.inject({
    method, url,
    headers: token === undefined ? {} : bearer(token),
    ...(body !== undefined ? { payload: body as object } : {}),
  });
  let parsed: unknown = undefined;
  if (res.body.length > 0) {
    try { parsed = JSON.parse(res.body); } catch { parsed = res.body; }
  }
  return { status: res.statusCode, body: parsed, headers: res.headers };
}

export const sampleIntegration = {
  provider: 'sinch_mobile_messaging',
  name: 'Sinch EU',
  sinch_project_id: 'proj-123',
  app_id: 'app-456',
  access_key: 'key-789',
  access_secret: 'access-secret-DO-NOT-LEAK-1',
  region: 'EU',
  webhook_secret: 'webhook-secret-DO-NOT-LEAK-2',
  senders: { whatsapp: '+46732000000', rcs: 'my-agent-id' },
} as const;

/** A project with an admin and a member token. */
export async function createProjectWithTokens(t: TestApp, name: string) {
  const project = await call(t.app, 'POST', '/api/v1/projects', t.adminToken, { name });
  if (project.status !== 201) throw new Error(`project: ${project.status} ${JSON.stringify(project.body)}`);
  const id = project.body.id as string;
  const admin = await call(t.app, 'POST', `/api/v1/projects/${id}/tokens`, t.adminToken, { name: 'admin', role: 'admin' });
  const member = await call(t.app, 'POST', `/api/v1/projects/${id}/tokens`, t.adminToken, { name: 'member', role: 'member' });
  return { id, adminToken: admin.body.token as string, memberToken: member.body.token as string, adminTokenId: admin.body.id as string };
}
