import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { durableByTransact } from '../durable.ts';
import { AppMessageSchema } from '../../domain/app-message.ts';
import { messageStatuses } from '../../domain/statuses.ts';
import type { MessagesService } from '../../services/messages.ts';
import type { ProjectsService } from '../../services/projects.ts';
import { projectGuard } from '../context.ts';
import { fieldOf, messageOf, type AjvIssue } from '../errors.ts';
import type { SendInput } from '../../services/messages.ts';
import { authErrors, listOf, PageQuery, ProjectParams, Timestamp } from '../schemas.ts';

const ChannelSchema = Type.Enum(['whatsapp', 'rcs']);

const SendBody = Type.Object({
  channel: ChannelSchema,
  to: Type.String({ minLength: 1, maxLength: 32, description: 'Recipient phone number, international format (normalised to E.164)' }),
  integration_id: Type.Optional(Type.String({ minLength: 1, description: 'Default: the project\'s default provider for the channel' })),
  campaign_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  message: AppMessageSchema,
  channel_priority_order: Type.Optional(Type.Array(Type.Enum(['rcs', 'sms', 'whatsapp']), { minItems: 1, maxItems: 2, description: '["rcs", "sms"]: fall back to SMS when RCS cannot deliver' })),
  sms_sender: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'SMS sender for the fallback leg (default: the integration\'s senders.sms)' })),
  send_at: Type.Optional(Type.String({ maxLength: 40, description: 'RFC 3339 with offset: hand it to Sinch no earlier than this (within a year)' })),
}, { additionalProperties: false });

