import { AppError, invalidField, notFound } from '../lib/app-error.ts';
import { createId } from '../lib/ids.ts';
import { buildPage, type Page, type PageRequest } from '../lib/pagination.ts';
import type { Clock } from '../lib/time.ts';
import type { Transact } from '../db/transact.ts';
import type { AudienceSource } from '../db/repos/audience-repo.ts';
import type { CampaignRow, CampaignsRepo } from '../db/repos/campaigns-repo.ts';
import type { CustomersRepo } from '../db/repos/customers-repo.ts';
import type { JobsRepo } from '../db/repos/jobs-repo.ts';
import { checkContent } from '../domain/app-message-rules.ts';
import type { AppMessage, Channel } from '../domain/app-message.ts';
import { isTimeZone, readTags } from '../domain/customer-input.ts';
import { compileContent, renderContent, type CompiledContent } from '../domain/personalize.ts';
import { normalizePhone } from '../domain/phone.ts';
import { instantOfLocal, isClockTime, type QuietHours } from '../domain/quiet-hours.ts';
import { explainError } from '../domain/reason-codes.ts';
import type { SegmentFilter } from '../domain/segment-filter.ts';
import type { ConfigCache } from './config-cache.ts';
import type { IntegrationSecrets } from './integrations.ts';
import type { MessagesService, MessageView } from './messages.ts';
import type { TemplatesService } from './templates.ts';
import type { SegmentsService } from './segments.ts';

export const campaignFanoutJob = 'campaign_fanout';
export const campaignCancelJob = 'campaign_cancel';
export const campaignWatchJob = 'campaign_watch';

/** A saved segment's filter is copied in when the campaign starts (`filter` beside `segment_id`). */
export type AudienceSpec = { segment_id: string; filter?: SegmentFilter } | { filter: SegmentFilter } | { import_id: string } | { all: true };

export interface CampaignSettings {
  /** Messages per second this campaign sends at most (null: as fast as the integration allows). */
  throttle_per_second: number | null;
  /** Local times in the recipient's time zone when nothing is sent; messages wait for the end. */
  quiet_hours: QuietHours | null;
  /** For `send_at` given as a local time and for recipients without a time zone of their own. */
  time_zone: string;
  /** A customer lacking an attribute the content uses without a `default`: skip them, or render it empty. */
  on_missing_attribute: 'skip' | 'empty';
  /** RCS only: fall back to SMS where RCS cannot deliver. */
  sms_fallback: boolean;
  /** Sinch drops a message not delivered within this many seconds (`ttl`): stale marketing expires. Null: Sinch's default. */
  ttl_seconds?: number | null;
}

export interface CampaignInput {
  name: string;
  channel: Channel;
  integration_id?: string | undefined;
  content: AppMessage;
  audience: Record<string, unknown>;
  throttle_per_second?: number | null | undefined;
  quiet_hours?: QuietHours | null | undefined;
  time_zone?: string | undefined;
  send_at?: string | null | undefined;
  on_missing_attribute?: 'skip' | 'empty' | undefined;
  sms_fallback?: boolean | undefined;
  ttl_seconds?: number | null | undefined;
}

export interface CampaignView {
  id: string;
  name: string;
  status: CampaignRow['status'];
  channel: Channel;
  integration_id: string;
  content: Record<string, unknown>;
  audience: AudienceSpec;
  throttle_per_second: number | null;
  quiet_hours: QuietHours | null;
  time_zone: string;
  on_missing_attribute: 'skip' | 'empty';
  sms_fallback: boolean;
  ttl_seconds: number | null;
  send_at: string | null;
  /** Personalisation: attributes the content uses, and those a customer must have (no `default`). */
  variables: { used: string[]; required: string[] };
  progress: { audience: number; skipped: number; messages: number; handed_over: number; fanout_done: boolean };
  created_at: string;
  updated_at: string;
  launched_at: string | null;
  finished_at: string | null;
}

/** What a campaign's content, settings and channel are, compiled once (the sender renders it for each recipient). */
export interface CompiledCampaign {
  id: string;
  projectId: string;
  channel: Channel;
  compiled: CompiledContent;
  contentKind: string;
  settings: CampaignSettings;
}

const editable: ReadonlyArray<CampaignRow['status']> = ['draft', 'scheduled'];

