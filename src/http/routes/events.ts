import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { trackedStatuses } from '../../domain/statuses.ts';
import { invalidField } from '../../lib/app-error.ts';
import type { EventsService } from '../../services/events.ts';
import { isEventId, parseEventFilters } from '../../services/events.ts';
import type { ProjectsService } from '../../services/projects.ts';
import type { StreamSessions } from '../../services/stream-sessions.ts';
import { principalOf } from '../auth.ts';
import { projectGuard } from '../context.ts';
import { authErrors, listOf, PageQuery, ProjectParams } from '../schemas.ts';

const time = (what: string) => Type.String({
  minLength: 1, maxLength: 40,
  description: `${what}: RFC 3339 (\`2024-08-12T17:49:25.922Z\`) or Unix seconds (\`1723484965.922\`)`,
});

export const EventFilterQuery = Type.Object({
  event: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Event name (the project\'s mapping, default `campaign`)' })),
  status: Type.Optional(Type.Enum([...trackedStatuses])),
  action_type: Type.Optional(Type.Enum(['whatsapp', 'rcs'])),
  campaign_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  recipient: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'E.164, e.g. +46732001122' })),
  message_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Our message id' })),
  since: Type.Optional(time('Events at or after this time (inclusive)')),
  until: Type.Optional(time('Events before this time (exclusive)')),
});

export const EventView = Type.Object({
  id: Type.String(),
  event: Type.String(),
  timestamp: Type.Number({ description: 'Unix seconds with fraction: when it happened (Sinch\'s event time for reports)' }),
  properties: Type.Record(Type.String(), Type.Unknown(), {
    description: 'message_type, action_type, campaign_id, recipient, sender, sent_timestamp, status, error, error_description, message_id, integration_id, and extra ones such as delivery_channel',
  }),
});

const StreamQuery = Type.Intersect([EventFilterQuery, Type.Object({
  last_event_id: Type.Optional(Type.String({ description: 'Same as the Last-Event-ID header (for clients that cannot set headers)' })),
})]);

const ExportQuery = Type.Intersect([EventFilterQuery, Type.Object({
  format: Type.Optional(Type.Enum(['ndjson', 'csv'], { default: 'ndjson' })),
})]);

export const eventRoutes: FastifyPluginAsyncTypebox<{ projects: ProjectsService; events: EventsService; streams: StreamSessions }> = async (app, { projects, events, streams }) => {
  const tags = ['Events'];

  app.get('/projects/:project_id/events', {
    preValidation: projectGuard(projects, 'member'),
    schema: {
      tags,
      summary: 'Tracked events, ordered by timestamp then id',
      description: 'Filters combine with AND. `since` is inclusive, `until` exclusive; both take RFC 3339 or Unix seconds. Pages with `limit` and the opaque `next_cursor`.',
      params: ProjectParams,
      querystring: Type.Intersect([PageQuery, EventFilterQuery]),
      response: { 200: listOf(EventView), 400: Type.Ref('ErrorBody'), ...authErrors },
    },
  }, async (request) => {
    const { limit, cursor, ...query } = request.query;
    return events.list(request.params.project_id, query, { limit: limit ?? 100, cursor });
  });

  app.get('/projects/:project_id/events/stream', {
    preValidation: projectGuard(projects, 'member'),
    schema: {
      tags,
      summary: 'Live tracked events (Server-Sent Events)',
      description: [
        'A `text/event-stream` of new events as they are recorded, with the same filters as the list. Each message has',
        '`id:` = the event id and `data:` = the event as JSON; a `: heartbeat` comment comes every 15 s.',
        'Reconnect with `Last-Event-ID` (header, or `?last_event_id=`) to first get every matching event recorded',
        'after that one (by id: ids are ULIDs, so creation order), then live ones. Delivery is at least once: skip ids',
        'you have seen. A client that falls far behind is disconnected and resumes the same way. The stream ends when its',
        'token is revoked; one token may hold STREAMS_PER_TOKEN streams at once (429 `too_many_streams` beyond).',
      ].join(' '),
      params: ProjectParams,
      querystring: StreamQuery,
      headers: Type.Object({ 'last-event-id': Type.Optional(Type.String()) }),
      response: {
        200: { description: 'A Server-Sent Events stream', content: { 'text/event-stream': { schema: Type.String() } } },
        400: Type.Ref('ErrorBody'), 429: Type.Ref('ErrorBody'), ...authErrors,
      },
    },
  }, async (request, reply) => {
    const { last_event_id: fromQuery, ...query } = request.query;
    const header = request.headers['last-event-id'];
    const lastEventId = header !== undefined && header !== '' ? header : fromQuery !== undefined && fromQuery !== '' ? fromQuery : undefined;
    if (lastEventId !== undefined && !isEventId(lastEventId)) throw invalidField('last_event_id', 'Last-Event-ID must be an event id (evt_…) this API sent');
    const filters = parseEventFilters(query);
    const session = streams.open(principalOf(request));
    try {
      reply.hijack();
      await events.serveStream(request.raw, reply.raw, { projectId: request.params.project_id, filters, lastEventId, signal: session.signal });
    } finally {
      session.close();
    }
  });

  app.get('/projects/:project_id/events/export', {
    preValidation: projectGuard(projects, 'member'),
    schema: {
      tags,
      summary: 'Export a filtered range as NDJSON or CSV (streamed)',
      description: [
        'Same filters as the list; ordered by timestamp then id. `format=ndjson` (default): one event JSON per line, as',
        'in the list. `format=csv`: RFC 4180 with a header row: id, event, timestamp, one column per property',
        '(message_type … integration_id) and `other_properties` (JSON of any others). Read from the database page by',
        'page as you download, so any range size works.',
      ].join(' '),
      params: ProjectParams,
      querystring: ExportQuery,
      response: {
        200: {
          description: 'The events as a download',
          content: { 'application/x-ndjson': { schema: Type.String() }, 'text/csv': { schema: Type.String() } },
        },
        400: Type.Ref('ErrorBody'), ...authErrors,
      },
    },
  }, async (request, reply) => {
    const { format: formatParam, ...query } = request.query;
    const format = formatParam ?? 'ndjson';
    const filters = parseEventFilters(query);
    const stamp = new Date().toISOString().replaceAll(/[:.]/g, '-');
    const filename = `events-${request.params.project_id}-${stamp}.${format}`;
    return reply
      .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="${filename.replaceAll(/[^A-Za-z0-9_.-]/g, '_')}"`)
      .header('cache-control', 'no-store')
      .send(events.exportStream(request.params.project_id, filters, format));
  });
};
