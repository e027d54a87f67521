/** Sinch Conversation API request shapes we send (doc §2.2–2.4). */

export type SinchChannel = 'WHATSAPP' | 'RCS' | 'SMS';

export interface ChannelIdentity { channel: SinchChannel; identity: string }

export interface SendMessageRequest {
  app_id: string;
  recipient: { identified_by: { channel_identities: ChannelIdentity[] } };
  message: Record<string, unknown>;
  channel_priority_order?: SinchChannel[];
  channel_properties?: Record<string, string>;
  message_metadata?: string;
  correlation_id?: string;
  callback_url?: string;
  processing_strategy?: 'DEFAULT' | 'DISPATCH_ONLY';
  /** Used by Sinch's consent management: marketing messages respect its marketing opt-out lists (doc §2.2). */
  message_content_type?: 'CONTENT_UNKNOWN' | 'CONTENT_MARKETING' | 'CONTENT_NOTIFICATION';
  /** `"<seconds>s"`, 3 … 315576000000: Sinch drops the message if not delivered by then (doc §2.2). */
  ttl?: string;
}
