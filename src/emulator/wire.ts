/**
 * Wire-level vocabularies of the Sinch Conversation API, as listed in the protocol notes
 * (shared/docs/sinch-conversation-api.md). Written independently of the service's own Sinch client.
 */
import { formatTimestamp } from './time.ts';

export const CHANNELS = [
  'WHATSAPP', 'RCS', 'SMS', 'MESSENGER', 'VIBERBM', 'MMS', 'INSTAGRAM', 'TELEGRAM',
  'KAKAOTALK', 'KAKAOTALKCHAT', 'LINE', 'WECHAT', 'APPLEBC',
] as const;
export type Channel = (typeof CHANNELS)[number];

/** The channels the emulator actually simulates. Others are accepted on the wire but fail as unconfigured. */
export const SIMULATED_CHANNELS = ['WHATSAPP', 'RCS', 'SMS'] as const satisfies readonly Channel[];
export type SimulatedChannel = (typeof SIMULATED_CHANNELS)[number];

export function isSimulatedChannel(channel: string): channel is SimulatedChannel {
  return (SIMULATED_CHANNELS as readonly string[]).includes(channel);
}

/** Trigger name → the top-level key that carries its payload (doc §4.2). */
export const TRIGGER_KEYS = {
  MESSAGE_INBOUND: 'message',
  MESSAGE_DELIVERY: 'message_delivery_report',
  MESSAGE_SUBMIT: 'message_submit_notification',
  EVENT_INBOUND: 'event',
  EVENT_DELIVERY: 'event_delivery_report',
  CONVERSATION_START: 'conversation_start_notification',
  CONVERSATION_STOP: 'conversation_stop_notification',
  CONVERSATION_DELETE: 'conversation_delete_notification',
  CONTACT_CREATE: 'contact_create_notification',
  CONTACT_DELETE: 'contact_delete_notification',
  CONTACT_MERGE: 'contact_merge_notification',
  CONTACT_UPDATE: 'contact_update_notification',
  CONTACT_IDENTITIES_DUPLICATION: 'duplicated_contact_identities_notification',
  CAPABILITY: 'capability_notification',
  OPT_IN: 'opt_in_notification',
  OPT_OUT: 'opt_out_notification',
  CHANNEL_EVENT: 'channel_event_notification',
  UNSUPPORTED: 'unsupported_callback',
  SMART_CONVERSATIONS: 'smart_conversation_notification',
  MESSAGE_INBOUND_SMART_CONVERSATION_REDACTION: 'message_redaction',
  RECORD_NOTIFICATION: 'record_notification',
} as const;
export type Trigger = keyof typeof TRIGGER_KEYS;
export const TRIGGERS = Object.keys(TRIGGER_KEYS) as Trigger[];

/** The triggers the emulator emits. */
export type EmittedTrigger = 'MESSAGE_DELIVERY' | 'MESSAGE_INBOUND' | 'MESSAGE_SUBMIT' | 'CAPABILITY' | 'EVENT_INBOUND' | 'EVENT_DELIVERY' | 'OPT_IN' | 'OPT_OUT';

export const DELIVERY_STATUSES = ['QUEUED_ON_CHANNEL', 'DELIVERED', 'READ', 'FAILED', 'SWITCHING_CHANNEL'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Stored message state: the delivery statuses plus QUEUED (accepted, waiting in the app's MT queue). */
export type MessageState = 'QUEUED' | DeliveryStatus;

export const REASON_CODES = [
  'UNKNOWN', 'INTERNAL_ERROR', 'RATE_LIMITED', 'RECIPIENT_INVALID_CHANNEL_IDENTITY', 'RECIPIENT_NOT_REACHABLE',
  'RECIPIENT_NOT_OPTED_IN', 'OUTSIDE_ALLOWED_SENDING_WINDOW', 'CHANNEL_FAILURE', 'CHANNEL_BAD_CONFIGURATION',
  'CHANNEL_CONFIGURATION_MISSING', 'MEDIA_TYPE_UNSUPPORTED', 'MEDIA_TOO_LARGE', 'MEDIA_NOT_REACHABLE',
  'NO_CHANNELS_LEFT', 'TEMPLATE_NOT_FOUND', 'TEMPLATE_INSUFFICIENT_PARAMETERS',
  'TEMPLATE_NON_EXISTING_LANGUAGE_OR_VERSION', 'DELIVERY_TIMED_OUT', 'DELIVERY_REJECTED_DUE_TO_POLICY',
  'CONTACT_NOT_FOUND', 'BAD_REQUEST', 'UNKNOWN_APP', 'NO_CHANNEL_IDENTITY_FOR_CONTACT', 'CHANNEL_REJECT',
  'NO_PERMISSION', 'NO_PROFILE_AVAILABLE', 'UNSUPPORTED_OPERATION', 'INACTIVE_CREDENTIAL', 'MESSAGE_EXPIRED',
  'MESSAGE_SPLIT_REQUIRED', 'DELIVERY_REPORT_TIME_OUT',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export const REASON_SUB_CODES = ['UNSPECIFIED_SUB_CODE', 'ATTACHMENT_REJECTED', 'MEDIA_TYPE_UNDETERMINED', 'INACTIVE_SENDER'] as const;
export type ReasonSubCode = (typeof REASON_SUB_CODES)[number];

/** `channel_code`: the channel's own error code, WhatsApp only (protocol notes §4.4; see channel-codes.ts). */
export type Reason = { code: ReasonCode; description: string; sub_code: ReasonSubCode; channel_code?: string };

export function makeReason(code: ReasonCode, description: string, subCode: ReasonSubCode = 'UNSPECIFIED_SUB_CODE'): Reason {
  return { code, description, sub_code: subCode };
}

export type ChannelIdentity = { channel: string; identity: string; app_id: string };

/**
 * The fields every callback starts with: the app, its project, and when Sinch accepted and emitted it
 * (`accepted_time` with 6 fractional digits, `event_time` with 9, as Sinch sends them: doc §4.1).
 */
export function callbackEnvelope(app: { app_id: string; project_id: string }, atMs: number) {
  return { app_id: app.app_id, accepted_time: formatTimestamp(atMs, 6), event_time: formatTimestamp(atMs, 9), project_id: app.project_id };
}
