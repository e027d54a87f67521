import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { durableByTransact } from '../durable.ts';
import { AppMessageSchema } from '../../domain/app-message.ts';
import { toPageRequest } from '../../lib/pagination.ts';
import type { Capabilities } from '../../services/capabilities.ts';
import type { ConversationsService } from '../../services/conversations.ts';
import type { CustomersService } from '../../services/customers.ts';
import type { KeywordRulesService } from '../../services/keyword-rules.ts';
import type { ProjectsService } from '../../services/projects.ts';
import { principalOf } from '../auth.ts';
import { projectGuard } from '../context.ts';
import { authErrors, listOf, PageQuery, ProjectParams, Timestamp } from '../schemas.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const ConsentState = Type.Enum(['unknown', 'granted', 'revoked']);
const ConsentChange = Type.Object({
  whatsapp: Type.Optional(Type.Enum(['granted', 'revoked'])),
  rcs: Type.Optional(Type.Enum(['granted', 'revoked'])),
  sms: Type.Optional(Type.Enum(['granted', 'revoked'])),
}, { additionalProperties: false, description: 'Consent changes, recorded in the consent ledger' });
const Attributes = Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), {
  description: 'Profile attributes: names of letters, digits and _ (at most 100 characters, not starting with a digit) to text, a number, true/false or null; at most 16,384 bytes of JSON in all. On PATCH merged (the result within the same bound); null removes a key',
});

const Customer = Type.Object({
  id: Type.String(), phone: Type.String(), attributes: Type.Record(Type.String(), Type.Unknown()),
  tags: Type.Array(Type.String()), time_zone: Nullable(Type.String()),
  consent: Type.Object({ whatsapp: ConsentState, rcs: ConsentState, sms: ConsentState }),
  whatsapp_window: Type.Object({ open: Type.Boolean(), closes_at: Nullable(Timestamp), last_inbound_at: Nullable(Timestamp) }),
  created_at: Timestamp, updated_at: Timestamp,
});
const LedgerEntry = Type.Object({
  id: Type.String(), channel: Type.String(), action: Type.Enum(['grant', 'revoke']), source: Type.Enum(['keyword', 'api', 'import', 'sinch'], { description: 'sinch: Sinch\'s consent management reported an opt-out or opt-in (OPT_OUT / OPT_IN callback)' }),
  rule_id: Nullable(Type.String()), keyword: Nullable(Type.String()), inbound_message_id: Nullable(Type.String()), token_id: Nullable(Type.String()), at: Timestamp,
});
const Capability = Type.Object({
  integration_id: Type.String(), channel: Type.Enum(['rcs']),
  status: Type.Enum(['capable', 'not_capable', 'unknown', 'pending'], { description: 'pending: a query is out, its answer not in yet' }),
  reason: Nullable(Type.String({ description: 'Sinch\'s reason code (e.g. RECIPIENT_NOT_REACHABLE), or QUERY_FAILED: <code> when the query itself failed' })),
  checked_at: Nullable(Timestamp), queried_at: Nullable(Timestamp),
  expires_at: Timestamp,
});
const Group = Type.Enum(['rcs_sms', 'whatsapp'], { description: 'rcs_sms: one list shared by RCS and SMS; whatsapp: its own list' });
const Action = Type.Enum(['revoke_consent', 'grant_consent', 'no_action']);
const Rule = Type.Object({
  id: Type.String(), keyword: Type.String(), action: Action, reply_text: Nullable(Type.String()), channel_group: Group, enabled: Type.Boolean(),
  created_at: Timestamp, updated_at: Timestamp,
});
const ReplyText = Nullable(Type.String({ minLength: 1, maxLength: 1024 }));
const Conversation = Type.Object({
  id: Type.String(), customer_id: Type.String(), phone: Type.String(), channel: Type.Enum(['whatsapp', 'rcs']), unread_count: Type.Integer(),
  last_message_at: Timestamp, last_inbound_at: Nullable(Timestamp),
  whatsapp_window: Nullable(Type.Object({ open: Type.Boolean(), closes_at: Nullable(Timestamp) })), created_at: Timestamp,
});

