import { createId } from '../lib/ids.ts';
import type { EventRow, EventsRepo } from '../db/repos/events-repo.ts';
import type { Executor } from '../db/repos/executor.ts';
import type { MessageSubjectRow } from '../db/repos/messages-repo.ts';
import type { ProjectSettingsRow } from '../db/repos/settings-repo.ts';
import type { TrackedStatus } from '../domain/statuses.ts';

/** What an event is about: an outbound message, or an inbound one (two-way). */
export interface EventSubject {
  projectId: string;
  messageId: string;
  integrationId: string;
  channel: 'whatsapp' | 'rcs';
  campaignId: string | null;
  recipient: string;
  sender: string | null;
  /** Unix seconds with fraction; null until Sinch accepted the message. */
  sentTimestamp: number | null;
  /** The campaign the message belongs to (its counters count the event); null for API sends and replies. */
  campaignRef: string | null;
}

/**
 * Who a message went out from on the channel that carried it: an RCS message that fell back to SMS was sent by the
 * SMS sender (`sms_fallback_sender` in its options), not the RCS agent.
 */
export function senderOn(row: Pick<MessageSubjectRow, 'channel' | 'sender' | 'options_json'>, deliveryChannel: string | null): string | null {
  if (row.channel === 'rcs' && deliveryChannel === 'sms') {
    const fallback = (JSON.parse(row.options_json) as { sms_fallback_sender?: string | null }).sms_fallback_sender;
    if (typeof fallback === 'string') return fallback;
  }
  return row.sender;
}

/** The subject of an outbound message's events; `deliveryChannel`: the channel a report came through. */
export function subjectOf(row: MessageSubjectRow, deliveryChannel: string | null = null): EventSubject {
  return {
    projectId: row.project_id, messageId: row.id, integrationId: row.integration_id, channel: row.channel,
    campaignId: row.campaign_id, recipient: row.recipient, sender: senderOn(row, deliveryChannel), sentTimestamp: row.sent_ts, campaignRef: row.campaign_ref,
  };
}

export interface TrackInput {
  status: TrackedStatus;
  /** When it happened (Sinch's event time for reports). */
  at: Date;
  error?: string | null;
  errorDescription?: string | null;
  /** Extra properties (e.g. inbound content), merged after the seed's. */
  extra?: Record<string, unknown>;
}

export interface TrackedEvent {
  id: string;
  projectId: string;
  event: string;
  timestamp: number;
  properties: Record<string, unknown>;
}

export function toUnixSeconds(date: Date): number {
  return date.getTime() / 1000;
}

export function toTrackedEvent(row: EventRow): TrackedEvent {
  return { id: row.id, projectId: row.project_id, event: row.event, timestamp: row.ts, properties: JSON.parse(row.properties_json) as Record<string, unknown> };
}

/**
 * Records the seed's mobile-message event: named by the project's mapping for the channel, with the seed's
 * properties. Each distinct status of a message is recorded once however often it is reported.
 */
/** What an event adds to its campaign's counters (reports are read from them, never recomputed). */
export function campaignCounterDeltas(status: TrackedStatus, at: Date, channel: string, error: string | null | undefined): Map<string, number> {
  const minute = at.toISOString().slice(0, 16);
  const name = status === 'incoming_message' ? 'replies' : status;
  const deltas = new Map<string, number>([[name === 'replies' ? 'replies' : `status:${name}`, 1], [`minute:${minute}:${name}`, 1]]);
  if (name !== 'replies') deltas.set(`channel:${channel}:${name}`, 1);
  if (error !== undefined && error !== null && (status === 'failed' || status === 'rejected' || status === 'enqueued_failed')) deltas.set(`error:${error}`, 1);
  return deltas;
}

export function createEventTracker(deps: {
  events: EventsRepo;
  /** Adds to a campaign's counters, in the caller's transaction. */
  countCampaign: (executor: Executor, campaignId: string, deltas: ReadonlyMap<string, number>) => Promise<void>;
  /** The project's settings (the config cache); `executor` for a read inside the caller's transaction. */
  settings: (projectId: string, executor: Executor) => Promise<ProjectSettingsRow>;
  now: () => Date;
}) {
  return {
    async track(executor: Executor, subject: EventSubject, input: TrackInput): Promise<TrackedEvent | undefined> {
      const settings = await deps.settings(subject.projectId, executor);
      const event = subject.channel === 'whatsapp' ? settings.event_name_whatsapp : settings.event_name_rcs;
      const properties = {
        message_type: 'campaign',
        action_type: subject.channel,
        campaign_id: subject.campaignId,
        recipient: subject.recipient,
        sender: subject.sender,
        sent_timestamp: subject.sentTimestamp,
        status: input.status,
        error: input.error ?? null,
        error_description: input.errorDescription ?? null,
        message_id: subject.messageId,
        integration_id: subject.integrationId,
        ...input.extra,
      };
      const row: EventRow = {
        id: createId('evt'),
        project_id: subject.projectId,
        event,
        ts: toUnixSeconds(input.at),
        status: input.status,
        action_type: subject.channel,
        campaign_id: subject.campaignId,
        recipient: subject.recipient,
        message_id: subject.messageId,
        integration_id: subject.integrationId,
        // One event per message and status; the events of a message are found by this key (events-repo).
        dedupe_key: `msg:${subject.messageId}:${input.status}`,
        properties_json: JSON.stringify(properties),
        recorded_at: deps.now().toISOString(),
      };
      if (!await deps.events.insertOnce(executor, row)) return undefined;
      if (subject.campaignRef !== null) {
        const channel = typeof input.extra?.delivery_channel === 'string' ? input.extra.delivery_channel : subject.channel;
        await deps.countCampaign(executor, subject.campaignRef, campaignCounterDeltas(input.status, input.at, channel, input.error));
      }
      return { id: row.id, projectId: row.project_id, event: row.event, timestamp: row.ts, properties };
    },
  };
}

export type EventTracker = ReturnType<typeof createEventTracker>;
