/**
 * Talking to a running service over HTTP (set-up calls, not load), and building the requests the load
 * generator sends: messages to send and signed delivery-report callbacks.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { monotonicFactory } from 'ulidx';
import { emulatorAccount } from './proc.ts';
import { runLoad, statusCounts, type LoadRequest } from './load.ts';
import { sinchHeaders } from '../../test/helpers/signing.ts';

export async function callJson(
  baseUrl: string, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, token?: string, body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await request(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    headersTimeout: 30_000, bodyTimeout: 30_000,
  });
  const text = await res.body.text();
  let parsed: unknown = undefined;
  if (text.length > 0) {
    try { parsed = JSON.parse(text); } catch { parsed = text; }
  }
  return { status: res.statusCode, body: parsed };
}

async function expectStatus(what: string, status: number, call: Promise<{ status: number; body: any }>): Promise<any> {
  const r = await call;
  if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export interface ProjectSetup {
  projectId: string;
  /** A project member token: what an application sending messages would use. */
  memberToken: string;
  integrationId: string;
  /** `/callbacks/sinch/<token>` of the integration. */
  callbackPath: string;
  webhookSecret: string;
}

/**
 * A project with a member token and one region-EU integration for the emulator's default account (so the
 * service's EU settings must point at the emulator), the default provider for WhatsApp and RCS.
 */
export async function setUpProject(baseUrl: string, adminToken: string, options: { sendRatePerSecond?: number; webhookSecret?: string } = {}): Promise<ProjectSetup> {
  const project = await expectStatus('create project', 201, callJson(baseUrl, 'POST', '/api/v1/projects', adminToken, { name: 'Load' }));
  const projectId = project.id as string;
  const token = await expectStatus('create token', 201,
    callJson(baseUrl, 'POST', `/api/v1/projects/${projectId}/tokens`, adminToken, { name: 'sender', role: 'member' }));
  const webhookSecret = options.webhookSecret ?? `whsec-${randomUUID()}`;
  const integration = await expectStatus('create integration', 201, callJson(baseUrl, 'POST', `/api/v1/projects/${projectId}/integrations`, adminToken, {
    provider: 'sinch_mobile_messaging', name: 'Emulator', sinch_project_id: emulatorAccount.projectId, app_id: emulatorAccount.appId,
    access_key: emulatorAccount.accessKey, access_secret: emulatorAccount.accessSecret, region: 'EU', webhook_secret: webhookSecret,
    senders: { whatsapp: '+46732000000', rcs: 'bench-agent' }, send_rate_per_second: options.sendRatePerSecond ?? 10_000,
  }));
  const integrationId = integration.id as string;
  await expectStatus('set default providers', 200, callJson(baseUrl, 'PUT', `/api/v1/projects/${projectId}/settings/channels`, adminToken, {
    whatsapp_integration_id: integrationId, rcs_integration_id: integrationId,
  }));
  return { projectId, memberToken: token.token as string, integrationId, callbackPath: new URL(integration.callback_url as string).pathname, webhookSecret };
}

/** A valid Swedish mobile number per index (the emulator delivers to every suffix but 0001–0013; no callbacks here anyway). */
export function recipientOf(index: number): string {
  return `+4673${String(2_000_000 + index).padStart(7, '0')}`;
}

/** The body of `POST /api/v1/projects/{id}/messages` for message `index`: an RCS text. */
export function sendBody(index: number): Record<string, unknown> {
  return { channel: 'rcs', to: recipientOf(index), message: { text_message: { text: `Load message ${index}` } }, campaign_id: 'load' };
}

export function sendRequest(setup: ProjectSetup, index: number, idempotencyKey?: string): LoadRequest {
  return {
    method: 'POST',
    path: `/api/v1/projects/${setup.projectId}/messages`,
    headers: {
      'content-type': 'application/json', authorization: `Bearer ${setup.memberToken}`,
      ...(idempotencyKey !== undefined ? { 'idempotency-key': idempotencyKey } : {}),
    },
    body: JSON.stringify(sendBody(index)),
  };
}

/**
 * A delivery report as Sinch sends it for a message we sent (`metadata` = our message id, the identity without
 * `+`), as the exact bytes to sign.
 */
export function deliveryReportBody(report: { providerMessageId: string; messageId?: string; status: string; identity: string; channel?: string; eventTime?: Date }): string {
  const eventTime = (report.eventTime ?? new Date()).toISOString().replace('Z', '000000Z');
  return JSON.stringify({
    app_id: emulatorAccount.appId, project_id: emulatorAccount.projectId, accepted_time: eventTime, event_time: eventTime,
    message_metadata: '', correlation_id: report.messageId ?? '',
    message_delivery_report: {
      message_id: report.providerMessageId, conversation_id: '', status: report.status,
      channel_identity: { channel: report.channel ?? 'RCS', identity: report.identity.replace(/^\+/, ''), app_id: '' },
      contact_id: '', metadata: report.messageId ?? '', processing_mode: 'DISPATCH',
    },
  });
}

