/** Webhooks API: create, list per app, get, patch (with update_mask), delete (doc §4.1). */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { newId, type EmulatorContext } from '../context.ts';
import { badRequest, notFound, sendRpcError, type RpcError } from '../errors.ts';
import { ProjectParams } from '../schemas/send-request.ts';
import { AppWebhooksParams, UpdateQuery, Webhook, WebhookCreate, WebhookParams, WebhookUpdate } from '../schemas/webhook.ts';
import type { WebhookRecord } from '../state.ts';
import { isHttpUrl, type FieldViolation } from '../validate-send.ts';
import type { Trigger } from '../wire.ts';

export const MAX_WEBHOOKS_PER_APP = 5;

function present(webhook: WebhookRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: webhook.id, app_id: webhook.app_id, target: webhook.target, target_type: webhook.target_type,
    secret: webhook.secret, triggers: webhook.triggers,
  };
  if (webhook.client_credentials !== undefined) out.client_credentials = webhook.client_credentials;
  return out;
}

function checkTarget(target: string): FieldViolation[] {
  if (!isHttpUrl(target)) return [{ field: 'target', description: 'must be an absolute http(s) URL' }];
  if (/(^|\.)conversation[-.]api\.(.+\.)?sinch\.com$/i.test(new URL(target).hostname)) {
    return [{ field: 'target', description: 'Conversation API hosts are not allowed as webhook targets' }];
  }
  return [];
}

function checkTriggers(triggers: readonly string[]): FieldViolation[] {
  return triggers.flatMap((t, i) => (t === 'UNSPECIFIED_TRIGGER' ? [{ field: `triggers[${i}]`, description: 'UNSPECIFIED_TRIGGER is not allowed' }] : []));
}

/** Rules shared by create and update: app in project, ≤ 5 per app, unique target per app. */
function checkPlacement(ctx: EmulatorContext, projectId: string, appId: string, target: string, selfId: string | null): RpcError | null {
  const app = ctx.state.apps.get(appId);
  if (app?.project_id !== projectId) return notFound(`App ${appId} not found in project ${projectId}`);
  const others = ctx.state.webhooksOfApp(appId).filter((w) => w.id !== selfId);
  if (others.length >= MAX_WEBHOOKS_PER_APP) {
    return badRequest([{ field: 'app_id', description: `an app can have at most ${MAX_WEBHOOKS_PER_APP} webhooks` }]);
  }
  if (others.some((w) => w.target === target)) {
    return badRequest([{ field: 'target', description: `app ${appId} already has a webhook with this target` }]);
  }
  return null;
}

function parseUpdateMask(mask: string | string[] | undefined): Set<string> | null {
  if (mask === undefined) return null;
  const raw = Array.isArray(mask) ? mask.join(',') : mask;
  const fields = raw.replace(/[[\]"]/g, '').split(',').map((f) => f.trim().replace(/^paths\./, '')).filter((f) => f !== '');
  return fields.length === 0 ? null : new Set(fields);
}

export function registerWebhookRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  app.post<{ Params: { project_id: string }; Body: WebhookCreate }>('/v1/projects/:project_id/webhooks', {
    schema: { params: ProjectParams, body: WebhookCreate, response: { 200: Webhook } },
  }, async (request, reply) => {
    const body = request.body;
    const violations = [...checkTarget(body.target), ...checkTriggers(body.triggers)];
    if (violations.length > 0) return sendRpcError(reply, badRequest(violations));
    const placement = checkPlacement(ctx, request.params.project_id, body.app_id, body.target, null);
    if (placement !== null) return sendRpcError(reply, placement);
    const webhook: WebhookRecord = {
      id: newId(),
      app_id: body.app_id,
      project_id: request.params.project_id,
      target: body.target,
      target_type: body.target_type ?? 'HTTP',
      secret: body.secret ?? '',
      triggers: body.triggers as Trigger[],
      ...(body.client_credentials === undefined ? {} : { client_credentials: body.client_credentials }),
    };
    ctx.state.webhooks.set(webhook.id, webhook);
    return reply.send(present(webhook));
  });

  app.get<{ Params: { project_id: string; app_id: string } }>('/v1/projects/:project_id/apps/:app_id/webhooks', {
    schema: { params: AppWebhooksParams, response: { 200: Type.Object({ webhooks: Type.Array(Webhook) }) } },
  }, async (request, reply) => {
    const target = ctx.state.apps.get(request.params.app_id);
    if (target?.project_id !== request.params.project_id) {
      return sendRpcError(reply, notFound(`App ${request.params.app_id} not found in project ${request.params.project_id}`));
    }
    return reply.send({ webhooks: ctx.state.webhooksOfApp(target.app_id).map(present) });
  });

  const findWebhook = (projectId: string, webhookId: string): WebhookRecord | undefined => {
    const webhook = ctx.state.webhooks.get(webhookId);
    return webhook?.project_id === projectId ? webhook : undefined;
  };

  app.get<{ Params: { project_id: string; webhook_id: string } }>('/v1/projects/:project_id/webhooks/:webhook_id', {
    schema: { params: WebhookParams, response: { 200: Webhook } },
  }, async (request, reply) => {
    const webhook = findWebhook(request.params.project_id, request.params.webhook_id);
    if (webhook === undefined) return sendRpcError(reply, notFound(`Webhook ${request.params.webhook_id} not found`));
    return reply.send(present(webhook));
  });

  app.patch<{ Params: { project_id: string; webhook_id: string }; Body: WebhookUpdate; Querystring: { update_mask?: string | string[] } }>(
    '/v1/projects/:project_id/webhooks/:webhook_id',
    { schema: { params: WebhookParams, body: WebhookUpdate, querystring: UpdateQuery, response: { 200: Webhook } } },
    async (request, reply) => {
      const webhook = findWebhook(request.params.project_id, request.params.webhook_id);
      if (webhook === undefined) return sendRpcError(reply, notFound(`Webhook ${request.params.webhook_id} not found`));
      const mask = parseUpdateMask(request.query.update_mask);
      const body = request.body;
      const take = (field: string): boolean => mask === null || mask.has(field);
      const next: WebhookRecord = { ...webhook };
      if (take('app_id') && body.app_id !== undefined) next.app_id = body.app_id;
      if (take('target') && body.target !== undefined) next.target = body.target;
      if (take('target_type') && body.target_type !== undefined) next.target_type = body.target_type;
      if (take('triggers') && body.triggers !== undefined) next.triggers = body.triggers as Trigger[];
      if (take('secret') && body.secret !== undefined) next.secret = body.secret;
      if (take('client_credentials') && body.client_credentials !== undefined) next.client_credentials = body.client_credentials;
      const violations = [...checkTarget(next.target), ...checkTriggers(next.triggers)];
      if (violations.length > 0) return sendRpcError(reply, badRequest(violations));
      const placement = checkPlacement(ctx, request.params.project_id, next.app_id, next.target, webhook.id);
      if (placement !== null) return sendRpcError(reply, placement);
      ctx.state.webhooks.set(webhook.id, next);
      return reply.send(present(next));
    },
  );

  app.delete<{ Params: { project_id: string; webhook_id: string } }>('/v1/projects/:project_id/webhooks/:webhook_id', {
    schema: { params: WebhookParams },
  }, async (request, reply) => {
    const webhook = findWebhook(request.params.project_id, request.params.webhook_id);
    if (webhook === undefined) return sendRpcError(reply, notFound(`Webhook ${request.params.webhook_id} not found`));
    ctx.state.webhooks.delete(webhook.id);
    return reply.send({});
  });
}
