import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { trackedStatuses } from '../../domain/statuses.ts';
import type { EventDestinationsService } from '../../services/event-destinations.ts';
import type { ProjectsService } from '../../services/projects.ts';
import { projectGuard } from '../context.ts';
import { authErrors, listOf, PageQuery, ProjectParams, Timestamp } from '../schemas.ts';

const protocol = [
  'Events are POSTed in batches as `{"events": [ … ]}` (items as in the events API), in id order (creation order),',
  'one batch at a time: a batch that gets no 2xx within 10 s is retried (the same events, the same `webhook-id`) with',
  'exponential backoff and full jitter (1 s doubling to 10 min; `Retry-After` is honoured up to that), and later',
  'events wait for it, so each message\'s events arrive in order. At least once: skip event ids you have seen.',
  'Signed as Standard Webhooks: headers `webhook-id`, `webhook-timestamp` (Unix seconds) and',
  '`webhook-signature: v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<raw body>">`, keyed with the',
  'base64-decoded part of the secret after `whsec_`; after a secret change the previous secret signs too for a while',
  '(several space-separated signatures). Redirects are not followed. Only public addresses are reached (see',
  'EVENT_DESTINATION_ALLOWED_NETWORKS); a destination failing for EVENT_DESTINATION_PAUSE_AFTER_HOURS is paused.',
].join(' ');

const Name = Type.String({ minLength: 1, maxLength: 200 });
const Url = Type.String({ minLength: 1, maxLength: 2000, description: 'https:// URL of a public address (http:// only for localhost / 127.0.0.1, which like any non-public address needs EVENT_DESTINATION_ALLOWED_NETWORKS)' });
const EventNames = Type.Union([Type.Array(Type.String({ pattern: '^[a-z0-9_]{1,64}$' }), { maxItems: 50 }), Type.Null()], {
  description: 'Forward only these event names; null or absent: all',
});
const Statuses = Type.Union([Type.Array(Type.Enum([...trackedStatuses]), { maxItems: 20 }), Type.Null()], {
  description: 'Forward only events with these statuses; null or absent: all',
});
const Secret = Type.String({ minLength: 1, maxLength: 200, description: 'Signing secret, `whsec_` + base64 of ≥ 24 random bytes (write-only). Generated when absent and then shown once, in the create response.' });
const BatchSize = Type.Integer({ minimum: 1, maximum: 1000, description: 'Most events per POST (default 100)' });

const CreateBody = Type.Object({
  name: Name,
  url: Url,
  events: Type.Optional(EventNames),
  statuses: Type.Optional(Statuses),
  secret: Type.Optional(Secret),
  batch_size: Type.Optional(BatchSize),
  enabled: Type.Optional(Type.Boolean({ description: 'false pauses forwarding (default true)' })),
  start_from: Type.Optional(Type.Enum(['now', 'beginning'], { description: '`now` (default): events recorded from now on; `beginning`: every stored event of the project first' })),
}, { additionalProperties: false });

