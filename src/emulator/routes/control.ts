/** The emulator's own control API under `/_emulator`: apps and knobs, inspection, inbound injection, consents, templates, reset. */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { injectInbound, mergeKnobs, upsertApp, type EmulatorContext } from '../context.ts';
import { injectContactEvent } from '../events.ts';
import { badRequest, notFound, sendRpcError } from '../errors.ts';
import { normaliseIdentity } from '../outcomes.ts';
import { buildConversation, listPhones, messageConcerns, presentApp, presentCallback, presentInbound, presentMessage } from '../present.ts';
import { AppUpsert, InboundInjection, KnobsPatch, TemplateUpsert } from '../schemas/control.ts';
import { ContactEventInjection } from '../schemas/event.ts';
import { SimulatedChannelEnum } from '../schemas/control.ts';
import { buildTemplate, templateKey } from '../templates.ts';
import { CONSENT_LISTS, registerConsent } from './consents.ts';

const AppParams = Type.Object({ app_id: Type.String({ minLength: 1 }) });
const LimitQuery = { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })) };
const MessagesQuery = Type.Object({
  app_id: Type.Optional(Type.String()),
  recipient: Type.Optional(Type.String()),
  state: Type.Optional(Type.String()),
  ...LimitQuery,
});
const InboundQuery = Type.Object({ app_id: Type.Optional(Type.String()), identity: Type.Optional(Type.String()), ...LimitQuery });
const CallbacksQuery = Type.Object({
  app_id: Type.Optional(Type.String()),
  message_id: Type.Optional(Type.String()),
  trigger: Type.Optional(Type.String()),
  state: Type.Optional(Type.String()),
  ...LimitQuery,
});
const TemplateParams = Type.Object({ name: Type.String({ minLength: 1 }), language: Type.String({ minLength: 1 }) });
const ResetQuery = Type.Object({ keep_apps: Type.Optional(Type.Boolean()) });
const ConsentInjection = Type.Object({
  identity: Type.String({ minLength: 1 }),
  channel: Type.Optional(SimulatedChannelEnum),
  action: Type.Enum(['opt_out', 'opt_in']),
  list: Type.Optional(Type.Enum(CONSENT_LISTS)),
  /** false: change the list without the OPT_OUT / OPT_IN callback (an opt-out made before the webhook existed, or one whose callback was lost). */
  notify: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });
const ConsentsQuery = Type.Object({ app_id: Type.Optional(Type.String()) });

/** The last `limit` items (chronological order kept). */
function lastN<T>(items: T[], limit: number | undefined): T[] {
  return limit === undefined || items.length <= limit ? items : items.slice(items.length - limit);
}

export type ResetFn = (keepApps: boolean) => void;

