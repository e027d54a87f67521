import type { CallbackRow } from '../db/repos/callbacks-repo.ts';
import type { EventRow } from '../db/repos/events-repo.ts';
import type { AttemptRow, MessageRow, TimelineRow } from '../db/repos/messages-repo.ts';
import { advanceStatus, mapDeliveryReport, type MessageStatus } from '../domain/statuses.ts';
import { parseSinchTime, readDeliveryReport } from '../providers/sinch/callbacks.ts';

export interface TimelineEntry {
  at: string;
  kind: string;
  status: string | null;
  channel: string | null;
  detail: Record<string, unknown>;
}

export interface TimelineSources {
  attempts: readonly AttemptRow[];
  /** The message's tracked events. */
  events: readonly EventRow[];
  /** The delivery reports received for the message (by Sinch's message id), in the order they were applied. */
  reports: readonly CallbackRow[];
  /** Entries written only for rare steps (an SMS fallback dropped for consent). */
  other: readonly TimelineRow[];
}

/**
 * A message's timeline, put together from the rows that are the record of each step, so the hot paths write no
 * timeline rows of their own: its acceptance (the message row), each attempt, its `enqueued` / `enqueued_failed`
 * events, each delivery report as received (the stored callback), and the rare extra entries. In time order.
 */
const statusOrder: readonly string[] = ['queued', 'enqueued', 'enqueued_failed', 'sent', 'delivered', 'read', 'failed', 'rejected'];

export function buildTimeline(message: MessageRow, sources: TimelineSources): TimelineEntry[] {
  const entries: TimelineEntry[] = [{
    at: message.created_at, kind: 'accepted', status: 'queued', channel: message.channel,
    detail: { integration_id: message.integration_id, ...(message.reply_to_inbound_id !== null ? { reply_to_inbound_id: message.reply_to_inbound_id } : {}) },
  }];
  for (const e of sources.events) {
    if (e.status !== 'enqueued' && e.status !== 'enqueued_failed') continue;
    const properties = JSON.parse(e.properties_json) as { error?: string | null };
    // Enqueued when Sinch accepted it (its accepted_time): its reports can reach us before we record that answer.
    const at = e.status === 'enqueued' && message.sent_ts !== null ? Math.min(message.sent_ts, e.ts) : e.ts;
    entries.push({
      at: new Date(at * 1000).toISOString(), kind: 'status', status: e.status, channel: message.channel,
      detail: e.status === 'enqueued'
        ? { provider_message_id: message.provider_message_id, sent_timestamp: message.sent_ts }
        : { error: properties.error ?? null, ...(message.attempt_count === 0 ? { refused_before_sending: true } : {}) },
    });
  }
  let current: MessageStatus = 'enqueued';
  for (const callback of sources.reports) {
    const report = readDeliveryReport(JSON.parse(callback.body) as Record<string, unknown>);
    if (report === undefined) continue;
    const at = (parseSinchTime(report.eventTime) ?? parseSinchTime(report.acceptedTime) ?? new Date(callback.received_at)).toISOString();
    const channel = report.channel?.toLowerCase() ?? null;
    const detail: Record<string, unknown> = {
      callback_id: callback.id, sinch_status: report.status, channel: report.channel ?? null, identity: report.identity ?? null,
      ...(report.reason !== undefined ? { reason: report.reason } : {}), event_time: report.eventTime ?? null,
    };
    const mapping = mapDeliveryReport({ status: report.status, reasonCode: report.reason?.code });
    switch (mapping.kind) {
      case 'switching_channel': entries.push({ at, kind: 'switching_channel', status: null, channel, detail }); break;
      case 'unknown': entries.push({ at, kind: 'unknown_status', status: null, channel, detail }); break;
      case 'status':
        current = advanceStatus(current, mapping.status);
        entries.push({ at, kind: 'status', status: mapping.status, channel, detail: { ...detail, current_status: current } });
        break;
    }
  }
  for (const a of sources.attempts) {
    entries.push({
      at: a.started_at, kind: 'attempt', status: null, channel: message.channel,
      detail: {
        number: a.number, outcome: a.outcome, finished_at: a.finished_at, http_status: a.http_status,
        error_code: a.error_code, error_message: a.error_message, retry_in_ms: a.retry_in_ms,
      },
    });
  }
  if (message.locked_by !== null && message.attempt_started_at !== null && !sources.attempts.some((a) => a.number === message.attempt_count)) {
    entries.push({
      at: message.attempt_started_at, kind: 'attempt', status: null, channel: message.channel,
      detail: { number: message.attempt_count, outcome: 'in_flight', finished_at: null, http_status: null, error_code: null, error_message: null, retry_in_ms: null },
    });
  }
  for (const t of sources.other) {
    entries.push({ at: t.at, kind: t.kind, status: t.status, channel: t.channel, detail: JSON.parse(t.detail_json) as Record<string, unknown> });
  }
  // In time order; at the same time, a status before the one it leads to (Sinch's times have a coarse grain).
  const rank = (e: TimelineEntry) => (e.kind === 'status' && e.status !== null ? statusOrder.indexOf(e.status) : -1);
  return entries.sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : rank(x) - rank(y)));
}
