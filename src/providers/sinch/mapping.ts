import { normalizePhone } from '../../domain/phone.ts';
import type { SendMessageRequest, SinchChannel } from './wire.ts';

export interface OutboundMessage {
  id: string;
  channel: 'whatsapp' | 'rcs';
  /** E.164 with `+`. */
  recipient: string;
  content: Record<string, unknown>;
  /** RCS → SMS fallback: the SMS sender to use when RCS cannot deliver. */
  smsFallbackSender: string | null;
  /** RCS content for a number that cannot receive RCS: sent on SMS alone (Sinch transcodes it), from `smsFallbackSender`. */
  smsOnly?: boolean;
  /** Campaign messages are marketing: Sinch applies its marketing opt-out lists to them (doc §2.2 `message_content_type`). */
  marketing?: boolean;
  /** Seconds after which Sinch drops the message if not delivered (doc §2.2 `ttl`, sent as `"<n>s"`). */
  ttlSeconds?: number | null;
}

const channelNames = { whatsapp: 'WHATSAPP', rcs: 'RCS' } as const satisfies Record<OutboundMessage['channel'], SinchChannel>;

/** Sinch identities are MSISDNs without `+` (doc §2.3, §6.1). */
export function toSinchIdentity(e164: string): string {
  return e164.replace(/^\+/, '');
}

/** A Sinch identity (callbacks, opt-out lists) as our phone: E.164 when it is a valid number, else `+` and its digits. */
export function fromSinchIdentity(identity: string): string {
  const written = `+${identity.replace(/^\+/, '')}`;
  const normalized = normalizePhone(written);
  return normalized.ok ? normalized.e164 : written;
}

/**
 * Our message → the `messages:send` body. `message_metadata` and `correlation_id` carry our message id, so every
 * delivery report maps back to the message without guessing (doc §2.2, §4.3).
 */
export function toSendRequest(appId: string, message: OutboundMessage): SendMessageRequest {
  const identity = toSinchIdentity(message.recipient);
  const primary = message.smsOnly === true && message.smsFallbackSender !== null ? 'SMS' : channelNames[message.channel];
  const request: SendMessageRequest = {
    app_id: appId,
    recipient: { identified_by: { channel_identities: [{ channel: primary, identity }] } },
    message: message.content,
    message_metadata: message.id,
    correlation_id: message.id,
  };
  if (message.marketing === true) request.message_content_type = 'CONTENT_MARKETING';
  if (message.ttlSeconds !== undefined && message.ttlSeconds !== null) request.ttl = `${message.ttlSeconds}s`;
  if (primary === 'SMS') {
    request.channel_priority_order = ['SMS'];
    request.channel_properties = { SMS_SENDER: message.smsFallbackSender! };
  } else if (message.channel === 'rcs' && message.smsFallbackSender !== null) {
    request.recipient.identified_by.channel_identities.push({ channel: 'SMS', identity });
    request.channel_priority_order = ['RCS', 'SMS'];
    request.channel_properties = { SMS_SENDER: message.smsFallbackSender };
  }
  return request;
}
