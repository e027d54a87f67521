/** `POST /v1/projects/{project_id}/events:send` (doc §4.10) and the control API's contact event injection. */
import { Type, type Static } from 'typebox';
import { ChannelEnum, Recipient } from './send-request.ts';
import { SimulatedChannelEnum } from './control.ts';

const closed = { additionalProperties: false } as const;
const Empty = Type.Object({}, closed);
const AnyObject = Type.Record(Type.String(), Type.Unknown());

/** What an app can send: exactly one kind (checked by the route). */
export const APP_EVENT_KINDS = ['composing_event', 'composing_end_event', 'comment_reply_event', 'agent_joined_event', 'agent_left_event', 'generic_event'] as const;
export const AppEvent = Type.Object({
  composing_event: Type.Optional(Empty),
  composing_end_event: Type.Optional(Empty),
  comment_reply_event: Type.Optional(AnyObject),
  agent_joined_event: Type.Optional(AnyObject),
  agent_left_event: Type.Optional(AnyObject),
  generic_event: Type.Optional(AnyObject),
}, closed);

export const SendEventRequest = Type.Object({
  app_id: Type.String({ minLength: 1 }),
  recipient: Recipient,
  event: AppEvent,
  callback_url: Type.Optional(Type.String({ maxLength: 742 })),
  channel_priority_order: Type.Optional(Type.Array(ChannelEnum, { maxItems: 20 })),
  event_metadata: Type.Optional(Type.String({ maxLength: 1024 })),
  queue: Type.Optional(Type.Union([Type.Literal('NORMAL_PRIORITY'), Type.Literal('HIGH_PRIORITY')])),
}, closed);
export type SendEventRequest = Static<typeof SendEventRequest>;

/** What a contact's phone can send as an event (EVENT_INBOUND `contact_event`): typing indicators. */
export const ContactEventInjection = Type.Object({
  identity: Type.String({ pattern: '^\\+?[0-9]{6,15}$' }),
  channel: Type.Optional(SimulatedChannelEnum),
  event: Type.Union([Type.Object({ composing_event: Empty }, closed), Type.Object({ composing_end_event: Empty }, closed)]),
}, closed);
export type ContactEventInjection = Static<typeof ContactEventInjection>;
