import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ConsentSync } from '../../services/consent-sync.ts';
import type { IntegrationsService } from '../../services/integrations.ts';
import type { ProjectsService } from '../../services/projects.ts';
import type { TemplatesService } from '../../services/templates.ts';
import { toPageRequest } from '../../lib/pagination.ts';
import { projectGuard } from '../context.ts';
import { authErrors, listOf, PageQuery, ProjectParams, Timestamp } from '../schemas.ts';

const Region = Type.Enum(['EU', 'US', 'BR', 'SANDBOX'], { description: 'EU, US or BR (Sinch\'s regions: an app lives in one), or SANDBOX for the built-in emulator' });
const Text = (description: string, max = 200) => Type.String({ minLength: 1, maxLength: max, description });
const Senders = Type.Object({
  whatsapp: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'WhatsApp sender number (E.164)' })),
  rcs: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'RCS agent id' })),
  sms: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'SMS sender for RCS→SMS fallback' })),
}, { additionalProperties: false });

const fields = {
  name: Text('Name shown in the console'),
  sinch_project_id: Text('Project ID: the unique ID of your Sinch account'),
  app_id: Text('App ID: the Conversation API app that sends the messages'),
  access_key: Text('Access Key ID from the Sinch Access Keys page'),
  access_secret: Text('Access Key Secret (write-only: never returned)', 500),
  region: Region,
  webhook_secret: Type.String({ minLength: 8, maxLength: 500, description: 'Secret Sinch signs callbacks with (write-only; generated when absent)' }),
  senders: Senders,
  send_rate_per_second: Type.Union([Type.Integer({ minimum: 1, maximum: 10000 }), Type.Null()], { description: 'Most messages per second sent through this integration (default 20, Sinch\'s app drain rate); null resets to the default' }),
};

const CreateBody = Type.Object({
  provider: Type.Enum(['sinch_mobile_messaging']),
  name: fields.name,
  sinch_project_id: fields.sinch_project_id,
  app_id: fields.app_id,
  access_key: fields.access_key,
  access_secret: fields.access_secret,
  region: fields.region,
  webhook_secret: Type.Optional(fields.webhook_secret),
  senders: Type.Optional(fields.senders),
  send_rate_per_second: Type.Optional(fields.send_rate_per_second),
}, { additionalProperties: false });

const PatchBody = Type.Object({
  provider: Type.Optional(Type.Enum(['sinch_mobile_messaging'])),
  name: Type.Optional(fields.name),
  sinch_project_id: Type.Optional(fields.sinch_project_id),
  app_id: Type.Optional(fields.app_id),
  access_key: Type.Optional(fields.access_key),
  access_secret: Type.Optional(fields.access_secret),
  region: Type.Optional(fields.region),
  webhook_secret: Type.Optional(fields.webhook_secret),
  senders: Type.Optional(fields.senders),
  send_rate_per_second: Type.Optional(fields.send_rate_per_second),
}, { additionalProperties: false });

const Integration = Type.Object({
  id: Type.String(),
  provider: Type.Literal('sinch_mobile_messaging'),
  name: Type.String(),
  sinch_project_id: Type.String(),
  app_id: Type.String(),
  access_key: Type.String(),
  access_secret_set: Type.Literal(true),
  region: Region,
  webhook_secret_set: Type.Literal(true),
  previous_webhook_secret_expires_at: Type.Union([Timestamp, Type.Null()], { description: 'After a webhook_secret change the previous secret is still accepted until this time (null: only the current one is); POST …/revoke-previous-webhook-secret ends it at once' }),
  senders: Senders,
  send_rate_per_second: Type.Integer(),
  callback_url: Type.String({ description: 'Give this URL to Sinch (your CSM) to receive delivery reports and incoming messages' }),
  default_for: Type.Array(Type.Enum(['whatsapp', 'rcs'])),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const Params = Type.Object({ project_id: Type.String(), integration_id: Type.String() });

const ConsentSyncResult = Type.Object({
  synced_at: Timestamp,
  ok: Type.Boolean({ description: 'The lists were read whole and every change was applied' }),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()], {
    description: 'Why not (e.g. consents_unreadable: Sinch\'s answer, often consent management off for the app; sinch_unreachable; consent_list_too_long); nothing was changed when a list could not be read',
  }),
  lists: Type.Union([Type.Object({ OPT_OUT_ALL: Type.Integer(), OPT_OUT_MARKETING: Type.Integer(), OPT_OUT_NOTIFICATION: Type.Integer() }), Type.Null()], {
    description: 'How many identities each of Sinch\'s opt-out lists had (null: not read)',
  }),
  added: Type.Integer({ description: 'Entries on the lists seen for the first time' }),
  removed: Type.Integer({ description: 'Entries gone from the lists since the last import (no consent changes: absence is not an opt-in)' }),
  imported: Type.Integer({ description: 'Customers whose consent this import revoked' }),
  revocations: Type.Integer({ description: 'Ledger entries written (source sinch), one per customer and channel' }),
}, { description: 'An import of Sinch\'s opt-out lists into the consent ledger (docs/two-way.md "Consent import")' });

