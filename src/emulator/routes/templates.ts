/**
 * Sinch's template APIs as far as the protocol notes know them (§2.4, §6.1):
 * - Template Management API v2 (omni-channel templates, `{region}.template.api.sinch.com`): create, list, get,
 *   list translations, delete under `/v2/projects/{project_id}/templates`;
 * - Provisioning API, WhatsApp templates (`provisioning.api.sinch.com`): the list under
 *   `/v1/projects/{project_id}/whatsapp/templates`, served from the emulator's WhatsApp template registry.
 * The emulator serves both on its one base URL.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { newId, type EmulatorContext } from '../context.ts';
import { badRequest, notFound, sendRpcError } from '../errors.ts';
import { omniKey, type OmniTemplate, type OmniTranslation } from '../omni-templates.ts';
import { TemplateReference } from '../schemas/app-message.ts';
import { ProjectParams } from '../schemas/send-request.ts';
import type { Template } from '../templates.ts';
import { formatTimestamp } from '../time.ts';

const Override = Type.Object({
  template_reference: Type.Optional(TemplateReference),
  parameter_mappings: Type.Optional(Type.Record(Type.String(), Type.String())),
});
const TranslationInput = Type.Object({
  language_code: Type.String({ minLength: 1 }),
  version: Type.Optional(Type.String()),
  channel_template_overrides: Type.Optional(Type.Object({ WHATSAPP: Type.Optional(Override), KAKAOTALK: Type.Optional(Override) })),
  variables: Type.Optional(Type.Array(Type.Object({ key: Type.Optional(Type.String()), preview_value: Type.Optional(Type.String()) }))),
}, { additionalProperties: true });
const TemplateCreate = Type.Object({
  id: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  description: Type.Optional(Type.String()),
  version: Type.Optional(Type.Integer({ minimum: 1 })),
  default_translation: Type.Optional(Type.String()),
  translations: Type.Array(TranslationInput, { minItems: 1 }),
});
type TemplateCreate = Static<typeof TemplateCreate>;
const TemplateParams = Type.Object({ project_id: Type.String({ minLength: 1 }), template_id: Type.String({ minLength: 1 }) });
const TranslationsQuery = Type.Object({ language_code: Type.Optional(Type.String()), translation_version: Type.Optional(Type.String()) });
const WhatsAppTemplatesQuery = Type.Object({
  pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  pageToken: Type.Optional(Type.String()),
  filterStates: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
  templateName: Type.Optional(Type.String()),
});

const CONTENT_KINDS = ['text_message', 'media_message', 'template_message', 'card_message', 'carousel_message', 'choice_message', 'list_message', 'location_message', 'contact_info_message'];

/** A WhatsApp registry template as the Provisioning API lists it (Meta's component names). */
function presentWhatsAppTemplate(t: Template): Record<string, unknown> {
  const components: Record<string, unknown>[] = [];
  if (t.header !== null) components.push({ type: 'HEADER', format: 'TEXT', text: t.header });
  components.push({ type: 'BODY', text: t.body });
  if (t.footer !== null) components.push({ type: 'FOOTER', text: t.footer });
  if (t.buttons.length > 0) components.push({ type: 'BUTTONS', buttons: t.buttons.map((b) => ({ type: b.type, text: b.text })) });
  return { whatsappId: `${t.name}_${t.language}`, name: t.name, language: t.language, category: t.category, state: t.state, details: { components } };
}

