import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CallbackRow, CallbacksRepo } from '../../db/repos/callbacks-repo.ts';
import { explainError, isReasonCode, reasonCodeCatalogue, reasonSubCodeCatalogue, type ReasonCode, type ReasonSubCode } from '../../domain/reason-codes.ts';
import { nestsDeeperThan } from '../../lib/json-input.ts';
import { decodeCursor, encodeCursor } from '../../lib/pagination.ts';
import { maxCallbackDepth } from '../../services/ingest-callback.ts';
import type { ProjectsService } from '../../services/projects.ts';
import { projectGuard } from '../context.ts';
import { authErrors, listOf, PageQuery, ProjectParams, Timestamp } from '../schemas.ts';

const ErrorCode = Type.Object({
  code: Type.String(),
  class: Type.Enum(['rejected', 'failed'], { description: '`rejected`: refused before delivery was attempted; `failed`: attempted or could not complete' }),
  source: Type.Enum(['sinch', 'service'], { description: '`sinch`: from a delivery report; `service`: ours, for a send that never reached Sinch' }),
  description: Type.String(),
  action: Type.String({ description: 'What you can do about it' }),
});

const SubCode = Type.Object({ sub_code: Type.String(), description: Type.String(), action: Type.Union([Type.String(), Type.Null()]) });

const Explanation = Type.Object({
  code: Type.String(),
  sub_code: Type.Union([Type.String(), Type.Null()]),
  known: Type.Boolean({ description: 'false for a code not in the catalogue (explained generically)' }),
  class: Type.Union([Type.Enum(['rejected', 'failed']), Type.Null()]),
  description: Type.String(),
  action: Type.String(),
});

const Callback = Type.Object({
  id: Type.String(),
  integration_id: Type.String(),
  trigger: Type.String({ description: 'Sinch\'s trigger, from the top-level key (e.g. `MESSAGE_DELIVERY`), stored as received' }),
  outcome: Type.Union([Type.String(), Type.Null()], { description: 'What processing did, e.g. `applied`, `duplicate`, `unknown_message`; null until processed' }),
  provider_message_id: Type.Union([Type.String(), Type.Null()]),
  received_at: Timestamp,
  processed_at: Type.Union([Timestamp, Type.Null()]),
  body: Type.Unknown({ description: 'The callback as Sinch sent it (parsed JSON; the text received when it is not JSON or nests deeper than 64 levels)' }),
});

function errorCodes() {
  return (Object.keys(reasonCodeCatalogue) as ReasonCode[]).map((code) => {
    const entry = reasonCodeCatalogue[code];
    return { code, class: entry.class, source: entry.source, description: entry.description, action: entry.action };
  });
}

function subCodes() {
  return (Object.keys(reasonSubCodeCatalogue) as ReasonSubCode[]).map((subCode) => {
    const entry = reasonSubCodeCatalogue[subCode];
    return { sub_code: subCode, description: entry.description, action: entry.action };
  });
}

/** The body parsed, or as the text received when it is no JSON or nests too deep to write out again. */
function toCallbackView(row: CallbackRow) {
  let body: unknown;
  try {
    body = JSON.parse(row.body) as unknown;
    if (nestsDeeperThan(body, maxCallbackDepth)) body = row.body;
  } catch {
    body = row.body;
  }
  return {
    id: row.id, integration_id: row.integration_id, trigger: row.trigger, outcome: row.outcome,
    provider_message_id: row.provider_message_id, received_at: row.received_at, processed_at: row.processed_at, body,
  };
}

/** The error-code catalogue (any token) and the callbacks a project received (member). */
export const catalogueRoutes: FastifyPluginAsyncTypebox<{ projects: ProjectsService; callbacks: CallbacksRepo }> = async (app, { projects, callbacks }) => {
  app.get('/error-codes', {
    schema: {
      tags: ['Errors'],
      summary: 'Every error code with its class, a plain-language description and what to do (any token)',
      description: 'Codes appear as `error` on tracked events and messages. Sinch may add codes; those are explained generically by `GET /error-codes/{code}`.',
      response: { 200: Type.Object({ data: Type.Array(ErrorCode), sub_codes: Type.Array(SubCode), next_cursor: Type.Null() }), 401: Type.Ref('ErrorBody') },
    },
  }, async () => ({ data: errorCodes(), sub_codes: subCodes(), next_cursor: null }));

  app.get('/error-codes/:code', {
    schema: {
      tags: ['Errors'],
      summary: 'Explain one error code, optionally with a Sinch sub-code (any token)',
      params: Type.Object({ code: Type.String({ minLength: 1, maxLength: 100 }) }),
      querystring: Type.Object({ sub_code: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) }),
      response: { 200: Explanation, 401: Type.Ref('ErrorBody') },
    },
  }, async (request) => {
    const { code } = request.params;
    const subCode = request.query.sub_code;
    const explanation = explainError(code, subCode);
    return {
      code, sub_code: subCode ?? null, known: isReasonCode(code), class: isReasonCode(code) ? reasonCodeCatalogue[code].class : null,
      description: explanation.description, action: explanation.action,
    };
  });

  app.get('/projects/:project_id/callbacks', {
    preValidation: projectGuard(projects, 'member'),
    schema: {
      tags: ['Callbacks'],
      summary: 'Callbacks received from Sinch, newest first',
      description: 'Every stored callback, including reports for messages this service did not send (`outcome` `unknown_message`).',
      params: ProjectParams,
      querystring: Type.Intersect([PageQuery, Type.Object({
        trigger: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
        outcome: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
        provider_message_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
      })]),
      response: { 200: listOf(Callback), 400: Type.Ref('ErrorBody'), ...authErrors },
    },
  }, async (request) => {
    const { limit: limitParam, cursor, ...filters } = request.query;
    const limit = limitParam ?? 100;
    const rows = await callbacks.list(request.params.project_id, filters, { limit: limit + 1, ...(cursor !== undefined ? { before: decodeCursor(cursor) } : {}) });
    const more = rows.length > limit;
    const pageRows = more ? rows.slice(0, limit) : rows;
    const last = pageRows.at(-1);
    return { data: pageRows.map(toCallbackView), next_cursor: more && last !== undefined ? encodeCursor(last.id) : null };
  });
};