export function registerControlRoutes(app: FastifyInstance, ctx: EmulatorContext, reset: ResetFn): void {
  app.get('/_emulator', async () => ({
    emulator: 'sinch-conversation-api',
    apps: ctx.state.apps.size,
    messages: ctx.state.messages.size,
    inbound: ctx.state.inbound.size,
    callbacks: ctx.state.callbacks.size,
    token_requests: ctx.stats.tokenRequests,
    token_requests_refused: ctx.stats.tokenRefusals,
  }));

  app.get('/_emulator/apps', async () => ({ apps: [...ctx.state.apps.values()].map((a) => presentApp(ctx, a)) }));

  app.put<{ Params: { app_id: string }; Body: AppUpsert }>('/_emulator/apps/:app_id', {
    schema: { params: AppParams, body: AppUpsert },
  }, async (request, reply) => {
    const { app: record, created } = upsertApp(ctx, request.params.app_id, request.body);
    return reply.code(created ? 201 : 200).send(presentApp(ctx, record));
  });

  app.get<{ Params: { app_id: string } }>('/_emulator/apps/:app_id', { schema: { params: AppParams } }, async (request, reply) => {
    const record = ctx.state.apps.get(request.params.app_id);
    if (record === undefined) return sendRpcError(reply, notFound(`App ${request.params.app_id} not found`));
    return reply.send(presentApp(ctx, record));
  });

  app.delete<{ Params: { app_id: string } }>('/_emulator/apps/:app_id', { schema: { params: AppParams } }, async (request, reply) => {
    if (!ctx.state.apps.delete(request.params.app_id)) return sendRpcError(reply, notFound(`App ${request.params.app_id} not found`));
    for (const webhook of ctx.state.webhooksOfApp(request.params.app_id)) ctx.state.webhooks.delete(webhook.id);
    return reply.send({});
  });

  app.patch<{ Params: { app_id: string }; Body: KnobsPatch }>('/_emulator/apps/:app_id/knobs', {
    schema: { params: AppParams, body: KnobsPatch },
  }, async (request, reply) => {
    const record = ctx.state.apps.get(request.params.app_id);
    if (record === undefined) return sendRpcError(reply, notFound(`App ${request.params.app_id} not found`));
    record.knobs = mergeKnobs(record.knobs, request.body);
    ctx.state.apps.touch(record.app_id);
    return reply.send({ knobs: record.knobs });
  });

  app.post<{ Params: { app_id: string }; Body: InboundInjection }>('/_emulator/apps/:app_id/inbound', {
    schema: { params: AppParams, body: InboundInjection },
  }, async (request, reply) => {
    const record = ctx.state.apps.get(request.params.app_id);
    if (record === undefined) return sendRpcError(reply, notFound(`App ${request.params.app_id} not found`));
    const result = injectInbound(ctx, record, request.body);
    if (!result.ok) return sendRpcError(reply, badRequest([{ field: result.field, description: result.description }]));
    return reply.send(presentInbound(result.inbound));
  });

  app.post<{ Params: { app_id: string }; Body: { identity: string; channel?: 'WHATSAPP' | 'RCS' | 'SMS'; action: 'opt_out' | 'opt_in'; list?: (typeof CONSENT_LISTS)[number]; notify?: boolean } }>(
    '/_emulator/apps/:app_id/consents', { schema: { params: AppParams, body: ConsentInjection } }, async (request, reply) => {
      const record = ctx.state.apps.get(request.params.app_id);
      if (record === undefined) return sendRpcError(reply, notFound(`App ${request.params.app_id} not found`));
      const b = request.body;
      const callbacks = registerConsent(ctx, record, {
        identity: normaliseIdentity(b.identity), channel: b.channel ?? 'SMS', action: b.action, list: b.list ?? 'OPT_OUT_ALL', notify: b.notify ?? true,
      });
      return reply.send({ callbacks: callbacks.map(presentCallback) });
    },
  );

  app.get<{ Querystring: { app_id?: string } }>('/_emulator/consents', { schema: { querystring: ConsentsQuery } }, async (request) => {
    return { consents: [...ctx.state.consents.values()].filter((c) => request.query.app_id === undefined || c.app_id === request.query.app_id) };
  });

  app.post<{ Params: { app_id: string }; Body: ContactEventInjection }>('/_emulator/apps/:app_id/events', {
    schema: { params: AppParams, body: ContactEventInjection },
  }, async (request, reply) => {
    const record = ctx.state.apps.get(request.params.app_id);
    if (record === undefined) return sendRpcError(reply, notFound(`App ${request.params.app_id} not found`));
    const { id, callbacks } = injectContactEvent(ctx, record, request.body);
    return reply.send({ id, callbacks: callbacks.map(presentCallback) });
  });

  app.get<{ Querystring: { app_id?: string; recipient?: string; state?: string; limit?: number } }>('/_emulator/messages', {
    schema: { querystring: MessagesQuery },
  }, async (request) => {
    const q = request.query;
    const messages = [...ctx.state.messages.values()].filter((m) => (q.app_id === undefined || m.app_id === q.app_id)
      && (q.recipient === undefined || messageConcerns(m, q.recipient))
      && (q.state === undefined || m.state === q.state));
    return { messages: lastN(messages, q.limit).map(presentMessage) };
  });

  app.get<{ Params: { message_id: string } }>('/_emulator/messages/:message_id', {
    schema: { params: Type.Object({ message_id: Type.String() }) },
  }, async (request, reply) => {
    const msg = ctx.state.messages.get(request.params.message_id);
    if (msg === undefined) return sendRpcError(reply, notFound(`Message ${request.params.message_id} not found`));
    return reply.send(presentMessage(msg));
  });

  app.get<{ Querystring: { app_id?: string; identity?: string; limit?: number } }>('/_emulator/inbound', {
    schema: { querystring: InboundQuery },
  }, async (request) => {
    const q = request.query;
    const identity = q.identity === undefined ? undefined : normaliseIdentity(q.identity);
    const inbound = [...ctx.state.inbound.values()].filter((i) => (q.app_id === undefined || i.app_id === q.app_id)
      && (identity === undefined || i.identity === identity));
    return { inbound: lastN(inbound, q.limit).map(presentInbound) };
  });

  app.get<{ Querystring: { app_id?: string; message_id?: string; trigger?: string; state?: string; limit?: number } }>('/_emulator/callbacks', {
    schema: { querystring: CallbacksQuery },
  }, async (request) => {
    const q = request.query;
    const callbacks = [...ctx.state.callbacks.values()].filter((c) => {
      const payload = c.payload as { app_id?: string };
      return (q.app_id === undefined || payload.app_id === q.app_id)
        && (q.message_id === undefined || c.message_id === q.message_id)
        && (q.trigger === undefined || c.trigger === q.trigger)
        && (q.state === undefined || c.state === q.state);
    });
    return { callbacks: lastN(callbacks, q.limit).map(presentCallback) };
  });

  app.get('/_emulator/templates', async () => ({ templates: [...ctx.state.templates.values()] }));

  app.put<{ Params: { name: string; language: string }; Body: TemplateUpsert }>('/_emulator/templates/:name/:language', {
    schema: { params: TemplateParams, body: TemplateUpsert },
  }, async (request, reply) => {
    const template = buildTemplate({ ...request.body, name: request.params.name, language: request.params.language });
    ctx.state.templates.set(templateKey(template.name, template.language), template);
    return reply.send(template);
  });

  app.delete<{ Params: { name: string; language: string } }>('/_emulator/templates/:name/:language', {
    schema: { params: TemplateParams },
  }, async (request, reply) => {
    if (!ctx.state.templates.delete(templateKey(request.params.name, request.params.language))) {
      return sendRpcError(reply, notFound(`Template ${request.params.name}/${request.params.language} not found`));
    }
    return reply.send({});
  });

  app.post<{ Querystring: { keep_apps?: boolean } }>('/_emulator/reset', { schema: { querystring: ResetQuery } }, async (request) => {
    reset(request.query.keep_apps === true);
    return {};
  });

  app.get('/_emulator/phones', async () => ({ phones: listPhones(ctx) }));

  app.get<{ Params: { number: string } }>('/_emulator/phones/:number', {
    schema: { params: Type.Object({ number: Type.String({ minLength: 1 }) }) },
  }, async (request) => {
    const number = normaliseIdentity(request.params.number);
    return { number, apps: [...ctx.state.apps.keys()], items: buildConversation(ctx, number) };
  });
}