export const twoWayRoutes: FastifyPluginAsyncTypebox<{
  projects: ProjectsService; customers: CustomersService; keywordRules: KeywordRulesService; conversations: ConversationsService;
  capabilities: Pick<Capabilities, 'forCustomer'>;
}> = async (app, { projects, customers, keywordRules, conversations, capabilities }) => {
  const cTags = ['Customers'];
  const CustomerParams = Type.Object({ project_id: Type.String(), customer_id: Type.String({ description: 'Customer id, or the phone number in E.164 (URL-encoded +)' }) });

  app.post('/projects/:project_id/customers', {
    preValidation: projectGuard(projects, 'member'),
    schema: {
      tags: cTags, summary: 'Create a customer profile', params: ProjectParams,
      body: Type.Object({ phone: Type.String({ minLength: 1, maxLength: 32 }), attributes: Type.Optional(Attributes), consent: Type.Optional(ConsentChange) }, { additionalProperties: false }),
      response: { 201: Customer, 409: Type.Ref('ErrorBody'), ...authErrors },
    },
  }, async (request, reply) => {
    return reply.status(201).send(await customers.create(request.params.project_id, request.body, principalOf(request)));
  });

  app.get('/projects/:project_id/customers', {
    preValidation: projectGuard(projects, 'member'),
    schema: {
      tags: cTags, summary: 'List or look up customers', params: ProjectParams,
      querystring: Type.Intersect([PageQuery, Type.Object({
        phone: Type.Optional(Type.String()), consent_channel: Type.Optional(Type.Enum(['whatsapp', 'rcs', 'sms'])), consent_state: Type.Optional(ConsentState),
      })]),
      response: { 200: listOf(Customer), ...authErrors },
    },
  }, async (request) => {
    const { limit, cursor, ...filters } = request.query;
    return customers.list(request.params.project_id, filters, toPageRequest({ ...(limit !== undefined ? { limit } : {}), ...(cursor !== undefined ? { cursor } : {}) }));
  });

  app.get('/projects/:project_id/customers/:customer_id', {
    preValidation: projectGuard(projects, 'member'),
    schema: { tags: cTags, summary: 'One customer (by id or phone)', params: CustomerParams, response: { 200: Customer, ...authErrors } },
  }, async (request) => {
    return customers.get(request.params.project_id, request.params.customer_id);
  });

  app.patch('/projects/:project_id/customers/:customer_id', {
    preValidation: projectGuard(projects, 'member'),
    schema: {
      tags: cTags, summary: 'Change attributes or consent', params: CustomerParams,
      body: Type.Object({ attributes: Type.Optional(Attributes), consent: Type.Optional(ConsentChange) }, { additionalProperties: false }),
      response: { 200: Customer, ...authErrors },
    },
  }, async (request) => {
    const { id } = await customers.get(request.params.project_id, request.params.customer_id);
    return customers.update(request.params.project_id, id, request.body, principalOf(request));
  });

  app.get('/projects/:project_id/customers/:customer_id/consent', {
    preValidation: projectGuard(projects, 'member'),
    schema: { tags: cTags, summary: 'The customer\'s consent ledger (append-only), oldest first', params: CustomerParams, querystring: PageQuery, response: { 200: listOf(LedgerEntry), ...authErrors } },
  }, async (request) => {
    const { id } = await customers.get(request.params.project_id, request.params.customer_id);
    return customers.ledger(request.params.project_id, id, toPageRequest(request.query));
  });

  app.get('/projects/:project_id/customers/:customer_id/capabilities', {
    preValidation: projectGuard(projects, 'member'),
    schema: {
      tags: cTags, summary: 'What Sinch said about the customer\'s number on RCS, per integration (the capability cache campaigns use)', params: CustomerParams,
      response: { 200: Type.Object({ data: Type.Array(Capability) }), ...authErrors },
    },
  }, async (request) => {
    const { phone } = await customers.get(request.params.project_id, request.params.customer_id);
    return { data: await capabilities.forCustomer(request.params.project_id, phone) };
  });

  const kTags = ['Keyword auto-responses'];
  const RuleParams = Type.Object({ project_id: Type.String(), rule_id: Type.String() });

  app.get('/projects/:project_id/keyword-rules', {
    preValidation: projectGuard(projects, 'member'),
    schema: { tags: kTags, summary: 'Keyword rules, by channel group then keyword', params: ProjectParams, querystring: Type.Intersect([PageQuery, Type.Object({ channel_group: Type.Optional(Group) })]), response: { 200: listOf(Rule), ...authErrors } },
  }, async (request) => {
    const { channel_group: group, ...page } = request.query;
    return keywordRules.list(request.params.project_id, group, toPageRequest(page));
  });

  app.post('/projects/:project_id/keyword-rules', {
    preValidation: projectGuard(projects, 'admin'),
    schema: {
      tags: kTags, summary: 'Add a keyword rule (project admin). Matches at the start of a message, as a whole word, ignoring case and accents.', params: ProjectParams,
      body: Type.Object({ keyword: Type.String({ minLength: 1, maxLength: 50 }), action: Action, reply_text: Type.Optional(ReplyText), channel_group: Group, enabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      response: { 201: Rule, 409: Type.Ref('ErrorBody'), ...authErrors },
    },
  }, async (request, reply) => {
    return reply.status(201).send(await keywordRules.create(request.params.project_id, request.body));
  });

  app.patch('/projects/:project_id/keyword-rules/:rule_id', {
    preValidation: projectGuard(projects, 'admin'),
    schema: {
      tags: kTags, summary: 'Change a keyword rule (project admin)', params: RuleParams,
      body: Type.Object({ keyword: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })), action: Type.Optional(Action), reply_text: Type.Optional(ReplyText), enabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      response: { 200: Rule, ...authErrors },
    },
  }, async (request) => {
    return keywordRules.update(request.params.project_id, request.params.rule_id, request.body);
  });

  app.delete('/projects/:project_id/keyword-rules/:rule_id', {
    preValidation: projectGuard(projects, 'admin'),
    schema: { tags: kTags, summary: 'Delete a keyword rule (project admin)', params: RuleParams, response: { 204: Type.Null(), ...authErrors } },
  }, async (request, reply) => {
    await keywordRules.remove(request.params.project_id, request.params.rule_id);
    return reply.status(204).send(null);
  });

  app.post('/projects/:project_id/keyword-rules/dry-run', {
    preValidation: projectGuard(projects, 'member'),
    schema: {
      tags: kTags, summary: 'Which rule a text would trigger, and what would happen (nothing is done)', params: ProjectParams,
      body: Type.Object({ text: Type.String({ maxLength: 4096 }), channel: Type.Enum(['whatsapp', 'rcs', 'sms']) }, { additionalProperties: false }),
      response: { 200: Type.Object({ channel_group: Group, matched: Type.Boolean(), rule: Nullable(Rule), two_way_enabled: Type.Boolean(), would: Type.Array(Type.String()) }), ...authErrors },
    },
  }, async (request) => {
    return keywordRules.dryRun(request.params.project_id, request.body);
  });

  const vTags = ['Conversations'];
  const ConvParams = Type.Object({ project_id: Type.String(), conversation_id: Type.String() });

  app.get('/projects/:project_id/conversations', {
    preValidation: projectGuard(projects, 'member'),
    schema: {
      tags: vTags, summary: 'Conversations, most recent first, with unread counts', params: ProjectParams,
      querystring: Type.Intersect([PageQuery, Type.Object({ channel: Type.Optional(Type.Enum(['whatsapp', 'rcs'])), unread: Type.Optional(Type.Boolean()), customer_id: Type.Optional(Type.String()) })]),
      response: { 200: listOf(Conversation), ...authErrors },
    },
  }, async (request) => {
    const { limit, cursor, ...filters } = request.query;
    return conversations.list(request.params.project_id, filters, { limit: limit ?? 100, ...(cursor !== undefined ? { cursor } : {}) });
  });

  app.get('/projects/:project_id/conversations/:conversation_id', {
    preValidation: projectGuard(projects, 'member'),
    schema: {
      tags: vTags, summary: 'A thread: inbound and outbound messages in order, with statuses', params: ConvParams,
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })) }),
      response: { 200: Type.Intersect([Conversation, Type.Object({ items: Type.Array(Type.Record(Type.String(), Type.Unknown())) })]), ...authErrors },
    },
  }, async (request) => {
    return conversations.get(request.params.project_id, request.params.conversation_id, request.query.limit ?? 200);
  });

  app.post('/projects/:project_id/conversations/:conversation_id/read', {
    preValidation: projectGuard(projects, 'member'),
    schema: { tags: vTags, summary: 'Mark the thread read', params: ConvParams, response: { 200: Conversation, ...authErrors } },
  }, async (request) => {
    return conversations.markRead(request.params.project_id, request.params.conversation_id);
  });

  app.post('/projects/:project_id/conversations/:conversation_id/messages', {
    config: durableByTransact,
    preValidation: projectGuard(projects, 'member'),
    schema: {
      tags: vTags, summary: 'Reply in the thread (goes through the normal send pipeline; 202 once queued)', params: ConvParams,
      headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) }),
      body: Type.Object({ message: AppMessageSchema, integration_id: Type.Optional(Type.String()) }, { additionalProperties: false }),
      response: { 202: Type.Record(Type.String(), Type.Unknown()), ...authErrors },
    },
  }, async (request, reply) => {
    const result = await conversations.reply(request.params.project_id, request.params.conversation_id, request.body, request.headers['idempotency-key']);
    return reply.status(202).send(result.body as unknown as Record<string, unknown>);
  });
};
