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
}
