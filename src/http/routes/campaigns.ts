import type { IncomingMessage } from 'node:http';
import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppMessageSchema } from '../../domain/app-message.ts';
import { invalidField } from '../../lib/app-error.ts';
import { csvLine } from '../../lib/csv.ts';
import { decodeCursor, encodeCursor, parseIntegerKey, toPageRequest } from '../../lib/pagination.ts';
import type { CampaignsService } from '../../services/campaigns.ts';
import type { CampaignReports } from '../../services/campaign-reports.ts';
import type { CustomerImports } from '../../services/customer-imports.ts';
import type { ProjectsService } from '../../services/projects.ts';
import type { SegmentsService } from '../../services/segments.ts';
import type { StreamSessions } from '../../services/stream-sessions.ts';
import { principalOf } from '../auth.ts';
import { projectGuard } from '../context.ts';
import { authErrors, listOf, PageQuery, ProjectParams, Timestamp } from '../schemas.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Filter = Type.Record(Type.String(), Type.Unknown(), { description: 'A segment filter (docs/campaigns.md): {"all": […]}, {"attribute": "city", "op": "eq", "value": "Lund"}, {"tag": "vip"}, …' });
const CampaignParams = Type.Object({ project_id: Type.String(), campaign_id: Type.String() });
const SegmentParams = Type.Object({ project_id: Type.String(), segment_id: Type.String() });
const ImportParams = Type.Object({ project_id: Type.String(), import_id: Type.String() });

const Import = Type.Object({
  id: Type.String(), name: Type.String(), status: Type.Enum(['waiting', 'running', 'completed', 'failed']), rows_read: Type.Integer(),
  created: Type.Integer(), updated: Type.Integer(), errors: Type.Integer(), failure: Nullable(Type.String()),
  created_at: Timestamp, updated_at: Timestamp, finished_at: Nullable(Timestamp),
  columns: Nullable(Type.Record(Type.String(), Type.String(), {
    description: 'The column mapping given at creation: the file\'s column → phone, tags, time_zone, consent_whatsapp, consent_rcs, consent_sms, ignore or attribute:<name>; null: columns by their names',
  })),
});
const Segment = Type.Object({ id: Type.String(), name: Type.String(), filter: Filter, created_at: Timestamp, updated_at: Timestamp });
const Member = Type.Object({
  id: Type.String(), phone: Type.String(), attributes: Type.Record(Type.String(), Type.Unknown()), tags: Type.Array(Type.String()),
  time_zone: Nullable(Type.String()), consent: Type.Object({ whatsapp: Type.String(), rcs: Type.String(), sms: Type.String() }),
});
const Preview = Type.Object({ count: Type.Integer(), members: Type.Array(Member) });
const QuietHours = Type.Object({
  start: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'HH:MM, the recipient\'s local time' }),
  end: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' }),
}, { additionalProperties: false });
const Audience = Type.Object({
  segment_id: Type.Optional(Type.String()), filter: Type.Optional(Filter), import_id: Type.Optional(Type.String()), all: Type.Optional(Type.Literal(true)),
}, { additionalProperties: false, description: 'Exactly one: a saved segment, a filter, the customers of an import, or everyone' });
const CampaignFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  channel: Type.Enum(['whatsapp', 'rcs']),
  integration_id: Type.Optional(Type.String({ minLength: 1, description: 'Default: the project\'s default provider for the channel (preselected)' })),
  content: AppMessageSchema,
  audience: Audience,
  throttle_per_second: Type.Optional(Nullable(Type.Number({ exclusiveMinimum: 0, maximum: 100_000, description: 'At most the integration\'s send rate' }))),
  quiet_hours: Type.Optional(Nullable(QuietHours)),
  time_zone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone for recipients without their own (quiet hours); default UTC' })),
  send_at: Type.Optional(Nullable(Type.String({ maxLength: 40, description: 'RFC 3339 with offset, or a local time (2026-12-01T09:00) in the campaign\'s time_zone; launch makes it `scheduled` until then' }))),
  on_missing_attribute: Type.Optional(Type.Enum(['skip', 'empty'])),
  sms_fallback: Type.Optional(Type.Boolean({ description: 'RCS: fall back to SMS where RCS cannot deliver' })),
  ttl_seconds: Type.Optional(Nullable(Type.Integer({ description: 'Sinch drops a message not delivered within this many seconds (its `ttl`, at least 3); null: Sinch\'s default' }))),
};
const Campaign = Type.Object({
  id: Type.String(), name: Type.String(), status: Type.Enum(['draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled']),
  channel: Type.Enum(['whatsapp', 'rcs']), integration_id: Type.String(), content: Type.Record(Type.String(), Type.Unknown()),
  audience: Type.Record(Type.String(), Type.Unknown()), throttle_per_second: Nullable(Type.Number()), quiet_hours: Nullable(QuietHours),
  time_zone: Type.String(), on_missing_attribute: Type.Enum(['skip', 'empty']), sms_fallback: Type.Boolean(), ttl_seconds: Nullable(Type.Integer()), send_at: Nullable(Timestamp),
  variables: Type.Object({ used: Type.Array(Type.String()), required: Type.Array(Type.String()) }),
  progress: Type.Object({ audience: Type.Integer(), skipped: Type.Integer(), messages: Type.Integer(), handed_over: Type.Integer(), fanout_done: Type.Boolean() }),
  created_at: Timestamp, updated_at: Timestamp, launched_at: Nullable(Timestamp), finished_at: Nullable(Timestamp),
});
const Report = Type.Record(Type.String(), Type.Unknown(), { description: 'docs/campaigns.md: audience, skipped, statuses, replies, opt-outs, rates, errors, channels, series' });

