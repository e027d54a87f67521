/**
 * TypeBox schemas of the AppMessage kinds accepted by `messages:send` (doc §2.4), written from the protocol
 * notes. Structural limits (item counts, string lengths) live here; "exactly one kind" rules and cross-field
 * checks live in validate-send.ts.
 */
import { Type, type Static } from 'typebox';

const closed = { additionalProperties: false } as const;

export const Coordinates = Type.Object({ latitude: Type.Number(), longitude: Type.Number() }, closed);

export const TextMessage = Type.Object({ text: Type.String({ minLength: 1 }) }, closed);

export const MediaMessage = Type.Object({
  url: Type.String({ minLength: 1, maxLength: 2048 }),
  thumbnail_url: Type.Optional(Type.String({ maxLength: 2048 })),
  filename_override: Type.Optional(Type.String({ maxLength: 255 })),
}, closed);

export const TemplateReference = Type.Object({
  template_id: Type.String({ minLength: 1 }),
  version: Type.Optional(Type.String()),
  language_code: Type.Optional(Type.String()),
  parameters: Type.Optional(Type.Record(Type.String(), Type.String())),
}, closed);
export type TemplateReference = Static<typeof TemplateReference>;

export const TemplateMessage = Type.Object({
  channel_template: Type.Optional(Type.Record(Type.String(), TemplateReference)),
  omni_template: Type.Optional(TemplateReference),
}, closed);

export const LocationMessage = Type.Object({
  coordinates: Coordinates,
  title: Type.String({ minLength: 1 }),
  label: Type.Optional(Type.String()),
}, closed);

const UrlChoice = Type.Object({ title: Type.String({ minLength: 1 }), url: Type.String({ minLength: 1 }) }, closed);
const CallChoice = Type.Object({ title: Type.String({ minLength: 1 }), phone_number: Type.String({ minLength: 1 }) }, closed);
const CalendarChoice = Type.Object({
  title: Type.String({ minLength: 1 }),
  event_start: Type.String({ minLength: 1 }),
  event_end: Type.String({ minLength: 1 }),
  event_title: Type.String({ minLength: 1 }),
  event_description: Type.Optional(Type.String()),
  fallback_url: Type.String({ minLength: 1 }),
}, closed);
const ShareLocationChoice = Type.Object({ title: Type.String({ minLength: 1 }), fallback_url: Type.String({ minLength: 1 }) }, closed);

/** Choice: exactly one of the six kinds (checked in validate-send.ts) plus optional postback_data. */
export const Choice = Type.Object({
  text_message: Type.Optional(TextMessage),
  url_message: Type.Optional(UrlChoice),
  call_message: Type.Optional(CallChoice),
  location_message: Type.Optional(LocationMessage),
  calendar_message: Type.Optional(CalendarChoice),
  share_location_message: Type.Optional(ShareLocationChoice),
  postback_data: Type.Optional(Type.String({ maxLength: 1024 })),
}, closed);
export type Choice = Static<typeof Choice>;
export const CHOICE_KINDS = ['text_message', 'url_message', 'call_message', 'location_message', 'calendar_message', 'share_location_message'] as const;

export const CardMessage = Type.Object({
  title: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  media_message: Type.Optional(MediaMessage),
  height: Type.Optional(Type.Union([Type.Literal('UNSPECIFIED_HEIGHT'), Type.Literal('SHORT'), Type.Literal('MEDIUM'), Type.Literal('TALL')])),
  choices: Type.Optional(Type.Array(Choice, { maxItems: 10 })),
  message_properties: Type.Optional(Type.Object({ whatsapp_header: Type.Optional(Type.String()) }, closed)),
}, closed);
export type CardMessage = Static<typeof CardMessage>;

export const CarouselMessage = Type.Object({
  cards: Type.Array(CardMessage, { minItems: 1, maxItems: 10 }),
  choices: Type.Optional(Type.Array(Choice, { maxItems: 3 })),
}, closed);

export const ChoiceMessage = Type.Object({
  text_message: Type.Optional(TextMessage),
  choices: Type.Array(Choice, { minItems: 1, maxItems: 10 }),
  message_properties: Type.Optional(Type.Object({ whatsapp_footer: Type.Optional(Type.String()) }, closed)),
}, closed);

