/**
 * Hooks in front of every Conversation API route: authentication (401/403/404), the per-project request limit
 * (429), then per-app injected faults (429/500/503/hang) and slow answers.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { authenticateApiRequest } from './auth.ts';
import type { EmulatorContext } from './context.ts';
import { notFound, sendRpcError } from './errors.ts';
import { TokenBucket } from './rate-limit.ts';
import type { AppRecord } from './state.ts';

type Params = { project_id?: string; app_id?: string; webhook_id?: string };

/** onRequest: who is calling, and may they touch this project. */
export async function guardProject(ctx: EmulatorContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const params = request.params as Params;
  const projectId = params.project_id ?? '';
  const auth = authenticateApiRequest(request.headers.authorization, ctx.tokens, (k, s) => ctx.state.projectsForCredentials(k, s), ctx.now());
  if (!auth.ok) {
    return sendRpcError(reply, auth.error);
  }
  const apps = ctx.state.appsOfProject(projectId);
  if (apps.length === 0) {
    return sendRpcError(reply, notFound(`Project ${projectId} not found`));
  }
  if (!auth.projects.has(projectId)) {
    return sendRpcError(reply, { httpStatus: 403, message: `The credentials have no access to project ${projectId}` });
  }
  const limits = apps.map((a) => a.knobs.project_request_limit).filter((l): l is number => l !== null);
  if (limits.length === 0) return undefined;
  const limit = Math.min(...limits);
  let bucket = ctx.projectBuckets.get(projectId);
  if (bucket === undefined) {
    bucket = new TokenBucket(Math.max(1, limit), limit, ctx.now);
    ctx.projectBuckets.set(projectId, bucket);
  } else if (bucket.ratePerSecond !== limit) {
    bucket.reconfigure(Math.max(1, limit), limit);
  }
  if (!bucket.tryTake()) {
    return sendRpcError(reply, {
      httpStatus: 429,
      message: `Project ${projectId} exceeded its limit of ${limit} requests per second`,
      headers: { 'retry-after': String(Math.max(1, Math.ceil(bucket.msUntilToken() / 1000))) },
    });
  }
  return undefined;
}

function appOfRequest(ctx: EmulatorContext, request: FastifyRequest): AppRecord | undefined {
  const params = request.params as Params;
  const body = request.body as { app_id?: unknown } | undefined;
  const fromBody = body !== null && typeof body === 'object' && typeof body.app_id === 'string' ? body.app_id : undefined;
  const fromWebhook = params.webhook_id === undefined ? undefined : ctx.state.webhooks.get(params.webhook_id)?.app_id;
  const appId = params.app_id ?? fromBody ?? fromWebhook;
  const app = appId === undefined ? undefined : ctx.state.apps.get(appId);
  return app !== undefined && app.project_id === params.project_id ? app : undefined;
}

/** preHandler: the app's injected faults (consumed one request at a time) and its answer delay. */
export async function applyFaults(ctx: EmulatorContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const app = appOfRequest(ctx, request);
  if (app === undefined) return undefined;
  const fault = app.knobs.faults[0];
  if (fault !== undefined) {
    const remaining = fault.count - 1;
    app.knobs = { ...app.knobs, faults: remaining > 0 ? [{ ...fault, count: remaining }, ...app.knobs.faults.slice(1)] : app.knobs.faults.slice(1) };
    ctx.state.apps.touch(app.app_id);
    const retryAfter: Record<string, string> = fault.retry_after_seconds === undefined || fault.retry_after_seconds === null ? {} : { 'retry-after': String(fault.retry_after_seconds) };
    switch (fault.kind) {
      case 'rate_limited':
        return sendRpcError(reply, { httpStatus: 429, message: 'Too many requests (injected fault)', headers: fault.retry_after_seconds === undefined ? { 'retry-after': '1' } : retryAfter });
      case 'internal_error':
        return sendRpcError(reply, { httpStatus: 500, message: 'Internal error (injected fault)', headers: retryAfter });
      case 'unavailable':
        return sendRpcError(reply, { httpStatus: 503, message: 'Service unavailable (injected fault)', headers: retryAfter });
      case 'timeout':
        await hang(ctx, reply);
        return reply;
    }
  }
  if (app.knobs.response_delay_ms > 0) {
    await sleep(app.knobs.response_delay_ms, undefined, { signal: ctx.closing }).catch(() => undefined);
  }
  return undefined;
}

/** Never answers: waits until the client gives up (connection closed) or the emulator closes, then drops the socket. */
async function hang(ctx: EmulatorContext, reply: FastifyReply): Promise<FastifyReply | undefined> {
  reply.hijack();
  await new Promise<void>((resolve) => {
    if (ctx.closing.aborted) { resolve(); return; }
    reply.raw.once('close', () => { resolve(); });
    ctx.closing.addEventListener('abort', () => { resolve(); }, { once: true });
  });
  reply.raw.socket?.destroy();
  if (!reply.raw.writableEnded) reply.raw.destroy();
}
