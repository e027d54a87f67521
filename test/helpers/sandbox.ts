import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/emulator.ts';
import { call, createProjectWithTokens, startTestApp, type TestApp } from './app.ts';
import { waitDeadlineMs, waitFor } from './wait.ts';

export interface SandboxApp extends TestApp {
  emulator: Emulator;
  project: Awaited<ReturnType<typeof createProjectWithTokens>>;
  integrationId: string;
  /** Calls the emulator's control API over HTTP. */
  control(method: 'GET' | 'POST' | 'PUT' | 'PATCH', path: string, body?: unknown): Promise<any>;
  send(body: Record<string, unknown>, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  getMessage(id: string): Promise<any>;
  /** Polls a message until `predicate` holds (or fails after `timeoutMs`, by default test/helpers/wait.ts's deadline). */
  waitForMessage(id: string, predicate: (m: any) => boolean, timeoutMs?: number): Promise<any>;
}

export const sandboxIntegration = {
  provider: 'sinch_mobile_messaging', name: 'Sandbox', sinch_project_id: 'sandbox-project', app_id: 'sandbox-app',
  access_key: 'sandbox-key', access_secret: 'sandbox-secret', region: 'SANDBOX',
  senders: { whatsapp: '+46732000000', rcs: 'sandbox-agent', sms: '+46732000099' },
} as const;

/**
 * The service with the emulator mounted in-process under /sandbox, listening on a free port, fast life-cycle
 * delays and short retry backoffs; a project with a SANDBOX integration that is the default for both channels.
 */
export async function startSandboxApp(options: { env?: Record<string, string>; emulator?: EmulatorOptions; integration?: Record<string, unknown>; whatsappWindowCheck?: boolean } = {}): Promise<SandboxApp> {
  const emulator = createEmulator({
    delays: { queuedMs: 10, deliveredMs: 10, readMs: 10 },
    callbackRetryScheduleMs: [50, 100, 200, 400],
    tokenRateLimit: null,
    knobs: { outbound_rate: null, project_request_limit: null },
    ...options.emulator,
  });
  const t = await startTestApp({
    listen: true,
    sandboxPlugin: emulator.plugin,
    env: { SEND_RETRY_BASE_MS: '20', SEND_RETRY_CAP_MS: '200', WORKER_POLL_MS: '20', ...options.env },
  });
  const project = await createProjectWithTokens(t, 'Sandbox project');
  const integration = await call(t.app, 'POST', `/api/v1/projects/${project.id}/integrations`, project.adminToken, { ...sandboxIntegration, ...options.integration });
  if (integration.status !== 201) throw new Error(`integration: ${JSON.stringify(integration.body)}`);
  const integrationId = integration.body.id as string;
  await call(t.app, 'PUT', `/api/v1/projects/${project.id}/settings/channels`, project.adminToken, { whatsapp_integration_id: integrationId, rcs_integration_id: integrationId });
  if (options.whatsappWindowCheck === false) {
    await call(t.app, 'PUT', `/api/v1/projects/${project.id}/settings/two-way`, project.adminToken, { whatsapp_window_check: false });
  }
  const base = `${t.baseUrl}/sandbox/_emulator`;

  const sandbox: SandboxApp = {
    ...t,
    emulator, project, integrationId,
    async control(method, path, body) {
      const res = await fetch(`${base}${path}`, {
        method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
      });
      const text = await res.text();
      return text.length > 0 ? JSON.parse(text) : undefined;
    },
    async send(body, headers = {}) {
      const res = await t.app.inject({
        method: 'POST', url: `/api/v1/projects/${project.id}/messages`,
        headers: { authorization: `Bearer ${project.memberToken}`, ...headers }, payload: body,
      });
      return { status: res.statusCode, body: res.json() };
    },
    async getMessage(id) {
      return (await call(t.app, 'GET', `/api/v1/projects/${project.id}/messages/${id}`, project.memberToken)).body;
    },
    async waitForMessage(id, predicate, timeoutMs = waitDeadlineMs) {
      let last: any;
      try {
        return await waitFor(async () => {
          last = await sandbox.getMessage(id);
          return predicate(last) ? last : undefined;
        }, `message ${id} to reach the expected state`, timeoutMs);
      } catch (error) {
        throw new Error(`${(error as Error).message}; last: ${JSON.stringify(last)}`);
      }
    },
    async close() {
      await t.close();
      await emulator.close();
    },
  };
  return sandbox;
}

export const whatsappTemplate = {
  template_message: { channel_template: { WHATSAPP: { template_id: 'welcome', language_code: 'en_US', parameters: { 'body[1]text': 'Ada' } } } },
};
