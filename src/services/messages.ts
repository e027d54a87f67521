import type { Kysely } from 'kysely';
import { AppError, invalidField, notFound } from '../lib/app-error.ts';
import { hashJson } from '../lib/canonical-json.ts';
import { createId } from '../lib/ids.ts';
import type { Clock } from '../lib/time.ts';
import type { Database } from '../db/schema.ts';
import type { Transact } from '../db/transact.ts';
import type { MessageFilters, MessageRow, MessagesRepo } from '../db/repos/messages-repo.ts';
import type { ConversationsRepo } from '../db/repos/conversations-repo.ts';
import type { IntegrationsRepo } from '../db/repos/integrations-repo.ts';
import type { SettingsRepo } from '../db/repos/settings-repo.ts';
import type { JobQueue } from '../jobs/queue.ts';
import { checkContent } from '../domain/app-message-rules.ts';
import type { AppMessage, Channel } from '../domain/app-message.ts';
import { normalizePhone } from '../domain/phone.ts';
import type { MessageStatus } from '../domain/statuses.ts';
import { decodeCursor, encodeCursor, type Page } from '../lib/pagination.ts';
import type { Executor } from '../db/repos/executor.ts';
import type { SendPolicy } from './send-policy.ts';
import { subjectOf, type EventTracker, type TrackedEvent } from './track-event.ts';
import { isUniqueViolation } from '../db/errors.ts';

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
}

export interface MessageOptions { sms_fallback_sender: string | null }

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
  created_at: string;
  updated_at: string;
}

export interface TimelineEntry {
  at: string;
  kind: string;
  status: string | null;
  channel: string | null;
  detail: Record<string, unknown>;
}

export const sendMessageJob = 'send_message';