const ListChoiceItem = Type.Object({
  title: Type.String({ minLength: 1 }),
  description: Type.Optional(Type.String()),
  media: Type.Optional(MediaMessage),
  postback_data: Type.Optional(Type.String({ maxLength: 1024 })),
}, closed);
const ListProductItem = Type.Object({
  id: Type.String({ minLength: 1 }),
  marketplace: Type.String({ minLength: 1 }),
  quantity: Type.Optional(Type.Integer()),
  item_price: Type.Optional(Type.Number()),
  currency: Type.Optional(Type.String()),
}, closed);
export const ListItem = Type.Object({
  choice: Type.Optional(ListChoiceItem),
  product: Type.Optional(ListProductItem),
}, closed);
export const ListSection = Type.Object({
  title: Type.Optional(Type.String()),
  items: Type.Array(ListItem, { minItems: 1 }),
}, closed);
export const ListMessage = Type.Object({
  title: Type.String({ minLength: 1 }),
  description: Type.Optional(Type.String()),
  media: Type.Optional(MediaMessage),
  sections: Type.Array(ListSection, { minItems: 1, maxItems: 10 }),
  message_properties: Type.Optional(Type.Object({
    catalog_id: Type.Optional(Type.String()),
    menu: Type.Optional(Type.String()),
    whatsapp_header: Type.Optional(Type.String()),
  }, closed)),
}, closed);

export const ContactInfoMessage = Type.Object({
  name: Type.Object({
    full_name: Type.String({ minLength: 1 }),
    first_name: Type.Optional(Type.String()),
    last_name: Type.Optional(Type.String()),
    middle_name: Type.Optional(Type.String()),
    prefix: Type.Optional(Type.String()),
    suffix: Type.Optional(Type.String()),
  }, closed),
  phone_numbers: Type.Array(Type.Object({ phone_number: Type.String({ minLength: 1 }), type: Type.Optional(Type.String()) }, closed), { minItems: 1 }),
  addresses: Type.Optional(Type.Array(Type.Record(Type.String(), Type.String()))),
  email_addresses: Type.Optional(Type.Array(Type.Object({ email_address: Type.String({ minLength: 1 }), type: Type.Optional(Type.String()) }, closed))),
  organization: Type.Optional(Type.Object({ company: Type.Optional(Type.String()), department: Type.Optional(Type.String()), title: Type.Optional(Type.String()) }, closed)),
  urls: Type.Optional(Type.Array(Type.Object({ url: Type.String({ minLength: 1 }), type: Type.Optional(Type.String()) }, closed))),
  birthday: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
}, closed);

export const Agent = Type.Object({
  display_name: Type.String({ minLength: 1 }),
  type: Type.Optional(Type.Union([Type.Literal('UNKNOWN_AGENT_TYPE'), Type.Literal('HUMAN'), Type.Literal('BOT')])),
  picture_url: Type.Optional(Type.String()),
}, closed);

export const AppMessage = Type.Object({
  text_message: Type.Optional(TextMessage),
  media_message: Type.Optional(MediaMessage),
  template_message: Type.Optional(TemplateMessage),
  card_message: Type.Optional(CardMessage),
  carousel_message: Type.Optional(CarouselMessage),
  choice_message: Type.Optional(ChoiceMessage),
  list_message: Type.Optional(ListMessage),
  location_message: Type.Optional(LocationMessage),
  contact_info_message: Type.Optional(ContactInfoMessage),
  explicit_channel_message: Type.Optional(Type.Record(Type.String(), Type.String())),
  explicit_channel_omni_message: Type.Optional(Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown()))),
  channel_specific_message: Type.Optional(Type.Record(Type.String(), Type.Object({
    message_type: Type.String({ minLength: 1 }),
    message: Type.Record(Type.String(), Type.Unknown()),
  }, closed))),
  agent: Type.Optional(Agent),
}, closed);
export type AppMessage = Static<typeof AppMessage>;

export const APP_MESSAGE_KINDS = [
  'text_message', 'media_message', 'template_message', 'card_message', 'carousel_message', 'choice_message',
  'list_message', 'location_message', 'contact_info_message',
] as const;
export type AppMessageKind = (typeof APP_MESSAGE_KINDS)[number];