const MessageView = Type.Object({
  id: Type.String(),
  channel: ChannelSchema,
  to: Type.String(),
  integration_id: Type.String(),
  campaign_id: Type.Union([Type.String(), Type.Null()]),
  sender: Type.Union([Type.String(), Type.Null()]),
  status: Type.Enum([...messageStatuses], { description: '`queued` until handed to Sinch, then the statuses of the events API' }),
  provider_message_id: Type.Union([Type.String(), Type.Null()], { description: 'Sinch\'s message_id, once Sinch accepted the message' }),
  error: Type.Union([Type.String(), Type.Null()]),
  error_description: Type.Union([Type.String(), Type.Null()]),
  possible_duplicate: Type.Boolean({ description: 'True when a crash may have made us hand this message to Sinch twice' }),
  content_kind: Type.String(),
  message: Type.Record(Type.String(), Type.Unknown()),
  channel_priority_order: Type.Union([Type.Array(Type.String()), Type.Null()]),
  current_channel: Type.Union([Type.String(), Type.Null()]),
  attempt_count: Type.Integer(),
  sent_timestamp: Type.Union([Type.Number(), Type.Null()]),
  send_at: Type.Union([Timestamp, Type.Null()], { description: 'Not handed to Sinch before this: the time the sender asked for, or the end of a campaign\'s quiet hours for this recipient' }),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const TimelineEntry = Type.Object({
  at: Type.String(), kind: Type.String(), status: Type.Union([Type.String(), Type.Null()]),
  channel: Type.Union([Type.String(), Type.Null()]), detail: Type.Record(Type.String(), Type.Unknown()),
});

const Params = Type.Object({ project_id: Type.String(), message_id: Type.String() });

export const messageRoutes: FastifyPluginAsyncTypebox<{ projects: ProjectsService; messages: MessagesService }> = async (app, { projects, messages }) => {
  const tags = ['Messages'];

  app.post('/projects/:project_id/messages', {
    config: durableByTransact,
    preValidation: projectGuard(projects, 'member'),
    schema: {
      tags, summary: 'Send a WhatsApp or RCS message. 202 once it is durably queued; 429 with Retry-After when the project\'s backlog is full.',
      params: ProjectParams, body: SendBody,
      headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) }),
      response: { 202: MessageView, 400: Type.Ref('ErrorBody'), 422: Type.Ref('ErrorBody'), 429: Type.Ref('ErrorBody'), ...authErrors },
    },
  }, async (request, reply) => {
    const result = await messages.accept(request.params.project_id, request.body, request.headers['idempotency-key']);
    return reply.status(result.status as 202).send(result.body);
  });

  // Each item is checked on its own, so one bad item does not refuse the others.
  // Compiled on first use: Fastify builds its validator compiler when the app becomes ready.
  type ItemCheck = ((value: unknown) => boolean) & { errors?: AjvIssue[] | null };
  let compiled: ItemCheck | undefined;
  const checkItem = (value: unknown): { ok: true } | { ok: false; issue: AjvIssue | undefined } => {
    compiled ??= app.validatorCompiler!({ schema: SendBody, method: 'POST', url: '/messages:batch', httpPart: 'body' }) as ItemCheck;
    return compiled(value) ? { ok: true } : { ok: false, issue: compiled.errors?.[0] };
  };
  app.post('/projects/:project_id/messages::batch', {
    preValidation: projectGuard(projects, 'member'),
    config: durableByTransact,
    schema: {
      tags, summary: 'Send up to 1,000 messages in one request: a result per item (202 accepted, or the error naming the field)',
      description: 'Each item is the body of POST …/messages. Items that are valid are stored together in one transaction before the answer; invalid ones are reported and nothing of theirs is stored. An `Idempotency-Key` covers the whole request.',
      params: ProjectParams,
      body: Type.Object({ messages: Type.Array(Type.Record(Type.String(), Type.Unknown()), { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false }),
      headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) }),
      response: {
        200: Type.Object({ data: Type.Array(Type.Object({
          index: Type.Integer(), status: Type.Integer({ description: '202, or the 4xx a single send would have got' }),
          message: Type.Optional(MessageView), error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String(), field: Type.Optional(Type.String()) })),
        })) }),
        422: Type.Ref('ErrorBody'), 429: Type.Ref('ErrorBody'), ...authErrors,
      },
    },
  }, async (request) => {
    const items = request.body.messages.map((item, index) => {
      const checked = checkItem(item);
      if (checked.ok) return { ok: true as const, input: item as unknown as SendInput };
      const issue = checked.issue;
      const field = issue === undefined ? '' : fieldOf(issue);
      const path = `messages[${index}]${field === '' ? '' : `.${field}`}`;
      return { ok: false as const, error: { code: 'invalid_request', message: issue === undefined ? `${path} is invalid` : messageOf(issue, path, 'body'), field: path } };
    });
    return messages.acceptBatch(request.params.project_id, items, request.headers['idempotency-key']);
  });

  app.get('/projects/:project_id/messages', {
    preValidation: projectGuard(projects, 'member'),
    schema: {
      tags, summary: 'Messages, newest first',
      params: ProjectParams,
      querystring: Type.Intersect([PageQuery, Type.Object({
        status: Type.Optional(Type.Enum([...messageStatuses])),
        channel: Type.Optional(ChannelSchema),
        recipient: Type.Optional(Type.String()),
        campaign_id: Type.Optional(Type.String()),
        integration_id: Type.Optional(Type.String()),
      })]),
      response: { 200: listOf(MessageView), ...authErrors },
    },
  }, async (request) => {
    const { limit, cursor, ...filters } = request.query;
    return messages.list(request.params.project_id, filters, { limit: limit ?? 100, ...(cursor !== undefined ? { cursor } : {}) });
  });

  app.get('/projects/:project_id/messages/:message_id', {
    preValidation: projectGuard(projects, 'member'),
    schema: {
      tags, summary: 'One message with its timeline: attempts, statuses, callbacks, errors',
      params: Params, response: { 200: Type.Intersect([MessageView, Type.Object({ timeline: Type.Array(TimelineEntry) })]), ...authErrors },
    },
  }, async (request) => {
    return messages.get(request.params.project_id, request.params.message_id);
  });
};