export function registerTemplateRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const find = (projectId: string, templateId: string): OmniTemplate | undefined => ctx.state.omniTemplates.get(omniKey(projectId, templateId));

  app.post<{ Params: { project_id: string }; Body: TemplateCreate }>('/v2/projects/:project_id/templates', {
    schema: { params: ProjectParams, body: TemplateCreate },
  }, async (request, reply) => {
    const body = request.body;
    const id = body.id ?? newId();
    if (find(request.params.project_id, id) !== undefined) {
      return sendRpcError(reply, { httpStatus: 409, message: `Template ${id} already exists in project ${request.params.project_id}` });
    }
    const violations = body.translations.flatMap((t, i) => {
      const kinds = CONTENT_KINDS.filter((k) => (t as Record<string, unknown>)[k] !== undefined);
      return kinds.length === 1 ? [] : [{ field: `translations[${i}]`, description: `exactly one of ${CONTENT_KINDS.join(', ')} must be set` }];
    });
    const languages = body.translations.map((t) => t.language_code);
    const defaultTranslation = body.default_translation ?? languages[0] ?? '';
    if (!languages.includes(defaultTranslation)) violations.push({ field: 'default_translation', description: 'must be the language_code of one of the translations' });
    if (new Set(languages).size !== languages.length) violations.push({ field: 'translations', description: 'one translation per language_code' });
    if (violations.length > 0) return sendRpcError(reply, badRequest(violations));
    const at = formatTimestamp(ctx.now());
    const version = body.version ?? 1;
    const template: OmniTemplate = {
      id,
      description: body.description ?? '',
      version,
      default_translation: defaultTranslation,
      translations: body.translations.map((t): OmniTranslation => ({ ...t, version: t.version ?? String(version), create_time: at, update_time: at })),
      create_time: at,
      update_time: at,
    };
    ctx.state.omniTemplates.set(omniKey(request.params.project_id, id), template);
    return reply.send(template);
  });

  app.get<{ Params: { project_id: string } }>('/v2/projects/:project_id/templates', { schema: { params: ProjectParams } }, async (request) => {
    const prefix = omniKey(request.params.project_id, '');
    return { templates: [...ctx.state.omniTemplates.entries()].filter(([key]) => key.startsWith(prefix)).map(([, t]) => t) };
  });

  app.get<{ Params: { project_id: string; template_id: string } }>('/v2/projects/:project_id/templates/:template_id', {
    schema: { params: TemplateParams },
  }, async (request, reply) => {
    const template = find(request.params.project_id, request.params.template_id);
    if (template === undefined) return sendRpcError(reply, notFound(`Template ${request.params.template_id} not found`));
    return reply.send(template);
  });

  app.get<{ Params: { project_id: string; template_id: string }; Querystring: { language_code?: string; translation_version?: string } }>(
    '/v2/projects/:project_id/templates/:template_id/translations',
    { schema: { params: TemplateParams, querystring: TranslationsQuery } },
    async (request, reply) => {
      const template = find(request.params.project_id, request.params.template_id);
      if (template === undefined) return sendRpcError(reply, notFound(`Template ${request.params.template_id} not found`));
      const q = request.query;
      return reply.send({
        translations: template.translations.filter((t) => (q.language_code === undefined || t.language_code === q.language_code)
          && (q.translation_version === undefined || q.translation_version === 'latest' || t.version === q.translation_version)),
      });
    },
  );

  app.delete<{ Params: { project_id: string; template_id: string } }>('/v2/projects/:project_id/templates/:template_id', {
    schema: { params: TemplateParams },
  }, async (request, reply) => {
    if (!ctx.state.omniTemplates.delete(omniKey(request.params.project_id, request.params.template_id))) {
      return sendRpcError(reply, notFound(`Template ${request.params.template_id} not found`));
    }
    return reply.send({});
  });

  app.get<{ Params: { project_id: string }; Querystring: Static<typeof WhatsAppTemplatesQuery> }>('/v1/projects/:project_id/whatsapp/templates', {
    schema: { params: ProjectParams, querystring: WhatsAppTemplatesQuery },
  }, async (request) => {
    const q = request.query;
    const states = q.filterStates === undefined ? undefined : (Array.isArray(q.filterStates) ? q.filterStates : q.filterStates.split(','));
    const all = [...ctx.state.templates.values()]
      .filter((t) => (states === undefined || states.includes(t.state)) && (q.templateName === undefined || t.name === q.templateName))
      .sort((a, b) => a.name.localeCompare(b.name) || a.language.localeCompare(b.language));
    const pageSize = q.pageSize ?? 50;
    const offset = q.pageToken === undefined || !/^\d+$/.test(q.pageToken) ? 0 : Number(q.pageToken);
    const page = all.slice(offset, offset + pageSize);
    return {
      totalSize: all.length,
      pageSize: page.length,
      previousPageToken: offset > 0 ? String(Math.max(0, offset - pageSize)) : '',
      nextPageToken: offset + pageSize < all.length ? String(offset + pageSize) : '',
      templates: page.map(presentWhatsAppTemplate),
    };
  });
}
