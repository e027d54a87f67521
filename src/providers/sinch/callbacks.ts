/**
 * Reading Sinch callbacks (doc §4). Enums are open: unknown triggers, statuses and codes are carried as strings,
 * never rejected. Nothing here throws on odd input; fields that are absent come back undefined.
 */

/** Top-level key → trigger name (doc §4.2). */
export const triggerByKey: Readonly<Record<string, string>> = {
  message: 'MESSAGE_INBOUND',
  message_delivery_report: 'MESSAGE_DELIVERY',
  message_submit_notification: 'MESSAGE_SUBMIT',
  event: 'EVENT_INBOUND',
  event_delivery_report: 'EVENT_DELIVERY',
  conversation_start_notification: 'CONVERSATION_START',
  conversation_stop_notification: 'CONVERSATION_STOP',
  conversation_delete_notification: 'CONVERSATION_DELETE',
  contact_create_notification: 'CONTACT_CREATE',
  contact_delete_notification: 'CONTACT_DELETE',
  contact_merge_notification: 'CONTACT_MERGE',
  contact_update_notification: 'CONTACT_UPDATE',
  duplicated_contact_identities_notification: 'CONTACT_IDENTITIES_DUPLICATION',
  capability_notification: 'CAPABILITY',
  opt_in_notification: 'OPT_IN',
  opt_out_notification: 'OPT_OUT',
  channel_event_notification: 'CHANNEL_EVENT',
  unsupported_callback: 'UNSUPPORTED',
  smart_conversation_notification: 'SMART_CONVERSATIONS',
  message_redaction: 'MESSAGE_INBOUND_SMART_CONVERSATION_REDACTION',
  record_notification: 'RECORD_NOTIFICATION',
};

const envelopeKeys = new Set(['app_id', 'project_id', 'accepted_time', 'event_time', 'message_metadata', 'correlation_id']);

type Json = Record<string, unknown>;

