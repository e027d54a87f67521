/**
 * `reason.channel_code`: the error code the channel itself gave, forwarded by Sinch "in case of unmapped or channel
 * specific errors", currently on WhatsApp only (protocol notes §4.4). The emulator puts Meta's WhatsApp Cloud API
 * error code on the WhatsApp failures that WhatsApp itself would report. Which Meta code Sinch forwards with which
 * reason is not published: the pairs below are the emulator's reading of Meta's code list (§4.4). Pure.
 */
import type { Reason, ReasonCode } from './wire.ts';

export const WHATSAPP_CHANNEL_CODES: Partial<Record<ReasonCode, string>> = {
  OUTSIDE_ALLOWED_SENDING_WINDOW: '131047', // Re-engagement message
  RECIPIENT_NOT_REACHABLE: '131026', // Message undeliverable
  RATE_LIMITED: '130429', // Rate limit hit
  DELIVERY_REJECTED_DUE_TO_POLICY: '131049', // not delivered to maintain a healthy ecosystem
  CHANNEL_FAILURE: '131000', // Something went wrong
  TEMPLATE_NOT_FOUND: '132001', // Template does not exist
  TEMPLATE_NON_EXISTING_LANGUAGE_OR_VERSION: '132001',
  TEMPLATE_INSUFFICIENT_PARAMETERS: '132000', // Number of parameters does not match
  MEDIA_NOT_REACHABLE: '131053', // Media upload error
  MEDIA_TOO_LARGE: '131053',
  MEDIA_TYPE_UNSUPPORTED: '131053',
};

/** The reason as the channel reports it: with `channel_code` on a WhatsApp failure that has one. */
export function withChannelCode(reason: Reason, channel: string): Reason {
  const code = channel === 'WHATSAPP' ? WHATSAPP_CHANNEL_CODES[reason.code] : undefined;
  return code === undefined || reason.channel_code !== undefined ? reason : { ...reason, channel_code: code };
}