export const campaignRoutes: FastifyPluginAsyncTypebox<{
  projects: ProjectsService; campaigns: CampaignsService; reports: CampaignReports; segments: SegmentsService; imports: CustomerImports; importMaxBytes: number;
  streams: StreamSessions;
}> = async (app, { projects, campaigns, reports, segments, imports, importMaxBytes, streams }) => {
  const member = projectGuard(projects, 'member');
  // CSV uploads are read as a stream (a million rows need not fit in memory).
  app.addContentTypeParser(['text/csv', 'application/csv'], (_request, payload, done) => done(null, payload));

  // --- customers in bulk ---
  app.post('/projects/:project_id/customers::batch', {
    preValidation: member,
    schema: {
      tags: ['Customers'], summary: 'Create or update up to 1,000 customers (matched by phone); a result per item', params: ProjectParams,
      body: Type.Object({ customers: Type.Array(Type.Record(Type.String(), Type.Unknown()), { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false }),
      response: {
        200: Type.Object({ data: Type.Array(Type.Object({
          index: Type.Integer(), status: Type.Enum(['created', 'updated', 'invalid']), id: Type.Optional(Type.String()), phone: Type.Optional(Type.String()),
          errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
        })) }),
        ...authErrors,
      },
    },
  }, async (request) => {
    const principal = principalOf(request);
    return { data: await imports.upsertBatch(request.params.project_id, request.body.customers, principal.kind === 'project_token' ? principal.tokenId : null) };
  });

  const iTags = ['Customer imports'];
  app.post('/projects/:project_id/customer-imports', {
    preValidation: member,
    schema: {
      tags: iTags, summary: 'Start an import: JSON {"name", "columns"?} (then PUT the CSV), or the CSV itself (text/csv) to import at once',
      description: 'CSV: a header row naming the columns: `phone` (required), `tags` (separated by `|`), `time_zone`, `consent_whatsapp`, `consent_rcs`, `consent_sms`, any other column an attribute. '
        + 'With JSON, `columns` maps the file\'s own column names instead, e.g. `{"Mobile": "phone", "First name": "attribute:first_name", "Notes": "ignore"}` (columns it does not name keep their default). '
        + 'Rows are upserted by the normalised phone; bad rows go to the error report.',
      params: ProjectParams, querystring: Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }),
      response: { 201: Import, 200: Import, 400: Type.Ref('ErrorBody'), 413: Type.Ref('ErrorBody'), ...authErrors },
    },
  }, async (request, reply) => {
    const body = request.body;
    if (body !== null && typeof body === 'object' && typeof (body as { pipe?: unknown }).pipe === 'function') {
      const created = await imports.create(request.params.project_id, request.query.name ?? `Import ${new Date().toISOString()}`);
      return reply.status(200).send(await imports.run(request.params.project_id, created.id, body as IncomingMessage, { maxBytes: importMaxBytes }));
    }
    const json = body !== null && typeof body === 'object' ? body as { name?: unknown; columns?: unknown } : {};
    const name = typeof json.name === 'string' ? json.name : request.query.name;
    if (name === undefined || name.length === 0 || name.length > 200) throw invalidField('name', 'name is required (1 to 200 characters)');
    return reply.status(201).send(await imports.create(request.params.project_id, name, json.columns));
  });
  app.put('/projects/:project_id/customer-imports/:import_id/csv', {
    preValidation: member,
    schema: { tags: iTags, summary: 'Upload the CSV of a waiting import and import it; answers when done (watch progress with GET)', params: ImportParams, response: { 200: Import, 400: Type.Ref('ErrorBody'), 409: Type.Ref('ErrorBody'), 413: Type.Ref('ErrorBody'), ...authErrors } },
  }, async (request) => {
    const body = request.body;
    if (body === null || typeof body !== 'object' || typeof (body as { pipe?: unknown }).pipe !== 'function') throw invalidField('csv', 'send the file as text/csv');
    return imports.run(request.params.project_id, request.params.import_id, body as IncomingMessage, { maxBytes: importMaxBytes });
  });
  app.get('/projects/:project_id/customer-imports', {
    preValidation: member,
    schema: { tags: iTags, summary: 'Imports, newest first', params: ProjectParams, querystring: PageQuery, response: { 200: listOf(Import), ...authErrors } },
  }, async (request) => imports.list(request.params.project_id, toPageRequest(request.query)));
  app.get('/projects/:project_id/customer-imports/:import_id', {
    preValidation: member,
    schema: { tags: iTags, summary: 'One import and its progress', params: ImportParams, response: { 200: Import, ...authErrors } },
  }, async (request) => imports.get(request.params.project_id, request.params.import_id));
  app.get('/projects/:project_id/customer-imports/:import_id/errors', {
    preValidation: member,
    schema: {
      tags: iTags, summary: 'The error report: row, field, rule (`format=csv` to download)', params: ImportParams,
      querystring: Type.Intersect([PageQuery, Type.Object({ format: Type.Optional(Type.Enum(['json', 'csv'])) })]),
      response: { 200: listOf(Type.Object({ row: Type.Integer(), field: Type.String(), message: Type.String() })), ...authErrors },
    },
  }, async (request, reply) => {
    const { project_id: projectId, import_id: importId } = request.params;
    if (request.query.format === 'csv') {
      const lines = [csvLine(['row', 'field', 'message'])];
      let after: number | undefined;
      for (;;) {
        const rows = await imports.errors(projectId, importId, { ...(after !== undefined ? { after } : {}), limit: 1000 });
        for (const r of rows) lines.push(csvLine([r.row_number, r.field, r.message]));
        if (rows.length < 1000) break;
        after = rows.at(-1)!.row_number;
      }
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${importId}-errors.csv"`).send(lines.join(''));
    }
    const limit = request.query.limit ?? 100;
    const key = parseIntegerKey(decodeCursor(request.query.cursor));
    const rows = await imports.errors(projectId, importId, { ...(key !== undefined ? { after: key } : {}), limit: limit + 1 });
    const page = rows.slice(0, limit);
    return { data: page.map((r) => ({ row: r.row_number, field: r.field, message: r.message })), next_cursor: rows.length > limit ? encodeCursor(String(page.at(-1)!.row_number)) : null };
  });

  // --- segments ---
  const sTags = ['Segments'];
  app.post('/projects/:project_id/segments', {
    preValidation: member,
    schema: { tags: sTags, summary: 'Save a segment (a filter over customers)', params: ProjectParams, body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }), filter: Filter }, { additionalProperties: false }), response: { 201: Segment, 400: Type.Ref('ErrorBody'), 409: Type.Ref('ErrorBody'), ...authErrors } },
  }, async (request, reply) => reply.status(201).send(await segments.create(request.params.project_id, request.body)));
  app.get('/projects/:project_id/segments', {
    preValidation: member,
    schema: { tags: sTags, summary: 'Segments', params: ProjectParams, querystring: PageQuery, response: { 200: listOf(Segment), ...authErrors } },
  }, async (request) => segments.list(request.params.project_id, toPageRequest(request.query)));
  app.post('/projects/:project_id/segments/preview', {
    preValidation: member,
    schema: {
      tags: sTags, summary: 'How many customers a filter (or a segment, or an import) matches now, and the first few', params: ProjectParams,
      body: Audience, querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, default: 20 })) }),
      response: { 200: Preview, 400: Type.Ref('ErrorBody'), ...authErrors },
    },
  }, async (request) => segments.preview(request.params.project_id, await segments.sourceOf(request.params.project_id, request.body), request.query.limit ?? 20));
  app.get('/projects/:project_id/segments/:segment_id', {
    preValidation: member,
    schema: { tags: sTags, summary: 'One segment', params: SegmentParams, response: { 200: Segment, ...authErrors } },
  }, async (request) => segments.get(request.params.project_id, request.params.segment_id));
  app.get('/projects/:project_id/segments/:segment_id/preview', {
    preValidation: member,
    schema: { tags: sTags, summary: 'The segment\'s live count and first members', params: SegmentParams, querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, default: 20 })) }), response: { 200: Preview, ...authErrors } },
  }, async (request) => segments.preview(request.params.project_id, await segments.sourceOf(request.params.project_id, { segment_id: request.params.segment_id }), request.query.limit ?? 20));
  app.patch('/projects/:project_id/segments/:segment_id', {
    preValidation: member,
    schema: { tags: sTags, summary: 'Rename a segment or change its filter', params: SegmentParams, body: Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), filter: Type.Optional(Filter) }, { additionalProperties: false }), response: { 200: Segment, 400: Type.Ref('ErrorBody'), 409: Type.Ref('ErrorBody'), ...authErrors } },
  }, async (request) => segments.update(request.params.project_id, request.params.segment_id, request.body));
  app.delete('/projects/:project_id/segments/:segment_id', {
    preValidation: member,
    schema: { tags: sTags, summary: 'Delete a segment (campaigns keep the filter they were created with)', params: SegmentParams, response: { 204: Type.Null(), ...authErrors } },
  }, async (request, reply) => {
    await segments.remove(request.params.project_id, request.params.segment_id);
    return reply.status(204).send(null);
  });

  // --- campaigns ---
  const tags = ['Campaigns'];
  app.post('/projects/:project_id/campaigns', {
    preValidation: member,
    schema: { tags, summary: 'Create a campaign (a draft)', params: ProjectParams, body: Type.Object(CampaignFields, { additionalProperties: false }), response: { 201: Campaign, 400: Type.Ref('ErrorBody'), 422: Type.Ref('ErrorBody'), ...authErrors } },
  }, async (request, reply) => reply.status(201).send(await campaigns.create(request.params.project_id, request.body)));
  app.get('/projects/:project_id/campaigns', {
    preValidation: member,
    schema: {
      tags, summary: 'Campaigns, newest first, with their progress', params: ProjectParams,
      querystring: Type.Intersect([PageQuery, Type.Object({ status: Type.Optional(Type.Enum(['draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled'])) })]),
      response: { 200: listOf(Campaign), ...authErrors },
    },
  }, async (request) => {
    const { status, ...page } = request.query;
    return campaigns.list(request.params.project_id, toPageRequest(page), status);
  });
  app.get('/projects/:project_id/campaigns/:campaign_id', {
    preValidation: member,
    schema: { tags, summary: 'One campaign', params: CampaignParams, response: { 200: Campaign, ...authErrors } },
  }, async (request) => campaigns.get(request.params.project_id, request.params.campaign_id));
  app.patch('/projects/:project_id/campaigns/:campaign_id', {
    preValidation: member,
    schema: { tags, summary: 'Change a draft or scheduled campaign (a running one: 409 campaign_not_editable)', params: CampaignParams, body: Type.Partial(Type.Object(CampaignFields), { additionalProperties: false }), response: { 200: Campaign, 400: Type.Ref('ErrorBody'), 409: Type.Ref('ErrorBody'), ...authErrors } },
  }, async (request) => campaigns.update(request.params.project_id, request.params.campaign_id, request.body));
  app.delete('/projects/:project_id/campaigns/:campaign_id', {
    preValidation: member,
    schema: { tags, summary: 'Delete a draft', params: CampaignParams, response: { 204: Type.Null(), 409: Type.Ref('ErrorBody'), ...authErrors } },
  }, async (request, reply) => {
    await campaigns.remove(request.params.project_id, request.params.campaign_id);
    return reply.status(204).send(null);
  });
  for (const action of ['launch', 'pause', 'resume', 'cancel'] as const) {
    app.post(`/projects/:project_id/campaigns/:campaign_id/${action}`, {
      preValidation: member,
      schema: { tags, summary: { launch: 'Start now, or at send_at (scheduled)', pause: 'Pause: nothing more is handed to Sinch until resumed', resume: 'Resume where it paused, at the campaign\'s throttle', cancel: 'Cancel: what was not handed over is not sent' }[action], params: CampaignParams, response: { 200: Campaign, 400: Type.Ref('ErrorBody'), 409: Type.Ref('ErrorBody'), ...authErrors } },
    }, async (request) => campaigns[action](request.params.project_id, request.params.campaign_id));
  }
  app.post('/projects/:project_id/campaigns/:campaign_id/preview', {
    preValidation: member,
    schema: {
      tags, summary: 'The content as one customer would get it (or why they would be skipped)', params: CampaignParams,
      body: Type.Object({ customer_id: Type.Optional(Type.String()), phone: Type.Optional(Type.String()) }, { additionalProperties: false }),
      response: { 200: Type.Object({ content: Nullable(Type.Record(Type.String(), Type.Unknown())), problems: Type.Array(Type.Object({ code: Type.String(), message: Type.String(), field: Type.Optional(Type.String()) })) }), ...authErrors },
    },
  }, async (request) => campaigns.preview(request.params.project_id, request.params.campaign_id, request.body));
  app.post('/projects/:project_id/campaigns/:campaign_id/test', {
    preValidation: member,
    schema: {
      tags, summary: 'Send the personalised content to up to 10 numbers before launch (campaign_id "<id>:test"; not in the report)', params: CampaignParams,
      body: Type.Object({ to: Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { minItems: 1, maxItems: 10 }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ data: Type.Array(Type.Record(Type.String(), Type.Unknown())) }), 400: Type.Ref('ErrorBody'), ...authErrors },
    },
  }, async (request) => ({ data: await campaigns.testSend(request.params.project_id, request.params.campaign_id, request.body.to) }));
  app.get('/projects/:project_id/campaigns/:campaign_id/report', {
    preValidation: member,
    schema: { tags, summary: 'The campaign\'s report (kept as it runs)', params: CampaignParams, querystring: Type.Object({ interval: Type.Optional(Type.Enum(['minute', 'hour'])) }), response: { 200: Report, ...authErrors } },
  }, async (request) => reports.report(request.params.project_id, request.params.campaign_id, request.query.interval ?? 'minute'));
  app.get('/projects/:project_id/campaigns/:campaign_id/report/export', {
    preValidation: member,
    schema: {
      tags, summary: 'Export: the report (`part=summary`, CSV) or every message with its status (`part=messages`, CSV, streamed)', params: CampaignParams,
      querystring: Type.Object({ part: Type.Optional(Type.Enum(['summary', 'messages'])), interval: Type.Optional(Type.Enum(['minute', 'hour'])) }),
      response: { 200: { description: 'CSV', content: { 'text/csv': { schema: Type.String() } } }, ...authErrors },
    },
  }, async (request, reply) => {
    const { project_id: projectId, campaign_id: campaignId } = request.params;
    const part = request.query.part ?? 'summary';
    void reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${campaignId}-${part}.csv"`);
    return part === 'summary' ? reports.summaryCsv(projectId, campaignId, request.query.interval ?? 'minute') : reply.send(await reports.messagesCsv(projectId, campaignId));
  });
  app.get('/projects/:project_id/campaigns/:campaign_id/report/stream', {
    preValidation: member,
    schema: {
      tags, summary: 'The report, live (Server-Sent Events): the whole report at once, then again whenever it changes (at most once a second)',
      params: CampaignParams, response: { 200: { description: 'A Server-Sent Events stream', content: { 'text/event-stream': { schema: Type.String() } } }, 429: Type.Ref('ErrorBody'), ...authErrors },
    },
  }, async (request, reply) => {
    await reports.row(request.params.project_id, request.params.campaign_id);
    const session = streams.open(principalOf(request));
    try {
      reply.hijack();
      await reports.serveStream(request.raw, reply.raw, request.params.project_id, request.params.campaign_id, session.signal);
    } finally {
      session.close();
    }
  });
  app.get('/projects/:project_id/campaigns/:campaign_id/skipped', {
    preValidation: member,
    schema: {
      tags, summary: 'Recipients skipped when the campaign started, with the reason', params: CampaignParams,
      querystring: Type.Intersect([PageQuery, Type.Object({ reason: Type.Optional(Type.String()) })]),
      response: { 200: listOf(Type.Object({ phone: Type.String(), customer_id: Type.String(), reason: Type.String(), detail: Nullable(Type.String()) })), ...authErrors },
    },
  }, async (request) => reports.skipped(request.params.project_id, request.params.campaign_id, request.query));
};
