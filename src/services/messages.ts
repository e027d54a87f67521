import { AppError, invalidField, notFound } from '../lib/app-error.ts';
import { hashJson } from '../lib/canonical-json.ts';
import { createId } from '../lib/ids.ts';
import type { Clock } from '../lib/time.ts';
import type { Transact } from '../db/transact.ts';
import type { MessageFilters, MessageRow, MessagesRepo } from '../db/repos/messages-repo.ts';
import type { ConversationsRepo } from '../db/repos/conversations-repo.ts';
import type { CallbacksRepo } from '../db/repos/callbacks-repo.ts';
import type { EventsRepo } from '../db/repos/events-repo.ts';
import type { IdempotencyRepo, IdempotencyRow } from '../db/repos/idempotency-repo.ts';
import { checkContent } from '../domain/app-message-rules.ts';
import type { AppMessage, Channel } from '../domain/app-message.ts';
import { normalizePhone } from '../domain/phone.ts';
import type { MessageStatus } from '../domain/statuses.ts';
import { decodeCursor, encodeCursor, type Page } from '../lib/pagination.ts';
import type { Executor } from '../db/repos/executor.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { lanes, type Admission, type Lane } from './admission.ts';
import type { ConfigCache } from './config-cache.ts';
import type { IntegrationSecrets } from './integrations.ts';
import { buildTimeline, type TimelineEntry } from './message-timeline.ts';
import type { SendPolicy } from './send-policy.ts';
import type { TemplatesService } from './templates.ts';
import { senderOn, subjectOf, type EventTracker, type TrackedEvent } from './track-event.ts';

export interface SendInput {
  channel: Channel;
  to: string;
  integration_id?: string;
  campaign_id?: string;
  message: AppMessage;
  /** RCS only: `["rcs", "sms"]` falls back to SMS when RCS cannot deliver. */
  channel_priority_order?: Array<'rcs' | 'sms' | 'whatsapp'>;
  /** SMS sender for the fallback leg; default: the integration's `senders.sms`. */
  sms_sender?: string;
  /** RFC 3339 with its offset: not handed to Sinch before this. */
  send_at?: string;
}

/** One item of a batch: checked against the schema already (an error), or an input to send. */
export type BatchItem = { ok: true; input: SendInput } | { ok: false; error: { code: string; message: string; field?: string } };

export interface BatchResult {
  index: number;
  status: number;
  message?: MessageView;
  error?: { code: string; message: string; field?: string };
}

export interface MessageOptions {
  sms_fallback_sender: string | null;
  /** An RCS campaign's message to a number Sinch said cannot receive RCS: sent on SMS alone, with `sms_fallback_sender`. */
  sms_only?: boolean;
}

export interface MessageView {
  id: string;
  channel: Channel;
  to: string;
  integration_id: string;
  campaign_id: string | null;
  sender: string | null;
  status: MessageStatus;
  provider_message_id: string | null;
  error: string | null;
  error_description: string | null;
  possible_duplicate: boolean;
  content_kind: string;
  message: Record<string, unknown>;
  channel_priority_order: string[] | null;
  current_channel: string | null;
  attempt_count: number;
  sent_timestamp: number | null;
  send_at: string | null;
  created_at: string;
  updated_at: string;
}

export type { TimelineEntry };

