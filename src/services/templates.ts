/**
 * Each integration's template catalogue: the approved WhatsApp templates (Sinch's Provisioning API) and the
 * omni-channel templates (Template Management API v2) of its Sinch project, cached in the database for
 * TEMPLATE_CACHE_SECONDS and refreshed on demand; and the check that refuses a WhatsApp template send naming an
 * unknown template or language, or missing a parameter, before it reaches Sinch.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { TemplatesRepo } from '../db/repos/templates-repo.ts';
import type { AppMessage, Channel } from '../domain/app-message.ts';
import { checkWhatsAppTemplateSend, parseOmniTemplate, parseWhatsAppTemplate, type OmniTemplate, type TemplateCatalogue, type WhatsAppTemplate } from '../domain/templates.ts';
import { AppError, invalidField, notFound } from '../lib/app-error.ts';
import type { Clock } from '../lib/time.ts';
import type { ReadOutcome, SinchClient } from '../providers/sinch/client.ts';
import type { IntegrationSecrets } from './integrations.ts';

export interface TemplateCatalogueView {
  integration_id: string;
  fetched_at: string;
  whatsapp: WhatsAppTemplate[];
  omni: OmniTemplate[];
}

/** The Provisioning API pages its list (at most 1000 a page); more than this many pages is not followed. */
const MAX_PAGES = 20;
/** After Sinch's template lists could not be read, sends do not try again for this long (each would wait for it). */
const RETRY_AFTER_FAILURE_MS = 60_000;

export function createTemplatesService(deps: {
  repo: TemplatesRepo;
  integration: (id: string) => Promise<IntegrationSecrets | undefined>;
  client: Pick<SinchClient, 'read'>;
  clock: Clock;
  cacheMs: number;
  log: FastifyBaseLogger;
}) {
  type Fetched = { ok: true; catalogue: TemplateCatalogue } | { ok: false; message: string };
  /** Integration id → when a read of its templates last failed (this instance only). */
  const failedAt = new Map<string, { at: number; message: string }>();

  const why = (api: string, r: Extract<ReadOutcome, { ok: false }>) => `${api} answered ${r.httpStatus === null ? r.code : `HTTP ${r.httpStatus}`}: ${r.message}`;

  async function fetchFromSinch(integration: IntegrationSecrets): Promise<Fetched> {
    const project = encodeURIComponent(integration.sinchProjectId);
    const whatsapp: WhatsAppTemplate[] = [];
    let pageToken = '';
    for (let page = 0; page < MAX_PAGES; page++) {
      const query = `pageSize=1000&filterStates=APPROVED${pageToken === '' ? '' : `&pageToken=${encodeURIComponent(pageToken)}`}`;
      const r = await deps.client.read(integration, 'provisioning', `/v1/projects/${project}/whatsapp/templates?${query}`);
      if (!r.ok) return { ok: false, message: why('the Provisioning API (WhatsApp templates)', r) };
      const body = r.json as { templates?: unknown; nextPageToken?: unknown } | undefined;
      for (const raw of Array.isArray(body?.templates) ? body.templates : []) {
        const state = (raw as { state?: unknown } | null)?.state;
        const parsed = parseWhatsAppTemplate(raw);
        if (parsed !== undefined && (state === undefined || state === 'APPROVED')) whatsapp.push(parsed);
      }
      pageToken = typeof body?.nextPageToken === 'string' ? body.nextPageToken : '';
      if (pageToken === '') break;
    }
    const v2 = await deps.client.read(integration, 'templates', `/v2/projects/${project}/templates`);
    if (!v2.ok) return { ok: false, message: why('the Template Management API (omni-channel templates)', v2) };
    const list = (v2.json as { templates?: unknown } | undefined)?.templates;
    const omni = (Array.isArray(list) ? list : []).map(parseOmniTemplate).filter((t): t is OmniTemplate => t !== undefined);
    return { ok: true, catalogue: { whatsapp, omni } };
  }

  async function cached(integrationId: string): Promise<{ catalogue: TemplateCatalogue; fetchedAt: string } | undefined> {
    const row = await deps.repo.get(integrationId);
    return row === undefined ? undefined : { catalogue: JSON.parse(row.catalogue_json) as TemplateCatalogue, fetchedAt: row.fetched_at };
  }

  async function refresh(integration: IntegrationSecrets): Promise<{ catalogue: TemplateCatalogue; fetchedAt: string } | { error: string }> {
    const fetched = await fetchFromSinch(integration);
    if (!fetched.ok) return { error: fetched.message };
    const fetchedAt = deps.clock.now().toISOString();
    await deps.repo.put(integration.id, fetchedAt, JSON.stringify(fetched.catalogue));
    return { catalogue: fetched.catalogue, fetchedAt };
  }

  /** The cached catalogue while it is fresh, else a new read from Sinch (the stale copy when Sinch cannot be read). */
  async function current(integration: IntegrationSecrets, force: boolean): Promise<{ catalogue: TemplateCatalogue; fetchedAt: string } | { error: string; stale?: { catalogue: TemplateCatalogue; fetchedAt: string } }> {
    const have = await cached(integration.id);
    const now = deps.clock.now().getTime();
    if (!force && have !== undefined && now - Date.parse(have.fetchedAt) < deps.cacheMs) return have;
    const failed = failedAt.get(integration.id);
    let fresh: Awaited<ReturnType<typeof refresh>>;
    if (!force && failed !== undefined && now - failed.at < RETRY_AFTER_FAILURE_MS) {
      fresh = { error: failed.message };
    } else {
      fresh = await refresh(integration);
      if ('error' in fresh) failedAt.set(integration.id, { at: now, message: fresh.error });
      else failedAt.delete(integration.id);
    }
    if ('error' in fresh && have !== undefined) return { error: fresh.error, stale: have };
    return fresh;
  }

  return {
    /** `GET …/integrations/{id}/templates[?refresh=true]`: 502 when Sinch cannot be read and nothing is cached (or a refresh was asked for). */
    async list(projectId: string, integrationId: string, force: boolean): Promise<TemplateCatalogueView> {
      const integration = await deps.integration(integrationId);
      if (integration === undefined || integration.projectId !== projectId) throw notFound('integration');
      const got = await current(integration, force);
      if ('error' in got) {
        if (!force && got.stale !== undefined) return { integration_id: integration.id, fetched_at: got.stale.fetchedAt, ...got.stale.catalogue };
        throw new AppError(502, 'templates_unavailable', `Sinch's templates could not be read: ${got.error}`);
      }
      return { integration_id: integration.id, fetched_at: got.fetchedAt, ...got.catalogue };
    },

    /**
     * Refuses (400 naming the field, with the template's real parameters) a WhatsApp template send that Sinch would
     * fail: an unknown template or language, or a missing parameter. When Sinch's template lists cannot be read and
     * nothing is cached, the send is not held up: Sinch then reports such a failure itself.
     */
    async check(integrationId: string, channel: Channel, message: AppMessage, path = 'message'): Promise<void> {
      if (channel !== 'whatsapp' || message.template_message === undefined) return;
      const integration = await deps.integration(integrationId);
      if (integration === undefined) return;
      const got = await current(integration, false);
      const catalogue = 'error' in got ? got.stale?.catalogue : got.catalogue;
      if ('error' in got) deps.log.warn({ integrationId, reason: got.error }, 'template catalogue unavailable');
      if (catalogue === undefined) return;
      const problem = checkWhatsAppTemplateSend(catalogue, message, path);
      if (problem !== undefined) throw invalidField(problem.field, problem.message, 'invalid_template');
    },
  };
}

export type TemplatesService = ReturnType<typeof createTemplatesService>;