function obj(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The trigger a body is for, named by its top-level key; unknown keys give `UNKNOWN:<key>`. Keys are looked up as
 * own properties only: a body's `constructor`, `toString` or `__proto__` is just another unknown key.
 */
export function identifyTrigger(body: Json): { trigger: string; key: string | undefined } {
  for (const key of Object.keys(body)) {
    if (Object.hasOwn(triggerByKey, key)) return { trigger: triggerByKey[key]!, key };
  }
  const other = Object.keys(body).find((k) => !envelopeKeys.has(k));
  return { trigger: other === undefined ? 'UNKNOWN' : `UNKNOWN:${other}`, key: other };
}

export interface DeliveryReport {
  providerMessageId: string | undefined;
  status: string;
  channel: string | undefined;
  identity: string | undefined;
  reason: { code: string | undefined; description: string | undefined; subCode: string | undefined; channelCode: string | undefined } | undefined;
  /** `message_metadata` given on send: our message id. */
  metadata: string | undefined;
  correlationId: string | undefined;
  eventTime: string | undefined;
  acceptedTime: string | undefined;
}

export function readDeliveryReport(body: Json): DeliveryReport | undefined {
  const report = obj(body.message_delivery_report);
  if (report === undefined) return undefined;
  const identity = obj(report.channel_identity);
  const reason = obj(report.reason);
  return {
    providerMessageId: str(report.message_id),
    status: str(report.status) ?? 'STATUS_UNSPECIFIED',
    channel: str(identity?.channel),
    identity: str(identity?.identity),
    reason: reason === undefined ? undefined : {
      code: str(reason.code), description: str(reason.description), subCode: str(reason.sub_code), channelCode: str(reason.channel_code),
    },
    metadata: str(report.metadata),
    correlationId: str(body.correlation_id),
    eventTime: str(body.event_time),
    acceptedTime: str(body.accepted_time),
  };
}

export interface InboundMessage {
  id: string | undefined;
  channel: string | undefined;
  identity: string | undefined;
  /** The business number or agent the customer wrote to. */
  senderId: string | undefined;
  contactMessage: Json;
  /** The kind present in `contact_message` (`text_message`, `choice_response_message`, …), or `unknown`. */
  kind: string;
  replyToProviderId: string | undefined;
  /** For a button or list pick: the id of the message it answers. */
  choiceProviderId: string | undefined;
  postbackData: string | undefined;
  /** For a choice reply, the original send's `message_metadata`: our message id. */
  metadata: string | undefined;
  correlationId: string | undefined;
  acceptTime: string | undefined;
  eventTime: string | undefined;
}

const contactMessageKinds = [
  'text_message', 'media_message', 'media_card_message', 'location_message', 'choice_response_message',
  'product_response_message', 'fallback_message', 'channel_specific_message', 'contact_info_message',
] as const;

export function readInboundMessage(body: Json): InboundMessage | undefined {
  const message = obj(body.message);
  if (message === undefined) return undefined;
  const identity = obj(message.channel_identity);
  const contactMessage = obj(message.contact_message) ?? {};
  const choice = obj(contactMessage.choice_response_message);
  return {
    id: str(message.id),
    channel: str(identity?.channel),
    identity: str(identity?.identity),
    senderId: str(message.sender_id),
    contactMessage,
    kind: contactMessageKinds.find((k) => contactMessage[k] !== undefined) ?? 'unknown',
    replyToProviderId: str(obj(contactMessage.reply_to)?.message_id),
    choiceProviderId: str(choice?.message_id),
    postbackData: typeof choice?.postback_data === 'string' ? choice.postback_data : undefined,
    metadata: str(message.metadata),
    correlationId: str(body.correlation_id),
    acceptTime: str(message.accept_time),
    eventTime: str(body.event_time),
  };
}

/**
 * What makes two deliveries of a callback "the same" (doc §4.8): a receipt by (message, status, channel), an
 * inbound message by its id; anything else by its bytes (`bodyHash` is called only then). Also Sinch's message id
 * the callback is about, when it has one.
 */
export function callbackDedupeKey(trigger: string, body: Json, bodyHash: () => string): { key: string; providerMessageId: string | null } {
  if (trigger === 'MESSAGE_DELIVERY') {
    const r = readDeliveryReport(body);
    if (r?.providerMessageId !== undefined) return { key: `dr:${r.providerMessageId}:${r.status}:${r.channel ?? ''}`, providerMessageId: r.providerMessageId };
  }
  if (trigger === 'MESSAGE_INBOUND') {
    const m = readInboundMessage(body);
    if (m?.id !== undefined) return { key: `mo:${m.id}`, providerMessageId: m.id };
  }
  return { key: `raw:${bodyHash()}`, providerMessageId: null };
}

/** RFC 3339 with up to 9 fractional digits (doc §9.8) → Date, or undefined. */
export function parseSinchTime(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.replace(/(\.\d{3})\d+/, '$1');
  const ms = Date.parse(trimmed);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

export interface CapabilityNotification {
  requestId: string | undefined;
  channel: string | undefined;
  identity: string | undefined;
  status: string | undefined;
  reason: string | undefined;
  eventTime: string | undefined;
  acceptedTime: string | undefined;
}

/** `capability_notification` (doc §6.2): the answer to a capability query. */
export function readCapabilityNotification(body: Json): CapabilityNotification | undefined {
  const n = obj(body.capability_notification);
  if (n === undefined) return undefined;
  const reason = obj(n.reason);
  return {
    requestId: str(n.request_id), channel: str(n.channel), identity: str(n.identity), status: str(n.capability_status),
    reason: str(reason?.code) ?? str(n.reason), eventTime: str(body.event_time), acceptedTime: str(body.accepted_time),
  };
}

export interface OptNotification {
  kind: 'OPT_IN' | 'OPT_OUT';
  requestId: string | undefined;
  channel: string | undefined;
  identity: string | undefined;
  /** `OPT_IN_SUCCEEDED`, `OPT_OUT_FAILED`, … (open enum). */
  status: string | undefined;
  errorDescription: string | undefined;
  eventTime: string | undefined;
  acceptedTime: string | undefined;
}

/** `opt_in_notification` / `opt_out_notification` (doc §4.2, §6.4): Sinch's consent management saw an opt-in or opt-out. */
export function readOptNotification(body: Json): OptNotification | undefined {
  const optIn = obj(body.opt_in_notification);
  const n = optIn ?? obj(body.opt_out_notification);
  if (n === undefined) return undefined;
  return {
    kind: optIn !== undefined ? 'OPT_IN' : 'OPT_OUT', requestId: str(n.request_id), channel: str(n.channel), identity: str(n.identity),
    status: str(n.status), errorDescription: str(obj(n.error_details)?.description), eventTime: str(body.event_time), acceptedTime: str(body.accepted_time),
  };
}