const WhatsAppTemplate = Type.Object({
  name: Type.String({ description: 'Meta template name: channel_template.WHATSAPP.template_id' }),
  language: Type.String({ description: 'channel_template.WHATSAPP.language_code, e.g. en_US' }),
  category: Type.String({ description: 'MARKETING, UTILITY or AUTHENTICATION' }),
  parameters: Type.Array(Type.String(), { description: 'Keys a send must give in parameters, e.g. body[1]text, button[0]quick_reply[1]payload' }),
  header: Type.Union([Type.String(), Type.Null()]),
  body: Type.String({ description: 'The body text with its {{n}} placeholders' }),
  footer: Type.Union([Type.String(), Type.Null()]),
  buttons: Type.Array(Type.Object({ type: Type.String(), text: Type.String() })),
});
const OmniTemplate = Type.Object({
  id: Type.String({ description: 'omni_template.template_id' }),
  description: Type.String(),
  version: Type.Integer({ description: 'omni_template.version (or latest)' }),
  default_translation: Type.String(),
  translations: Type.Array(Type.Object({
    language_code: Type.String({ description: 'omni_template.language_code, e.g. en-US' }),
    variables: Type.Array(Type.String(), { description: 'Variables the template declares (omni_template.parameters keys)' }),
    whatsapp: Type.Union([Type.Object({
      name: Type.String(), language: Type.String(),
      parameter_mappings: Type.Record(Type.String(), Type.String(), { description: 'WhatsApp parameter key → the omni variable that fills it' }),
      fixed_parameters: Type.Array(Type.String()),
    }), Type.Null()], { description: 'The WhatsApp template this translation sends on WhatsApp (its WHATSAPP override); null: none, so it cannot be sent on WhatsApp' }),
  })),
});
const TemplateCatalogue = Type.Object({
  integration_id: Type.String(),
  fetched_at: Timestamp,
  whatsapp: Type.Array(WhatsAppTemplate, { description: 'Approved WhatsApp templates (Sinch Provisioning API)' }),
  omni: Type.Array(OmniTemplate, { description: 'Omni-channel templates (Sinch Template Management API v2)' }),
});