/** An inbound message as Sinch sends it (a customer writing to the app), as the exact bytes to sign. */
export function inboundMessageBody(message: { identity: string; channel: string; text: string; id?: string }): string {
  const now = new Date().toISOString().replace('Z', '000000Z');
  return JSON.stringify({
    app_id: emulatorAccount.appId, project_id: emulatorAccount.projectId, accepted_time: now, event_time: now,
    message: {
      id: message.id ?? `01IN${randomUUID().replace(/-/g, '').slice(0, 22).toUpperCase()}`, direction: 'TO_APP',
      contact_message: { text_message: { text: message.text } },
      channel_identity: { channel: message.channel, identity: message.identity.replace(/^\+/, ''), app_id: '' },
      conversation_id: '', contact_id: '', metadata: '', accept_time: now, sender_id: '', processing_mode: 'DISPATCH', injected: false,
    },
    message_metadata: '', correlation_id: '',
  });
}

/** Sinch's nonces are ULIDs (docs/sinch-conversation-api.md §5: "unique per callback, e.g. a ULID"), as the emulator's. */
const nextUlid = monotonicFactory();

/** `ulid`: as Sinch sends them (the default); `random`: a random UUID each, as the benchmarks signed before 2026-11-30 14:00. */
export type NonceKind = 'ulid' | 'random';

/**
 * A callback request signed as Sinch signs it (the tests' independent signer, `test/helpers/signing.ts`), with a
 * fresh nonce and the current timestamp: one delivery attempt.
 */
export function signedCallback(callbackPath: string, secret: string, body: string, nonces: NonceKind = 'ulid'): LoadRequest {
  return { method: 'POST', path: callbackPath, body, headers: sinchHeaders(secret, body, nonces === 'ulid' ? { nonce: nextUlid() } : {}) };
}

export interface MessageSummary {
  id: string;
  to: string;
  status: string;
  provider_message_id: string | null;
  possible_duplicate: boolean;
  attempt_count: number;
  updated_at: string;
}

/** Every message of the project (the list API, 1,000 a page). */
export async function listMessages(baseUrl: string, setup: ProjectSetup, filter = ''): Promise<MessageSummary[]> {
  const out: MessageSummary[] = [];
  let cursor: string | null = null;
  do {
    const page = await callJson(baseUrl, 'GET',
      `/api/v1/projects/${setup.projectId}/messages?limit=1000${filter}${cursor !== null ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, setup.memberToken);
    if (page.status !== 200) throw new Error(`list messages: ${page.status} ${JSON.stringify(page.body)}`);
    out.push(...(page.body.data as MessageSummary[]));
    cursor = page.body.next_cursor as string | null;
  } while (cursor !== null);
  return out;
}

/** Polls the list API until no message is `queued`; false when `timeoutMs` passed first. */
export async function waitUntilNoneQueued(baseUrl: string, setup: ProjectSetup, timeoutMs: number, pollMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await callJson(baseUrl, 'GET', `/api/v1/projects/${setup.projectId}/messages?status=queued&limit=1`, setup.memberToken);
    if (r.status !== 200) throw new Error(`list queued messages: ${r.status} ${JSON.stringify(r.body)}`);
    if ((r.body.data as unknown[]).length === 0) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * Sends `count` messages through the API (`firstIndex` on) and waits until Sinch (the emulator) accepted them
 * all: messages that exist at Sinch, for delivery reports to be about.
 */
export async function sendAndWait(baseUrl: string, setup: ProjectSetup, count: number, options: { firstIndex?: number; concurrency?: number; timeoutMs?: number } = {}): Promise<MessageSummary[]> {
  const first = options.firstIndex ?? 0;
  const run = await runLoad({
    origin: baseUrl, concurrency: options.concurrency ?? 32, keepBodies: true, maxMs: options.timeoutMs ?? 60_000,
    requests: Array.from({ length: count }, (_, i) => sendRequest(setup, first + i)),
  });
  const ids = new Set<string>();
  for (const r of run.results) {
    if (r?.status !== 202) throw new Error(`sending set-up messages: ${JSON.stringify(statusCounts(run.results))} ${r?.body ?? r?.error ?? ''}`);
    ids.add((JSON.parse(r.body!) as { id: string }).id);
  }
  if (!await waitUntilNoneQueued(baseUrl, setup, options.timeoutMs ?? 60_000)) throw new Error('set-up messages still queued');
  const messages = (await listMessages(baseUrl, setup)).filter((m) => ids.has(m.id));
  const notEnqueued = messages.filter((m) => m.status !== 'enqueued' || m.provider_message_id === null);
  if (messages.length !== count || notEnqueued.length > 0) throw new Error(`set-up messages: ${messages.length} found, not enqueued: ${JSON.stringify(notEnqueued.slice(0, 3))}`);
  return messages;
}