export function toMessageView(row: MessageRow): MessageView {
  const options = JSON.parse(row.options_json) as MessageOptions;
  return {
    id: row.id,
    channel: row.channel,
    to: row.recipient,
    integration_id: row.integration_id,
    campaign_id: row.campaign_id,
    sender: senderOn(row, row.current_channel),
    status: row.status,
    provider_message_id: row.provider_message_id,
    error: row.error,
    error_description: row.error_description,
    possible_duplicate: row.possible_duplicate === 1,
    content_kind: row.content_kind,
    message: JSON.parse(row.content_json) as Record<string, unknown>,
    channel_priority_order: options.sms_only === true ? ['sms'] : options.sms_fallback_sender !== null ? ['rcs', 'sms'] : null,
    current_channel: row.current_channel,
    attempt_count: row.attempt_count,
    sent_timestamp: row.sent_ts,
    send_at: row.send_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** A message written in a caller's transaction, and the event it produced (a send refused by policy). */
export interface Committed {
  row: MessageRow;
  tracked: TrackedEvent[];
}

export function createMessagesService(deps: {
  transact: Transact;
  messages: MessagesRepo;
  conversations: Pick<ConversationsRepo, 'touchByPhone'>;
  idempotency: IdempotencyRepo;
  config: Pick<ConfigCache, 'integration' | 'settings'>;
  admission: Admission;
  clock: Clock;
  policy: SendPolicy;
  /** Refuses a WhatsApp template send naming an unknown template or language, or missing a parameter. */
  templates: Pick<TemplatesService, 'check'>;
  tracker: EventTracker;
  timeline: { events: Pick<EventsRepo, 'forMessage'>; callbacks: Pick<CallbacksRepo, 'forProviderMessage'> };
  /** A message of this integration is due now (wakes the sender after the commit). */
  onQueued: (integrationId: string) => void;
  onTracked: (events: TrackedEvent[]) => void;
}) {
  // Inside a caller's transaction every read must go through its executor (SQLite has one connection); outside
  // one, `undefined` reads on its own.
  async function resolveIntegration(executor: Executor | undefined, projectId: string, input: SendInput): Promise<IntegrationSecrets> {
    if (input.integration_id !== undefined) {
      const found = await deps.config.integration(input.integration_id, executor);
      if (found === undefined || found.projectId !== projectId) throw invalidField('integration_id', 'integration_id must be the id of an integration of this project');
      return found;
    }
    const settings = await deps.config.settings(projectId, executor);
    const id = input.channel === 'whatsapp' ? settings.whatsapp_integration_id : settings.rcs_integration_id;
    const found = id === null ? undefined : await deps.config.integration(id, executor);
    if (found === undefined) {
      throw new AppError(422, 'no_default_provider', `no integration_id was given and the project has no default ${input.channel === 'whatsapp' ? 'WhatsApp' : 'RCS'} provider; set one in the channel settings or pass integration_id`);
    }
    return found;
  }

  function fallbackSenderOf(input: SendInput, senders: { sms?: string }): string | null {
    const order = input.channel_priority_order;
    if (order === undefined || (order.length === 1 && order[0] === input.channel)) {
      if (input.sms_sender !== undefined) throw invalidField('sms_sender', 'sms_sender is only used with channel_priority_order ["rcs", "sms"]');
      return null;
    }
    if (input.channel !== 'rcs' || order.length !== 2 || order[0] !== 'rcs' || order[1] !== 'sms') {
      throw invalidField('channel_priority_order', 'channel_priority_order must be ["rcs", "sms"] (SMS fallback is available for RCS messages)');
    }
    const sender = input.sms_sender ?? senders.sms;
    if (sender === undefined) throw invalidField('sms_sender', 'SMS fallback needs sms_sender, or an SMS sender in the integration\'s senders.sms');
    return sender;
  }

  /** Validates and resolves everything a send needs; throws a 4xx AppError naming the field at fault. */
  async function prepare(executor: Executor | undefined, projectId: string, input: SendInput, lane: Lane, extra: { consentExempt?: boolean; replyToInboundId?: string } = {}): Promise<MessageRow> {
    const phone = normalizePhone(input.to);
    if (!phone.ok) throw invalidField('to', `to ${phone.reason}`);
    const content = checkContent(input.channel, input.message);
    if (!content.ok) throw invalidField(content.field, content.message);
    const integration = await resolveIntegration(executor, projectId, input);
    const smsFallbackSender = fallbackSenderOf(input, integration.senders);
    const now = deps.clock.now();
    const at = now.toISOString();
    let sendAt: number | null = null;
    if (input.send_at !== undefined) {
      const t = Date.parse(input.send_at);
      if (Number.isNaN(t) || !/([zZ]|[+-]\d{2}:\d{2})$/.test(input.send_at)) throw invalidField('send_at', 'send_at must be an RFC 3339 time with its offset, e.g. 2026-12-01T09:00:00+01:00');
      if (t > now.getTime() + 366 * 86_400_000) throw invalidField('send_at', 'send_at must be within a year');
      if (t > now.getTime()) sendAt = t;
    }
    return {
      id: createId('msg'),
      project_id: projectId,
      integration_id: integration.id,
      channel: input.channel,
      recipient: phone.e164,
      sender: integration.senders[input.channel] ?? null,
      campaign_id: input.campaign_id ?? null,
      content_kind: content.kind,
      content_json: JSON.stringify(input.message),
      options_json: JSON.stringify({ sms_fallback_sender: smsFallbackSender } satisfies MessageOptions),
      status: 'queued',
      provider_message_id: null,
      error: null,
      error_description: null,
      possible_duplicate: 0,
      attempt_count: 0,
      current_channel: input.channel,
      created_at: at,
      updated_at: at,
      sent_ts: null,
      consent_exempt: extra.consentExempt === true ? 1 : 0,
      reply_to_inbound_id: extra.replyToInboundId ?? null,
      priority: lanes[lane],
      next_attempt_at: sendAt ?? now.getTime(),
      locked_by: null,
      attempt_started_at: null,
      interrupted_at: null,
      campaign_ref: null,
      send_at: sendAt === null ? null : new Date(sendAt).toISOString(),
    };
  }

  /**
   * Writes a prepared message inside the caller's transaction, due now; or, when policy refuses it (no consent,
   * closed WhatsApp window), as `enqueued_failed` with the reason and its tracked event. A customer's thread on the
   * channel moves up the list.
   */
  async function commit(trx: Executor, row: MessageRow): Promise<Committed> {
    const now = deps.clock.now();
    const decision = await deps.policy.evaluate(trx, {
      projectId: row.project_id, channel: row.channel, recipient: row.recipient, contentKind: row.content_kind, consentExempt: row.consent_exempt === 1,
    }, now);
    const refusal = decision.refusal;
    const stored: MessageRow = refusal === undefined ? row
      : { ...row, status: 'enqueued_failed', error: refusal.code, error_description: refusal.description, next_attempt_at: null };
    await deps.messages.insert(trx, stored);
    if (decision.hasThread) await deps.conversations.touchByPhone(trx, row.project_id, row.recipient, row.channel, row.created_at);
    const tracked: TrackedEvent[] = [];
    if (refusal !== undefined) {
      const event = await deps.tracker.track(trx, subjectOf(stored), { status: 'enqueued_failed', at: now, error: refusal.code, errorDescription: refusal.description });
      if (event !== undefined) tracked.push(event);
    }
    return { row: stored, tracked };
  }

  function replay(previous: IdempotencyRow, requestHash: string): { status: number; body: MessageView } {
    if (previous.request_hash !== requestHash) {
      throw new AppError(422, 'idempotency_key_reused', 'this Idempotency-Key was already used with a different request body', 'Idempotency-Key');
    }
    return { status: previous.status_code, body: JSON.parse(previous.response_json) as MessageView };
  }

  return {
    /**
     * Validates, then commits the message (due now) and its idempotency record in one transaction before
     * answering: an accepted message survives any crash after this returns. API sends are admitted only while the
     * project's backlog is under its bound (429 otherwise); replies typed by an agent always are.
     */
    async accept(projectId: string, input: SendInput, idempotencyKey: string | undefined, lane: Lane = 'api'): Promise<{ status: number; body: MessageView }> {
      const requestHash = idempotencyKey === undefined ? '' : hashJson(input);
      if (idempotencyKey !== undefined) {
        const previous = await deps.idempotency.find(projectId, idempotencyKey);
        if (previous !== undefined) return replay(previous, requestHash);
      }
      const row = await prepare(undefined, projectId, input, lane);
      await deps.templates.check(row.integration_id, input.channel, input.message);
      if (lane !== 'reply') await deps.admission.admit(projectId);
      let result: { view: MessageView; tracked: TrackedEvent[] };
      try {
        result = await deps.transact(async (trx) => {
          const committed = await commit(trx, row);
          const view = toMessageView(committed.row);
          if (idempotencyKey !== undefined) {
            await deps.idempotency.insert(trx, {
              project_id: projectId, key: idempotencyKey, request_hash: requestHash, status_code: 202,
              response_json: JSON.stringify(view), created_at: row.created_at,
            });
          }
          return { view, tracked: committed.tracked };
        });
      } catch (error) {
        if (idempotencyKey !== undefined && isUniqueViolation(error)) {
          const winner = await deps.idempotency.find(projectId, idempotencyKey);
          if (winner !== undefined) return replay(winner, requestHash);
        }
        throw error;
      }
      if (result.tracked.length > 0) deps.onTracked(result.tracked);
      if (result.view.status === 'queued') deps.onQueued(row.integration_id);
      return { status: 202, body: result.view };
    },

    /**
     * Up to 1,000 sends in one request: each item validated on its own (its error names `messages[i].field`); the
     * valid ones stored in one transaction, answered only after its commit; the project's backlog bound applies to
     * them together. One `Idempotency-Key` covers the request.
     */
    async acceptBatch(projectId: string, items: BatchItem[], idempotencyKey: string | undefined): Promise<{ data: BatchResult[] }> {
      const requestHash = idempotencyKey === undefined ? '' : hashJson(items);
      if (idempotencyKey !== undefined) {
        const previous = await deps.idempotency.find(projectId, idempotencyKey);
        if (previous !== undefined) {
          if (previous.request_hash !== requestHash) throw new AppError(422, 'idempotency_key_reused', 'this Idempotency-Key was already used with a different request body', 'Idempotency-Key');
          return JSON.parse(previous.response_json) as { data: BatchResult[] };
        }
      }
      const results: BatchResult[] = [];
      const prepared: Array<{ index: number; row: MessageRow }> = [];
      for (const [index, item] of items.entries()) {
        if (!item.ok) {
          results[index] = { index, status: 400, error: item.error };
          continue;
        }
        try {
          const row = await prepare(undefined, projectId, item.input, 'api');
          await deps.templates.check(row.integration_id, item.input.channel, item.input.message);
          prepared.push({ index, row });
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          results[index] = { index, status: error.status, error: { code: error.code, message: error.message, ...(error.field !== undefined ? { field: `messages[${index}].${error.field}` } : {}) } };
        }
      }
      if (prepared.length > 0) await deps.admission.admit(projectId, prepared.length);
      const committed = await deps.transact(async (trx) => {
        const out: Array<{ index: number; view: MessageView; tracked: TrackedEvent[] }> = [];
        for (const p of prepared) {
          const c = await commit(trx, p.row);
          out.push({ index: p.index, view: toMessageView(c.row), tracked: c.tracked });
        }
        const data = [...results];
        for (const c of out) data[c.index] = { index: c.index, status: 202, message: c.view };
        if (idempotencyKey !== undefined) {
          await deps.idempotency.insert(trx, {
            project_id: projectId, key: idempotencyKey, request_hash: requestHash, status_code: 200,
            response_json: JSON.stringify({ data }), created_at: deps.clock.now().toISOString(),
          });
        }
        return { out, data };
      });
      const tracked = committed.out.flatMap((c) => c.tracked);
      if (tracked.length > 0) deps.onTracked(tracked);
      for (const integrationId of new Set(committed.out.filter((c) => c.view.status === 'queued').map((c) => c.view.integration_id))) deps.onQueued(integrationId);
      return { data: committed.data };
    },

    /**
     * A send decided by the service itself (a keyword confirmation), inside the caller's transaction so it commits
     * together with what caused it; it goes first among the integration's sends. The caller wakes the sender
     * (`notifyQueued`) after its commit.
     */
    async sendInTransaction(trx: Executor, projectId: string, input: SendInput, extra: { consentExempt?: boolean; replyToInboundId?: string }): Promise<Committed> {
      return commit(trx, await prepare(trx, projectId, input, 'reply', extra));
    },

    notifyQueued(integrationId: string): void {
      deps.onQueued(integrationId);
    },

    async get(projectId: string, id: string): Promise<MessageView & { timeline: TimelineEntry[] }> {
      const row = await deps.messages.findInProject(projectId, id);
      if (row === undefined) throw notFound('message');
      const [attempts, events, reports, other] = await Promise.all([
        deps.messages.attempts(id),
        deps.timeline.events.forMessage(id),
        row.provider_message_id === null ? [] : deps.timeline.callbacks.forProviderMessage(row.provider_message_id),
        deps.messages.timeline(id),
      ]);
      const ownReports = reports.filter((c) => c.integration_id === row.integration_id && c.trigger === 'MESSAGE_DELIVERY');
      return { ...toMessageView(row), timeline: buildTimeline(row, { attempts, events, reports: ownReports, other }) };
    },

    async list(projectId: string, filters: MessageFilters, page: { limit: number; cursor?: string }): Promise<Page<MessageView>> {
      const before = decodeCursor(page.cursor);
      const rows = await deps.messages.list(projectId, filters, { ...(before !== undefined ? { before } : {}), limit: page.limit + 1 });
      const more = rows.length > page.limit;
      const pageRows = more ? rows.slice(0, page.limit) : rows;
      const last = pageRows.at(-1);
      return { data: pageRows.map(toMessageView), next_cursor: more && last ? encodeCursor(last.id) : null };
    },
  };
}

export type MessagesService = ReturnType<typeof createMessagesService>;