function audienceOf(row: CampaignRow): AudienceSpec {
  return JSON.parse(row.audience_json) as AudienceSpec;
}

export function settingsOf(row: Pick<CampaignRow, 'settings_json'>): CampaignSettings {
  return JSON.parse(row.settings_json) as CampaignSettings;
}

/** The audience a stored campaign stands for. */
export function sourceOfAudience(spec: AudienceSpec): AudienceSource {
  if ('segment_id' in spec) {
    if (spec.filter === undefined) throw new Error('a segment audience is resolved when the campaign starts');
    return { kind: 'filter', filter: spec.filter };
  }
  if ('filter' in spec) return { kind: 'filter', filter: spec.filter };
  if ('import_id' in spec) return { kind: 'import', importId: spec.import_id };
  return { kind: 'all' };
}

function contentField(field: string): string {
  return field.replace(/^message\b/, 'content');
}

/**
 * Campaigns: a name, a channel and its integration (the channel's default provider unless another is chosen),
 * personalised content, an audience (a segment, an import or every customer), a throttle, quiet hours and a start
 * (`send_at` or now). Draft → scheduled → running → paused / resumed → completed, or cancelled; a running campaign
 * cannot be edited. The fan-out, cancellation and completion run as jobs (campaign-jobs.ts).
 */