export const integrationRoutes: FastifyPluginAsyncTypebox<{
  projects: ProjectsService; integrations: IntegrationsService; templates: TemplatesService; consentSync: ConsentSync;
}> = async (app, { projects, integrations, templates, consentSync }) => {
  const tags = ['Integrations'];

  app.post('/projects/:project_id/integrations', {
    preValidation: projectGuard(projects, 'admin'),
    schema: { tags, summary: 'Add a Sinch Mobile Messaging integration (project admin)', params: ProjectParams, body: CreateBody, response: { 201: Integration, 400: Type.Ref('ErrorBody'), 409: Type.Ref('ErrorBody'), ...authErrors } },
  }, async (request, reply) => {
    return reply.status(201).send(await integrations.create(request.params.project_id, request.body));
  });

  app.get('/projects/:project_id/integrations', {
    preValidation: projectGuard(projects, 'member'),
    schema: { tags, summary: 'List integrations', params: ProjectParams, querystring: PageQuery, response: { 200: listOf(Integration), ...authErrors } },
  }, async (request) => {
    return integrations.list(request.params.project_id, toPageRequest(request.query));
  });

  app.get('/projects/:project_id/integrations/:integration_id', {
    preValidation: projectGuard(projects, 'member'),
    schema: { tags, summary: 'One integration', params: Params, response: { 200: Integration, ...authErrors } },
  }, async (request) => {
    return integrations.get(request.params.project_id, request.params.integration_id);
  });

  app.patch('/projects/:project_id/integrations/:integration_id', {
    preValidation: projectGuard(projects, 'admin'),
    schema: { tags, summary: 'Change an integration (project admin). A new webhook_secret is used at once; the old one is still accepted for 24 h.', params: Params, body: PatchBody, response: { 200: Integration, 400: Type.Ref('ErrorBody'), 409: Type.Ref('ErrorBody'), ...authErrors } },
  }, async (request) => {
    return integrations.update(request.params.project_id, request.params.integration_id, request.body);
  });

  app.post('/projects/:project_id/integrations/:integration_id/revoke-previous-webhook-secret', {
    preValidation: projectGuard(projects, 'admin'),
    schema: {
      tags, params: Params, response: { 200: Integration, ...authErrors },
      summary: 'Stop accepting the previous webhook secret now, instead of 24 h after it was replaced (project admin)',
    },
  }, async (request) => {
    return integrations.revokePreviousWebhookSecret(request.params.project_id, request.params.integration_id);
  });

  app.delete('/projects/:project_id/integrations/:integration_id', {
    preValidation: projectGuard(projects, 'admin'),
    schema: { tags, summary: 'Delete an integration (project admin); 409 while it is a default provider', params: Params, response: { 204: Type.Null(), 409: Type.Ref('ErrorBody'), ...authErrors } },
  }, async (request, reply) => {
    await integrations.remove(request.params.project_id, request.params.integration_id);
    return reply.status(204).send(null);
  });

  const Failure = Type.Object({ code: Type.String(), message: Type.String() });
  const LastConsentSync = Type.Union([ConsentSyncResult, Type.Null()], { description: 'The last import of these lists into the consent ledger (null: none yet)' });

  app.post('/projects/:project_id/integrations/:integration_id/verify', {
    preValidation: projectGuard(projects, 'admin'),
    schema: {
      tags, summary: 'Try the credentials: obtain an OAuth token and read the app from Sinch, including whether its webhook reaches this integration', params: Params,
      response: {
        200: Type.Object({
          ok: Type.Boolean(),
          error: Type.Optional(Failure),
          webhook: Type.Optional(Type.Object({
            registered: Type.Boolean({ description: 'Sinch has a webhook aimed at this integration\'s callback_url' }),
            triggers: Type.Array(Type.String()),
            stale: Type.Array(Type.String(), { description: 'Other addresses Sinch has a webhook for with this integration\'s callback path (an old PUBLIC_URL): callbacks go there too' }),
            hint: Type.Optional(Type.String()),
          })),
          consents: Type.Optional(Type.Union([
            Type.Object({
              readable: Type.Literal(true),
              lists: Type.Record(Type.String(), Type.Object({
                identities: Type.Array(Type.String(), { description: 'The first page (at most 50), E.164' }),
                more: Type.Boolean({ description: 'The list has more identities than shown' }),
              }), { description: 'OPT_OUT_ALL, OPT_OUT_MARKETING, OPT_OUT_NOTIFICATION' }),
              sync: LastConsentSync,
            }),
            Type.Object({ readable: Type.Literal(false), status: Type.Union([Type.Integer(), Type.Null()]), detail: Type.String(), sync: LastConsentSync }),
          ], { description: 'Sinch\'s consent management opt-out lists (Consents API, read-only); not readable when consent management is off for the app or the credentials may not read it' })),
        }),
        ...authErrors,
      },
    },
  }, async (request) => {
    return integrations.verify(request.params.project_id, request.params.integration_id);
  });

  app.post('/projects/:project_id/integrations/:integration_id/consents/sync', {
    preValidation: projectGuard(projects, 'admin'),
    schema: {
      tags, params: Params, response: { 200: ConsentSyncResult, ...authErrors },
      summary: 'Import Sinch\'s opt-out lists (Consents API) into the consent ledger now, as the periodic import does (SINCH_CONSENT_SYNC_SECONDS): identities new on OPT_OUT_ALL or OPT_OUT_MARKETING are revoked on the integration\'s channels (project admin)',
    },
  }, async (request) => {
    return consentSync.syncNow(request.params.project_id, request.params.integration_id);
  });

  app.get('/projects/:project_id/integrations/:integration_id/consents/sync', {
    preValidation: projectGuard(projects, 'member'),
    schema: {
      tags, params: Params, response: { 200: Type.Object({ last: LastConsentSync }), ...authErrors },
      summary: 'The last import of Sinch\'s opt-out lists into the consent ledger',
    },
  }, async (request) => {
    return { last: await consentSync.lastSync(request.params.project_id, request.params.integration_id) };
  });

  app.post('/projects/:project_id/integrations/:integration_id/register-webhook', {
    preValidation: projectGuard(projects, 'admin'),
    schema: {
      tags, params: Params,
      summary: 'Point the Sinch app\'s webhook at this integration\'s callback_url with its webhook secret (Sinch Webhooks API; updates a webhook aimed at the same URL, keeps others)',
      querystring: Type.Object({
        replace_stale: Type.Optional(Type.Boolean({ description: 'Also delete webhooks for this integration\'s callback path on another address (an old PUBLIC_URL), after the new one exists' })),
      }),
      response: {
        200: Type.Object({
          ok: Type.Boolean(),
          error: Type.Optional(Failure),
          webhook: Type.Optional(Type.Object({
            target: Type.String(), triggers: Type.Array(Type.String()), removed: Type.Optional(Type.Array(Type.String())), warning: Type.Optional(Type.String()),
          })),
        }),
        ...authErrors,
      },
    },
  }, async (request) => {
    return integrations.registerWebhook(request.params.project_id, request.params.integration_id, { replaceStale: request.query.replace_stale === true });
  });

  app.get('/projects/:project_id/integrations/:integration_id/templates', {
    preValidation: projectGuard(projects, 'member'),
    schema: {
      tags, params: Params,
      summary: 'The templates this integration can send: approved WhatsApp templates with language, category and parameters, and omni-channel templates with their WhatsApp overrides; read from Sinch and cached (TEMPLATE_CACHE_SECONDS)',
      querystring: Type.Object({ refresh: Type.Optional(Type.Boolean({ description: 'Read them from Sinch now instead of the cached copy' })) }),
      response: { 200: TemplateCatalogue, 502: Type.Ref('ErrorBody'), ...authErrors },
    },
  }, async (request) => {
    return templates.list(request.params.project_id, request.params.integration_id, request.query.refresh === true);
  });
};
