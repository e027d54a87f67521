/** Test helpers: an emulator on a real port, a webhook receiver that keeps raw bodies, small HTTP shortcuts. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/emulator.ts';
import { waitDeadlineMs, waitFor } from '../helpers/wait.ts';

export const FAST: EmulatorOptions = {
  delays: { queuedMs: 5, deliveredMs: 5, readMs: 5 },
  callbackRetryScheduleMs: [50, 100],
  // A receiver that answers is never taken for one that hangs, however busy the machine (tests of timeouts set their own).
  callbackTimeoutMs: 10_000,
};

export type Running = { emulator: Emulator; app: FastifyInstance; base: string; close: () => Promise<void> };

export async function startEmulator(options: EmulatorOptions = FAST, prefix = ''): Promise<Running> {
  const emulator = createEmulator(options);
  const app = Fastify();
  await app.register(emulator.plugin, { prefix });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    emulator,
    app,
    base: `http://127.0.0.1:${port}${prefix}`,
    close: async () => { await emulator.close(); await app.close(); },
  };
}

export type Received = { path: string; headers: IncomingHttpHeaders; raw: string; body: any; at: number };

export type Receiver = {
  url: string;
  received: Received[];
  /** Status to answer for each request (default 200). */
  respond: (r: Received) => number | 'hang';
  waitFor: (predicate: (all: Received[]) => boolean, timeoutMs?: number) => Promise<Received[]>;
  close: () => Promise<void>;
};

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const receiver: Receiver = {
    url: '',
    received,
    respond: () => 200,
    waitFor: async (predicate, timeoutMs = waitDeadlineMs) => {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting; got ${JSON.stringify(received.map((r) => r.body), null, 1).slice(0, 3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return received;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => { server.close(() => { resolve(); }); });
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const entry: Received = { path: req.url ?? '', headers: req.headers, raw, body: JSON.parse(raw), at: Date.now() };
      received.push(entry);
      const status = receiver.respond(entry);
      if (status === 'hang') return;
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

export function basic(key = 'sandbox-key', secret = 'sandbox-secret'): string {
  return `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
}

export type Res = { status: number; headers: Headers; body: any };

export async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> {
  const response = await fetch(url, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try { parsed = text === '' ? undefined : JSON.parse(text); } catch { /* keep text */ }
  return { status: response.status, headers: response.headers, body: parsed };
}

export async function getToken(base: string, key = 'sandbox-key', secret = 'sandbox-secret'): Promise<string> {
  const response = await fetch(`${base}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: basic(key, secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const body = (await response.json()) as { access_token: string };
  return body.access_token;
}

export const PROJECT = 'sandbox-project';
export const APP = 'sandbox-app';

export function textTo(identity: string, text = 'hello', extra: Record<string, unknown> = {}, channel = 'WHATSAPP'): Record<string, unknown> {
  return {
    app_id: APP,
    recipient: { identified_by: { channel_identities: [{ channel, identity }] } },
    message: { text_message: { text } },
    ...extra,
  };
}

export async function send(base: string, body: unknown, auth = basic(), project = PROJECT): Promise<Res> {
  return call('POST', `${base}/v1/projects/${project}/messages:send`, body, { authorization: auth });
}

export async function registerWebhook(base: string, target: string, triggers = ['MESSAGE_DELIVERY', 'MESSAGE_INBOUND'], secret = 'whsec', app = APP): Promise<Res> {
  return call('POST', `${base}/v1/projects/${PROJECT}/webhooks`, { app_id: app, target, triggers, secret, target_type: 'HTTP' }, { authorization: basic() });
}

/** Opens the WhatsApp window for an identity by injecting an inbound message. */
export async function openWindow(base: string, identity: string): Promise<void> {
  const r = await call('POST', `${base}/_emulator/apps/${APP}/inbound`, { identity, text: 'hi' });
  if (r.status !== 200) throw new Error(`inject failed ${r.status} ${JSON.stringify(r.body)}`);
}

export function statusesOf(received: Received[], messageId: string): string[] {
  return received.filter((r) => r.body.message_delivery_report?.message_id === messageId).map((r) => r.body.message_delivery_report.status as string);
}

/**
 * The emulator's callback records matching `query` (`message_id=…`, `trigger=…`) once at least `atLeast` exist and
 * none is still pending: every attempt, retries included, has been made and recorded. After this nothing more is sent
 * for them, so a test can assert what was (and was not) received without waiting a fixed time.
 */
export async function callbacksDone(base: string, query: string, atLeast = 1): Promise<any[]> {
  return waitFor(async () => {
    const records = (await call('GET', `${base}/_emulator/callbacks?${query}`)).body.callbacks as any[];
    return records.length >= atLeast && records.every((c) => c.state !== 'pending') ? records : undefined;
  }, `callbacks (${query}) to be done`);
}
