/** `POST /v1/projects/{project_id}/messages:send` request body (doc §2.2, §2.3). */
import { Type, type Static } from 'typebox';
import { CHANNELS } from '../wire.ts';
import { AppMessage } from './app-message.ts';

const closed = { additionalProperties: false } as const;

export const ChannelEnum = Type.Enum(CHANNELS);

export const ChannelIdentityIn = Type.Object({
  channel: ChannelEnum,
  identity: Type.String({ minLength: 1 }),
  app_id: Type.Optional(Type.String()),
}, closed);

export const Recipient = Type.Object({
  contact_id: Type.Optional(Type.String()),
  identified_by: Type.Optional(Type.Object({
    channel_identities: Type.Array(ChannelIdentityIn, { minItems: 1, maxItems: 20 }),
  }, closed)),
}, closed);

export const SendMessageRequest = Type.Object({
  app_id: Type.String({ minLength: 1 }),
  recipient: Recipient,
  message: AppMessage,
  callback_url: Type.Optional(Type.String({ maxLength: 742 })),
  channel_priority_order: Type.Optional(Type.Array(ChannelEnum, { maxItems: 20 })),
  channel_properties: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 1024 }))),
  message_metadata: Type.Optional(Type.String({ maxLength: 1024 })),
  conversation_metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  conversation_metadata_update_strategy: Type.Optional(Type.Union([Type.Literal('REPLACE'), Type.Literal('MERGE_PATCH')])),
  correlation_id: Type.Optional(Type.String({ maxLength: 128 })),
  queue: Type.Optional(Type.Union([Type.Literal('NORMAL_PRIORITY'), Type.Literal('HIGH_PRIORITY')])),
  ttl: Type.Optional(Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?s$' })),
  processing_strategy: Type.Optional(Type.Union([Type.Literal('DEFAULT'), Type.Literal('DISPATCH_ONLY')])),
  message_content_type: Type.Optional(Type.Union([
    Type.Literal('CONTENT_UNKNOWN'), Type.Literal('CONTENT_MARKETING'), Type.Literal('CONTENT_NOTIFICATION'),
  ])),
}, closed);
export type SendMessageRequest = Static<typeof SendMessageRequest>;

export const ProjectParams = Type.Object({ project_id: Type.String({ minLength: 1 }) });