const PatchBody = Type.Object({
  name: Type.Optional(Name),
  url: Type.Optional(Url),
  events: Type.Optional(EventNames),
  statuses: Type.Optional(Statuses),
  secret: Type.Optional(Secret),
  batch_size: Type.Optional(BatchSize),
  enabled: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const Destination = Type.Object({
  id: Type.String(),
  name: Type.String(),
  url: Type.String(),
  events: Type.Union([Type.Array(Type.String()), Type.Null()]),
  statuses: Type.Union([Type.Array(Type.String()), Type.Null()]),
  batch_size: Type.Integer(),
  enabled: Type.Boolean(),
  secret_set: Type.Literal(true),
  previous_secret_expires_at: Type.Union([Timestamp, Type.Null()], { description: 'After a secret change, requests are signed with the new and the previous secret (two signatures) until this time; null: the current one only' }),
  created_at: Timestamp,
  updated_at: Timestamp,
  delivery: Type.Object({
    state: Type.Enum(['paused', 'idle', 'pending', 'retrying'], { description: '`pending`: events wait to be sent; `retrying`: the last batch failed' }),
    cursor: Type.Union([Type.String(), Type.Null()], { description: 'Position in the project\'s events (by id): every matching event up to here was delivered' }),
    lag: Type.Integer({ description: 'Matching events recorded after the cursor, not yet delivered' }),
    forwarded_count: Type.Integer(),
    last_attempt_at: Nullable(Timestamp),
    last_success_at: Nullable(Timestamp),
    last_error: Nullable(Type.String()),
    last_error_at: Nullable(Timestamp),
    last_status_code: Type.Union([Type.Integer(), Type.Null()]),
    consecutive_failures: Type.Integer(),
    next_attempt_at: Type.Union([Timestamp, Type.Null()], { description: 'When the failed batch is retried' }),
    failing_since: Type.Union([Timestamp, Type.Null()], { description: 'When the current run of failures began (null: the last batch was accepted)' }),
    paused_reason: Type.Union([Type.String(), Type.Null()], { description: 'Why the service paused it: no batch accepted for EVENT_DESTINATION_PAUSE_AFTER_HOURS (PATCH `enabled: true` resumes)' }),
    paused_at: Type.Union([Timestamp, Type.Null()]),
  }),
});

const Params = Type.Object({ project_id: Type.String(), destination_id: Type.String() });

export const eventDestinationRoutes: FastifyPluginAsyncTypebox<{ projects: ProjectsService; destinations: EventDestinationsService }> = async (app, { projects, destinations }) => {
  const tags = ['Event forwarding'];

  app.post('/projects/:project_id/event-destinations', {
    preValidation: projectGuard(projects, 'admin'),
    schema: {
      tags, summary: 'Forward tracked events to your HTTPS endpoint (project admin)', description: protocol,
      params: ProjectParams, body: CreateBody,
      response: { 201: Type.Intersect([Destination, Type.Object({ secret: Type.Optional(Type.String({ description: 'Only when generated: shown this once' })) })]), 400: Type.Ref('ErrorBody'), ...authErrors },
    },
  }, async (request, reply) => {
    return reply.status(201).send(await destinations.create(request.params.project_id, request.body));
  });

  app.get('/projects/:project_id/event-destinations', {
    preValidation: projectGuard(projects, 'member'),
    schema: { tags, summary: 'Event destinations with their delivery state', params: ProjectParams, querystring: PageQuery, response: { 200: listOf(Destination), ...authErrors } },
  }, async (request) => {
    return destinations.list(request.params.project_id, { limit: request.query.limit ?? 100, cursor: request.query.cursor });
  });

  app.get('/projects/:project_id/event-destinations/:destination_id', {
    preValidation: projectGuard(projects, 'member'),
    schema: { tags, summary: 'One event destination with its delivery state', description: protocol, params: Params, response: { 200: Destination, ...authErrors } },
  }, async (request) => {
    return destinations.get(request.params.project_id, request.params.destination_id);
  });

  app.patch('/projects/:project_id/event-destinations/:destination_id', {
    preValidation: projectGuard(projects, 'admin'),
    schema: {
      tags, summary: 'Change an event destination (project admin). A new url or secret, or re-enabling, retries at once.',
      params: Params, body: PatchBody, response: { 200: Destination, 400: Type.Ref('ErrorBody'), ...authErrors },
    },
  }, async (request) => {
    return destinations.update(request.params.project_id, request.params.destination_id, request.body);
  });

  app.delete('/projects/:project_id/event-destinations/:destination_id', {
    preValidation: projectGuard(projects, 'admin'),
    schema: { tags, summary: 'Delete an event destination: forwarding to it stops (project admin)', params: Params, response: { 204: Type.Null(), ...authErrors } },
  }, async (request, reply) => {
    await destinations.remove(request.params.project_id, request.params.destination_id);
    return reply.status(204).send(null);
  });
};