export function toMessageView(row: MessageRow): MessageView {
  const options = JSON.parse(row.options_json) as MessageOptions;
  return {
    id: row.id,
    channel: row.channel,
    to: row.recipient,
    integration_id: row.integration_id,
    campaign_id: row.campaign_id,
    sender: row.sender,
    status: row.status,
    provider_message_id: row.provider_message_id,
    error: row.error,
    error_description: row.error_description,
    possible_duplicate: row.possible_duplicate === 1,
    content_kind: row.content_kind,
    message: JSON.parse(row.content_json) as Record<string, unknown>,
    channel_priority_order: options.sms_fallback_sender !== null ? ['rcs', 'sms'] : null,
    current_channel: row.current_channel,
    attempt_count: row.attempt_count,
    sent_timestamp: row.sent_ts,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function createMessagesService(deps: {
  db: Kysely<Database>;
  transact: Transact;
  messages: MessagesRepo;
  conversations: Pick<ConversationsRepo, 'touchByPhone'>;
  integrations: IntegrationsRepo;
  settings: SettingsRepo;
  queue: JobQueue;
  clock: Clock;
  maxAttempts: number;
  policy: SendPolicy;
  tracker: EventTracker;
  /** Wakes this process's worker after a commit. */
  onQueued: () => void;
  onTracked: (events: TrackedEvent[]) => void;
}) {
  // Every read takes the executor: inside a caller's SQLite transaction, a query on another handle would wait forever.
  async function resolveIntegration(executor: Executor, projectId: string, input: SendInput) {
    if (input.integration_id !== undefined) {
      const row = await deps.integrations.find(projectId, input.integration_id, executor);
      if (row === undefined) throw invalidField('integration_id', 'integration_id must be the id of an integration of this project');
      return row;
    }
    const settings = await deps.settings.get(projectId, executor);
    const id = input.channel === 'whatsapp' ? settings.whatsapp_integration_id : settings.rcs_integration_id;
    const row = id === null ? undefined : await deps.integrations.find(projectId, id, executor);
    if (row === undefined) {
      throw new AppError(422, 'no_default_provider', `no integration_id was given and the project has no default ${input.channel === 'whatsapp' ? 'WhatsApp' : 'RCS'} provider; set one in the channel settings or pass integration_id`);
    }
    return row;
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
  async function prepare(executor: Executor, projectId: string, input: SendInput, extra: { consentExempt?: boolean; replyToInboundId?: string } = {}): Promise<MessageRow> {
    const phone = normalizePhone(input.to);
    if (!phone.ok) throw invalidField('to', `to ${phone.reason}`);
    const content = checkContent(input.channel, input.message);
    if (!content.ok) throw invalidField(content.field, content.message);
    const integration = await resolveIntegration(executor, projectId, input);
    const senders = JSON.parse(integration.senders_json) as { whatsapp?: string; rcs?: string; sms?: string };
    const smsFallbackSender = fallbackSenderOf(input, senders);
    const now = deps.clock.now().toISOString();
    return {
      id: createId('msg'),
      project_id: projectId,
      integration_id: integration.id,
      channel: input.channel,
      recipient: phone.e164,
      sender: senders[input.channel] ?? null,
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
      created_at: now,
      updated_at: now,
      sent_ts: null,
      consent_exempt: extra.consentExempt === true ? 1 : 0,
      reply_to_inbound_id: extra.replyToInboundId ?? null,
    };
  }

  /**
   * Writes a prepared message inside the caller's transaction: with its send job, or, when policy refuses it
   * (no consent, closed WhatsApp window), as `enqueued_failed` with the reason and its tracked event.
   */
  async function commit(trx: Executor, row: MessageRow, tracked: TrackedEvent[], detail: Record<string, unknown> = {}): Promise<MessageRow> {
    const now = deps.clock.now();
    const refusal = await deps.policy.check(trx, {
      projectId: row.project_id, channel: row.channel, recipient: row.recipient, contentKind: row.content_kind, consentExempt: row.consent_exempt === 1,
    }, now);
    const stored: MessageRow = refusal === undefined ? row : { ...row, status: 'enqueued_failed', error: refusal.code, error_description: refusal.description };
    await deps.messages.insert(trx, stored);
    await deps.conversations.touchByPhone(trx, row.project_id, row.recipient, row.channel, row.created_at);
    await deps.messages.insertTimeline(trx, {
      id: createId('tl'), message_id: row.id, at: row.created_at, kind: 'accepted', status: 'queued', channel: row.channel,
      detail_json: JSON.stringify({ integration_id: row.integration_id, ...detail }),
    });
    if (refusal === undefined) {
      await deps.queue.enqueue(trx, { kind: sendMessageJob, key: `send:${row.id}`, payload: { message_id: row.id }, maxAttempts: deps.maxAttempts }, now.getTime());
    } else {
      await deps.messages.insertTimeline(trx, {
        id: createId('tl'), message_id: row.id, at: now.toISOString(), kind: 'status', status: 'enqueued_failed', channel: row.channel,
        detail_json: JSON.stringify({ error: refusal.code, refused_before_sending: true }),
      });
      const event = await deps.tracker.track(trx, subjectOf(stored), { status: 'enqueued_failed', at: now, error: refusal.code, errorDescription: refusal.description });
      if (event !== undefined) tracked.push(event);
    }
    return stored;
  }

  return {
    /**
     * Validates, then commits the message, its first timeline entry and its send job in one transaction before
     * answering: an accepted message survives any crash after this returns.
     */
    async accept(projectId: string, input: SendInput, idempotencyKey: string | undefined): Promise<{ status: number; body: MessageView }> {
      const requestHash = hashJson(input);
      if (idempotencyKey !== undefined) {
        const previous = await deps.db.selectFrom('idempotency_keys').selectAll()
          .where('project_id', '=', projectId).where('key', '=', idempotencyKey).executeTakeFirst();
        if (previous !== undefined) return replay(previous, requestHash);
      }
      const row = await prepare(deps.db, projectId, input);
      const tracked: TrackedEvent[] = [];
      let body: MessageView;
      try {
        body = await deps.transact(async (trx) => {
          const view = toMessageView(await commit(trx, row, tracked, idempotencyKey !== undefined ? { idempotency_key: idempotencyKey } : {}));
          if (idempotencyKey !== undefined) {
            await trx.insertInto('idempotency_keys').values({
              project_id: projectId, key: idempotencyKey, request_hash: requestHash, status_code: 202,
              response_json: JSON.stringify(view), created_at: row.created_at,
            }).execute();
          }
          return view;
        });
      } catch (error) {
        if (idempotencyKey !== undefined && isUniqueViolation(error)) {
          const winner = await deps.db.selectFrom('idempotency_keys').selectAll()
            .where('project_id', '=', projectId).where('key', '=', idempotencyKey).executeTakeFirst();
          if (winner !== undefined) return replay(winner, requestHash);
        }
        throw error;
      }
      if (tracked.length > 0) deps.onTracked(tracked);
      else deps.onQueued();
      return { status: 202, body };
    },

    /**
     * A send decided by the service itself (a keyword confirmation, a reply from a conversation thread), inside
     * the caller's transaction so it commits together with what caused it.
     */
    async sendInTransaction(trx: Executor, projectId: string, input: SendInput, extra: { consentExempt?: boolean; replyToInboundId?: string }, tracked: TrackedEvent[]): Promise<MessageRow> {
      return commit(trx, await prepare(trx, projectId, input, extra), tracked, extra.replyToInboundId !== undefined ? { reply_to_inbound_id: extra.replyToInboundId } : {});
    },

    /** Wakes the worker after a caller's transaction with sends committed. */
    notifyQueued(): void {
      deps.onQueued();
    },

    async get(projectId: string, id: string): Promise<MessageView & { timeline: TimelineEntry[] }> {
      const row = await deps.messages.findInProject(projectId, id);
      if (row === undefined) throw notFound('message');
      const [attempts, timeline] = await Promise.all([deps.messages.attempts(id), deps.messages.timeline(id)]);
      const entries: TimelineEntry[] = [
        ...timeline.map((t) => ({ at: t.at, kind: t.kind, status: t.status, channel: t.channel, detail: JSON.parse(t.detail_json) as Record<string, unknown> })),
        ...attempts.map((a) => ({
          at: a.started_at, kind: 'attempt', status: null, channel: row.channel,
          detail: {
            number: a.number, outcome: a.outcome, finished_at: a.finished_at, http_status: a.http_status,
            error_code: a.error_code, error_message: a.error_message, retry_in_ms: a.retry_in_ms,
          },
        })),
      ].sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : 0));
      return { ...toMessageView(row), timeline: entries };
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

function replay(previous: Database['idempotency_keys'], requestHash: string): { status: number; body: MessageView } {
  if (previous.request_hash !== requestHash) {
    throw new AppError(422, 'idempotency_key_reused', 'this Idempotency-Key was already used with a different request body', 'Idempotency-Key');
  }
  return { status: previous.status_code, body: JSON.parse(previous.response_json) as MessageView };
}

export type MessagesService = ReturnType<typeof createMessagesService>;