export function createCampaignsService(deps: {
  transact: Transact;
  campaigns: CampaignsRepo;
  customers: Pick<CustomersRepo, 'findByPhone' | 'find'>;
  jobs: JobsRepo;
  config: Pick<ConfigCache, 'integration' | 'settings'>;
  segments: Pick<SegmentsService, 'sourceOf' | 'preview' | 'checkFilter' | 'filterOf'>;
  messages: Pick<MessagesService, 'accept'>;
  /** Refuses WhatsApp template content naming an unknown template or language, or missing a parameter. */
  templates: Pick<TemplatesService, 'check'>;
  clock: Clock;
  /** A job was enqueued (wake the job worker). */
  onScheduled: () => void;
}) {
  const compiledCache = new Map<string, CompiledCampaign>();

  async function integrationFor(projectId: string, channel: Channel, id: string | undefined): Promise<IntegrationSecrets> {
    if (id !== undefined) {
      const found = await deps.config.integration(id);
      if (found === undefined || found.projectId !== projectId) throw invalidField('integration_id', 'integration_id must be the id of an integration of this project');
      return found;
    }
    const settings = await deps.config.settings(projectId);
    const preselected = channel === 'whatsapp' ? settings.whatsapp_integration_id : settings.rcs_integration_id;
    const found = preselected === null ? undefined : await deps.config.integration(preselected);
    if (found === undefined) {
      throw new AppError(422, 'no_default_provider', `no integration_id was given and the project has no default ${channel === 'whatsapp' ? 'WhatsApp' : 'RCS'} provider; set one in the channel settings or pass integration_id`, 'integration_id');
    }
    return found;
  }

  function checkAudience(projectId: string, audience: Record<string, unknown>): AudienceSpec {
    const keys = ['segment_id', 'filter', 'import_id', 'all'].filter((k) => audience[k] !== undefined);
    if (keys.length !== 1) throw invalidField('audience', 'audience must have exactly one of segment_id, filter, import_id or all: true');
    if (typeof audience.segment_id === 'string') return { segment_id: audience.segment_id };
    if (audience.filter !== undefined) return { filter: deps.segments.checkFilter(audience.filter) };
    if (typeof audience.import_id === 'string') return { import_id: audience.import_id };
    if (audience.all === true) return { all: true };
    void projectId;
    throw invalidField('audience', 'audience must have exactly one of segment_id, filter, import_id or all: true');
  }

  function checkSettings(input: Partial<CampaignInput>, channel: Channel, integration: IntegrationSecrets, previous?: CampaignSettings): CampaignSettings {
    const settings: CampaignSettings = previous ?? { throttle_per_second: null, quiet_hours: null, time_zone: 'UTC', on_missing_attribute: 'skip', sms_fallback: false };
    const next = { ...settings };
    if (input.throttle_per_second !== undefined) {
      const t = input.throttle_per_second;
      if (t !== null && (!Number.isFinite(t) || t <= 0)) throw invalidField('throttle_per_second', 'throttle_per_second must be a positive number of messages per second (or null)');
      if (t !== null && t > integration.sendRatePerSecond) {
        throw invalidField('throttle_per_second', `throttle_per_second must be at most the integration's send rate (${integration.sendRatePerSecond}/s)`);
      }
      next.throttle_per_second = t;
    }
    if (input.quiet_hours !== undefined) {
      const q = input.quiet_hours;
      if (q !== null && (!isClockTime(q.start) || !isClockTime(q.end))) throw invalidField('quiet_hours', 'quiet_hours must be {"start": "HH:MM", "end": "HH:MM"} (local time of the recipient)');
      if (q !== null && q.start === q.end) throw invalidField('quiet_hours.end', 'quiet_hours.end must differ from start');
      next.quiet_hours = q;
    }
    if (input.time_zone !== undefined) {
      if (!isTimeZone(input.time_zone)) throw invalidField('time_zone', 'time_zone must be an IANA time zone such as Europe/Stockholm');
      next.time_zone = input.time_zone;
    }
    if (input.on_missing_attribute !== undefined) next.on_missing_attribute = input.on_missing_attribute;
    if (input.ttl_seconds !== undefined) {
      const ttl = input.ttl_seconds;
      if (ttl !== null && (!Number.isSafeInteger(ttl) || ttl < 3 || ttl > 315_576_000_000)) {
        throw invalidField('ttl_seconds', 'ttl_seconds must be a whole number of seconds from 3 (Sinch\'s minimum), or null for Sinch\'s default');
      }
      next.ttl_seconds = ttl;
    }
    if (input.sms_fallback !== undefined) {
      if (input.sms_fallback && channel !== 'rcs') throw invalidField('sms_fallback', 'sms_fallback is for RCS campaigns');
      if (input.sms_fallback && integration.senders.sms === undefined) throw invalidField('sms_fallback', 'SMS fallback needs an SMS sender in the integration\'s senders.sms');
      next.sms_fallback = input.sms_fallback;
    }
    return next;
  }

  function checkContentOf(channel: Channel, content: AppMessage): { kind: string; compiled: CompiledContent } {
    const check = checkContent(channel, content);
    if (!check.ok) throw invalidField(contentField(check.field), check.message.replace(/^message\b/, 'content'));
    const compiled = compileContent(content);
    if (!compiled.ok) throw invalidField(compiled.field, compiled.message);
    return { kind: check.kind, compiled: compiled.compiled };
  }

  /** RFC 3339 with an offset, or a local time (no offset) in the campaign's `time_zone`. */
  function checkSendAt(sendAt: string | null | undefined, timeZone: string): string | null {
    if (sendAt === undefined || sendAt === null) return null;
    const local = instantOfLocal(sendAt, timeZone);
    const at = local !== undefined ? local.getTime() : /([zZ]|[+-]\d{2}:\d{2})$/.test(sendAt) ? Date.parse(sendAt) : Number.NaN;
    if (Number.isNaN(at)) throw invalidField('send_at', 'send_at must be an RFC 3339 time with its offset (2026-12-01T09:00:00+01:00), or a local time in the campaign\'s time_zone (2026-12-01T09:00)');
    if (at > deps.clock.now().getTime() + 366 * 86_400_000) throw invalidField('send_at', 'send_at must be within a year');
    return new Date(at).toISOString();
  }

  async function view(row: CampaignRow): Promise<CampaignView> {
    const counters = await deps.campaigns.counters(row.id);
    const settings = settingsOf(row);
    const content = JSON.parse(row.content_json) as Record<string, unknown>;
    const compiled = compileContent(content);
    const c = (k: string) => counters.get(k) ?? 0;
    return {
      id: row.id, name: row.name, status: row.status, channel: row.channel, integration_id: row.integration_id, content, audience: audienceOf(row),
      throttle_per_second: settings.throttle_per_second, quiet_hours: settings.quiet_hours, time_zone: settings.time_zone,
      on_missing_attribute: settings.on_missing_attribute, sms_fallback: settings.sms_fallback, ttl_seconds: settings.ttl_seconds ?? null, send_at: row.send_at,
      variables: compiled.ok ? { used: [...compiled.compiled.used], required: [...compiled.compiled.required] } : { used: [], required: [] },
      progress: {
        audience: c('audience'), skipped: c('skipped'), messages: row.queued_count, handed_over: c('status:enqueued') + c('status:enqueued_failed'),
        fanout_done: row.fanout_done === 1,
      },
      created_at: row.created_at, updated_at: row.updated_at, launched_at: row.launched_at, finished_at: row.finished_at,
    };
  }

  async function requireRow(projectId: string, id: string): Promise<CampaignRow> {
    const row = await deps.campaigns.find(projectId, id);
    if (row === undefined) throw notFound('campaign');
    return row;
  }

  function notAllowed(row: CampaignRow, action: string): AppError {
    return new AppError(409, 'campaign_state', `the campaign is ${row.status}; it cannot be ${action}`);
  }

  async function enqueue(kind: string, campaignId: string, runAt?: number): Promise<void> {
    await deps.jobs.enqueue(deps.jobs.db, { kind, key: `${kind}:${campaignId}`, payload: { campaign_id: campaignId }, maxAttempts: 2_000_000_000, ...(runAt !== undefined ? { runAt } : {}) }, deps.clock.now().getTime());
    deps.onScheduled();
  }

  return {
    async create(projectId: string, input: CampaignInput): Promise<CampaignView> {
      const integration = await integrationFor(projectId, input.channel, input.integration_id);
      const { compiled } = checkContentOf(input.channel, input.content);
      void compiled;
      await deps.templates.check(integration.id, input.channel, input.content, 'content');
      const audience = checkAudience(projectId, input.audience);
      if ('segment_id' in audience) await deps.segments.sourceOf(projectId, audience);
      const settings = checkSettings(input, input.channel, integration);
      const at = deps.clock.now().toISOString();
      const row: CampaignRow = {
        id: createId('cmp'), project_id: projectId, name: input.name, status: 'draft', channel: input.channel, integration_id: integration.id,
        content_json: JSON.stringify(input.content), audience_json: JSON.stringify(audience), settings_json: JSON.stringify(settings),
        send_at: checkSendAt(input.send_at, settings.time_zone), fanout_cursor: null, fanout_done: 0, queued_count: 0, created_at: at, updated_at: at, launched_at: null, finished_at: null,
      };
      await deps.campaigns.insert(row);
      return view(row);
    },

    async list(projectId: string, page: PageRequest, status?: CampaignRow['status']): Promise<Page<CampaignView>> {
      const rows = await deps.campaigns.list(projectId, { ...(page.after !== undefined ? { before: page.after } : {}), limit: page.limit + 1, ...(status !== undefined ? { status } : {}) });
      const one = buildPage(rows, page.limit, (r) => r.id, (r) => r);
      return { data: await Promise.all(one.data.map(view)), next_cursor: one.next_cursor };
    },

    async get(projectId: string, id: string): Promise<CampaignView> {
      return view(await requireRow(projectId, id));
    },

    /** Changes a draft or scheduled campaign; a running one is refused with the reason. */
    async update(projectId: string, id: string, patch: Partial<CampaignInput>): Promise<CampaignView> {
      const row = await requireRow(projectId, id);
      if (!editable.includes(row.status)) {
        throw new AppError(409, 'campaign_not_editable', `a ${row.status} campaign cannot be edited${row.status === 'running' ? '; pause it and cancel it, then copy it into a new campaign' : ''}`);
      }
      const channel = patch.channel ?? row.channel;
      const integration = await integrationFor(projectId, channel, patch.integration_id ?? (patch.channel !== undefined && patch.channel !== row.channel ? undefined : row.integration_id));
      const content = (patch.content ?? JSON.parse(row.content_json)) as AppMessage;
      checkContentOf(channel, content);
      await deps.templates.check(integration.id, channel, content, 'content');
      const audience = patch.audience !== undefined ? checkAudience(projectId, patch.audience) : audienceOf(row);
      if ('segment_id' in audience) await deps.segments.sourceOf(projectId, audience);
      const settings = checkSettings(patch, channel, integration, settingsOf(row));
      const next = {
        name: patch.name ?? row.name, channel, integration_id: integration.id, content_json: JSON.stringify(content), audience_json: JSON.stringify(audience),
        settings_json: JSON.stringify(settings), send_at: patch.send_at !== undefined ? checkSendAt(patch.send_at, settings.time_zone) : row.send_at, updated_at: deps.clock.now().toISOString(),
      };
      if (!await deps.transact((trx) => deps.campaigns.transition(trx, id, editable, next))) throw notAllowed(row, 'edited');
      return view({ ...row, ...next });
    },

    async remove(projectId: string, id: string): Promise<void> {
      const row = await requireRow(projectId, id);
      if (!await deps.campaigns.remove(projectId, id)) throw new AppError(409, 'campaign_state', `a ${row.status} campaign cannot be deleted (cancel it instead)`);
    },

    /** Starts now, or at `send_at` when that is later (scheduled). The audience is read when it starts. */
    async launch(projectId: string, id: string): Promise<CampaignView> {
      const row = await requireRow(projectId, id);
      if (row.status !== 'draft') throw notAllowed(row, 'launched');
      const integration = await deps.config.integration(row.integration_id);
      if (integration === undefined) throw invalidField('integration_id', 'the campaign\'s integration was deleted; choose another');
      // The template may have been withdrawn since the campaign was written.
      await deps.templates.check(integration.id, row.channel, JSON.parse(row.content_json) as AppMessage, 'content');
      const now = deps.clock.now();
      const later = row.send_at !== null && Date.parse(row.send_at) > now.getTime();
      const start = later ? Date.parse(row.send_at!) : now.getTime();
      // The segment as it is now is the audience: later edits of the segment do not change a started campaign.
      const spec = audienceOf(row);
      const audience = 'segment_id' in spec ? { segment_id: spec.segment_id, filter: await deps.segments.filterOf(projectId, spec.segment_id) } : spec;
      const ok = await deps.transact((trx) => deps.campaigns.transition(trx, id, ['draft'], {
        status: later ? 'scheduled' : 'running', launched_at: later ? null : now.toISOString(), updated_at: now.toISOString(),
        audience_json: JSON.stringify(audience),
      }));
      if (!ok) throw notAllowed(row, 'launched');
      await enqueue(campaignFanoutJob, id, start);
      return view(await requireRow(projectId, id));
    },

    async pause(projectId: string, id: string): Promise<CampaignView> {
      const row = await requireRow(projectId, id);
      const at = deps.clock.now().toISOString();
      const ok = await deps.transact(async (trx) => {
        if (!await deps.campaigns.transition(trx, id, ['running', 'scheduled'], { status: 'paused', updated_at: at })) return false;
        await deps.campaigns.holdMessages(trx, id);
        return true;
      });
      if (!ok) throw notAllowed(row, 'paused');
      return view(await requireRow(projectId, id));
    },

    async resume(projectId: string, id: string): Promise<CampaignView> {
      const row = await requireRow(projectId, id);
      const now = deps.clock.now();
      const settings = settingsOf(row);
      const interval = settings.throttle_per_second === null ? 0 : 1000 / settings.throttle_per_second;
      const ok = await deps.transact(async (trx) => {
        if (!await deps.campaigns.transition(trx, id, ['paused'], { status: 'running', launched_at: row.launched_at ?? now.toISOString(), updated_at: now.toISOString() })) return false;
        await deps.campaigns.releaseMessages(trx, id, now.getTime(), interval);
        return true;
      });
      if (!ok) throw notAllowed(row, 'resumed');
      if (row.fanout_done !== 1) await enqueue(campaignFanoutJob, id, row.send_at !== null && row.launched_at === null ? Math.max(now.getTime(), Date.parse(row.send_at)) : undefined);
      else await enqueue(campaignWatchJob, id);
      return view(await requireRow(projectId, id));
    },

    /** Stops for good: messages not yet handed to Sinch become `enqueued_failed` (CAMPAIGN_CANCELLED). */
    async cancel(projectId: string, id: string): Promise<CampaignView> {
      const row = await requireRow(projectId, id);
      const at = deps.clock.now().toISOString();
      const ok = await deps.transact(async (trx) => {
        if (!await deps.campaigns.transition(trx, id, ['draft', 'scheduled', 'running', 'paused'], { status: 'cancelled', finished_at: at, updated_at: at })) return false;
        await deps.campaigns.holdMessages(trx, id);
        return true;
      });
      if (!ok) throw notAllowed(row, 'cancelled');
      await enqueue(campaignCancelJob, id);
      return view(await requireRow(projectId, id));
    },

    /** The content as one customer (by id or phone) would get it, or why they would be skipped. */
    async preview(projectId: string, id: string, who: { customer_id?: string; phone?: string }): Promise<{ content: Record<string, unknown> | null; problems: Array<{ code: string; message: string; field?: string }> }> {
      const row = await requireRow(projectId, id);
      const compiled = compileContent(JSON.parse(row.content_json) as Record<string, unknown>);
      if (!compiled.ok) return { content: null, problems: [{ code: 'CONTENT_INVALID', message: compiled.message, field: compiled.field }] };
      let recipient = { id: '', phone: '', tags: [] as string[], attributes: {} as Record<string, unknown> };
      if (who.customer_id !== undefined || who.phone !== undefined) {
        const phone = who.phone === undefined ? undefined : normalizePhone(who.phone);
        const customer = who.customer_id !== undefined ? await deps.customers.find(projectId, who.customer_id)
          : phone?.ok === true ? await deps.customers.findByPhone(projectId, phone.e164) : undefined;
        if (customer === undefined) throw notFound('customer');
        recipient = { id: customer.id, phone: customer.phone, tags: readTags(customer.tags), attributes: JSON.parse(customer.attributes_json) as Record<string, unknown> };
      }
      const rendered = renderContent(compiled.compiled, recipient, { renderEmpty: settingsOf(row).on_missing_attribute === 'empty' });
      if (!rendered.ok) {
        return rendered.reason === 'missing_attribute'
          ? { content: null, problems: [{ code: 'MISSING_ATTRIBUTE', message: `${explainError('MISSING_ATTRIBUTE').description} Missing: ${rendered.missing.join(', ')}.` }] }
          : { content: null, problems: [{ code: 'CONTENT_INVALID', message: rendered.message, field: rendered.field }] };
      }
      const check = checkContent(row.channel, rendered.content);
      return { content: rendered.content, problems: check.ok ? [] : [{ code: 'CONTENT_INVALID', message: check.message.replace(/^message\b/, 'content'), field: contentField(check.field) }] };
    },

    /** Sends the content, personalised, to a few numbers before launch (they count in no report). */
    async testSend(projectId: string, id: string, to: string[]): Promise<MessageView[]> {
      const row = await requireRow(projectId, id);
      const out: MessageView[] = [];
      for (const [i, phone] of to.entries()) {
        const preview = await this.preview(projectId, id, { phone }).catch(() => this.preview(projectId, id, {}));
        if (preview.content === null) throw invalidField(`to[${i}]`, preview.problems[0]?.message ?? 'the content cannot be rendered for this number');
        const settings = settingsOf(row);
        const sent = await deps.messages.accept(projectId, {
          channel: row.channel, to: phone, integration_id: row.integration_id, campaign_id: `${row.id}:test`, message: preview.content,
          ...(settings.sms_fallback ? { channel_priority_order: ['rcs', 'sms'] as Array<'rcs' | 'sms'> } : {}),
        }, undefined, 'reply');
        out.push(sent.body);
      }
      return out;
    },

    /** The campaign's content and settings, compiled once, for the sender. */
    async compiled(id: string): Promise<CompiledCampaign | undefined> {
      const hit = compiledCache.get(id);
      if (hit !== undefined) return hit;
      const row = await deps.campaigns.findById(id);
      if (row === undefined) return undefined;
      const content = JSON.parse(row.content_json) as Record<string, unknown>;
      const compiled = compileContent(content);
      const check = checkContent(row.channel, content);
      if (!compiled.ok || !check.ok) return undefined;
      const entry: CompiledCampaign = { id, projectId: row.project_id, channel: row.channel, compiled: compiled.compiled, contentKind: check.kind, settings: settingsOf(row) };
      // Content and settings do not change once a campaign runs; a draft's edits reach this only through launch.
      if (row.status !== 'draft' && row.status !== 'scheduled') {
        if (compiledCache.size > 1000) compiledCache.clear();
        compiledCache.set(id, entry);
      }
      return entry;
    },

    row: requireRow,
  };
}

export type CampaignsService = ReturnType<typeof createCampaignsService>;
