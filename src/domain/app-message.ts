/**
 * The `message` of `POST /api/v1/projects/{id}/messages`: one Sinch Conversation API AppMessage kind
 * (sinch-conversation-api.md §2.4), restated as a TypeBox schema that Fastify uses for validation and OpenAPI.
 *
 * What lives here: the shape and the limits that hold on every channel (required sub-fields, string lengths,
 * array sizes), as plain JSON Schema without anyOf/oneOf so AJV errors stay readable. "Exactly one kind",
 * "exactly one choice kind", URL forms, coordinate ranges and everything that depends on the channel are
 * checked by `checkContent` in app-message-rules.ts, which names the field and the rule.
 *
 * Field names, nesting and enum spellings are Sinch's, so a valid message is forwarded to `messages:send` as is.
 * Limits here are the loosest ones a real channel accepts, or Sinch's own documented ones (choices ≤ 10,
 * carousel cards ≤ 10, outer carousel choices ≤ 3); the per-channel tightening is in the rules.
 */
import Type, { type Static } from 'typebox';

export const channels = ['whatsapp', 'rcs'] as const;
export type Channel = (typeof channels)[number];

/** The AppMessage property of each content kind, and the kind's short name. */
export const contentKinds = {
  text_message: 'text',
  media_message: 'media',
  template_message: 'template',
  card_message: 'card',
  carousel_message: 'carousel',
  choice_message: 'choice',
  list_message: 'list',
  location_message: 'location',
  contact_info_message: 'contact_info',
} as const;
export type ContentKindField = keyof typeof contentKinds;
export type ContentKind = (typeof contentKinds)[ContentKindField];
export const contentKindFields = Object.keys(contentKinds) as ContentKindField[];

/** The kinds of a Choice (one per choice) and of a list item (one kind per list). */
export const choiceKindFields = ['text_message', 'url_message', 'call_message', 'location_message', 'calendar_message', 'share_location_message'] as const;
export type ChoiceKindField = (typeof choiceKindFields)[number];

const closed = { additionalProperties: false } as const;
const text = (maxLength: number, description: string) => Type.String({ minLength: 1, maxLength, description });
const url = (description: string) => Type.String({ minLength: 1, maxLength: 2048, description: `${description}; an absolute http(s) URL` });
const optionalText = (maxLength: number, description: string) => Type.Optional(Type.String({ maxLength, description }));

const TextMessage = Type.Object({
  text: text(4096, 'The text. At most 4096 characters on WhatsApp, 3072 on RCS'),
}, { ...closed, description: 'A plain text message' });

const MediaMessage = Type.Object({
  url: url('Publicly reachable URL of the image, video, audio or document; Sinch sniffs the type'),
  thumbnail_url: Type.Optional(url('Thumbnail, where the channel shows one')),
  filename_override: optionalText(255, 'File name shown to the recipient instead of the one in the URL'),
}, { ...closed, description: 'An image, video, audio file or document given by URL' });

const Coordinates = Type.Object({
  latitude: Type.Number({ description: 'Degrees, -90 to 90' }),
  longitude: Type.Number({ description: 'Degrees, -180 to 180' }),
}, closed);

const LocationMessage = Type.Object({
  coordinates: Coordinates,
  title: text(1024, 'Shown next to the map link or pin'),
  label: optionalText(1024, 'Name or address of the place'),
}, { ...closed, description: 'A geographic location' });

const TemplateParameters = Type.Record(Type.String(), Type.String({ maxLength: 4096 }), {
  maxProperties: 100,
  description: 'Values for the template variables. For WhatsApp the keys follow `<component>[<index>]<subtype>[<paramIndex>]<field>`, e.g. `body[1]text`, `header[1]image.link`, `button[0]quick_reply[1]payload`',
});

const ChannelTemplateReference = Type.Object({
  template_id: text(512, 'For WhatsApp: the name of the template approved by Meta, e.g. `order_update`'),
  version: optionalText(64, 'Template version; optional for channel templates'),
  language_code: optionalText(35, 'Required for WhatsApp, in underscore form such as `en_US` (not `en-US`)'),
  parameters: Type.Optional(TemplateParameters),
}, closed);

const OmniTemplateReference = Type.Object({
  template_id: text(512, 'Id of the omni-channel template in Sinch\'s template store'),
  version: text(64, 'Template version, or `latest`'),
  language_code: optionalText(35, 'Language of the template translation, e.g. `en-US`'),
  parameters: Type.Optional(TemplateParameters),
}, closed);

const TemplateMessage = Type.Object({
  channel_template: Type.Optional(Type.Object({
    WHATSAPP: Type.Optional(ChannelTemplateReference),
  }, { ...closed, description: 'Channel-specific templates; this service sends WhatsApp (Meta-approved) templates only' })),
  omni_template: Type.Optional(OmniTemplateReference),
}, { ...closed, description: 'A predefined template: `channel_template.WHATSAPP` on WhatsApp, `omni_template` on RCS' });

const UrlChoice = Type.Object({ title: text(1024, 'Button text'), url: url('Opened when tapped') }, closed);
const CallChoice = Type.Object({
  title: text(1024, 'Button text'),
  phone_number: Type.String({ minLength: 1, maxLength: 32, description: 'E.164 with a leading +, e.g. +46732000001' }),
}, closed);
const CalendarChoice = Type.Object({
  title: text(1024, 'Button text'),
  event_start: Type.String({ minLength: 1, maxLength: 64, description: 'RFC 3339 timestamp' }),
  event_end: Type.String({ minLength: 1, maxLength: 64, description: 'RFC 3339 timestamp, after event_start' }),
  event_title: text(1024, 'Title of the calendar event'),
  event_description: optionalText(4096, 'Description of the calendar event'),
  fallback_url: url('Opened where the channel cannot create calendar events'),
}, closed);
const ShareLocationChoice = Type.Object({
  title: text(1024, 'Button text'),
  fallback_url: url('Opened where the channel cannot ask for a location'),
}, closed);

const Choice = Type.Object({
  text_message: Type.Optional(Type.Object({ text: text(1024, 'Reply text') }, closed)),
  url_message: Type.Optional(UrlChoice),
  call_message: Type.Optional(CallChoice),
  location_message: Type.Optional(LocationMessage),
  calendar_message: Type.Optional(CalendarChoice),
  share_location_message: Type.Optional(ShareLocationChoice),
  postback_data: optionalText(1024, 'Returned in the reply when this choice is tapped'),
}, { ...closed, description: `Exactly one of ${choiceKindFields.join(', ')}, plus optional postback_data` });

const CardMessage = Type.Object({
  title: optionalText(1024, 'Card title. At most 200 characters on RCS'),
  description: optionalText(4096, 'Text below the title. At most 2000 characters on RCS'),
  media_message: Type.Optional(MediaMessage),
  height: Type.Optional(Type.Enum(['UNSPECIFIED_HEIGHT', 'SHORT', 'MEDIUM', 'TALL'], { description: 'Media height where the channel supports it' })),
  choices: Type.Optional(Type.Array(Choice, { maxItems: 10, description: 'Up to 10 choices; at most 4 on RCS' })),
  message_properties: Type.Optional(Type.Object({
    whatsapp_header: optionalText(60, 'Header of a WhatsApp reply-button message when the card has no media'),
  }, closed)),
}, { ...closed, description: 'A card with a title, description, media and choices' });

const CarouselMessage = Type.Object({
  cards: Type.Array(CardMessage, { minItems: 1, maxItems: 10, description: '1 to 10 cards; one card is sent as a single card' }),
  choices: Type.Optional(Type.Array(Choice, { maxItems: 3, description: 'Up to 3 outer choices below the carousel' })),
}, { ...closed, description: 'Cards shown side by side' });

const ChoiceMessage = Type.Object({
  text_message: Type.Optional(TextMessage),
  choices: Type.Array(Choice, { minItems: 1, maxItems: 10, description: '1 to 10 choices. WhatsApp shows up to 3 text choices as reply buttons' }),
  message_properties: Type.Optional(Type.Object({
    whatsapp_footer: optionalText(60, 'Footer of a WhatsApp reply-button or URL-button message'),
  }, closed)),
}, { ...closed, description: 'A text with choices: WhatsApp reply buttons, RCS suggestions' });

const ListChoiceItem = Type.Object({
  title: text(1024, 'Row title. At most 24 characters on WhatsApp'),
  description: optionalText(1024, 'Row description. At most 72 characters on WhatsApp'),
  media: Type.Optional(MediaMessage),
  postback_data: optionalText(1024, 'Returned in the reply when this row is chosen'),
}, closed);
const ListProductItem = Type.Object({
  id: text(256, 'Product id (retailer id) in the catalog'),
  marketplace: text(64, 'Marketplace of the product, e.g. `FACEBOOK`'),
}, closed);
const ListItem = Type.Object({
  choice: Type.Optional(ListChoiceItem),
  product: Type.Optional(ListProductItem),
}, { ...closed, description: 'Exactly one of choice or product; all items of a list are of one kind' });
const ListSection = Type.Object({
  title: optionalText(1024, 'Section title; required on WhatsApp when there is more than one section, at most 24 characters'),
  items: Type.Array(ListItem, { minItems: 1, maxItems: 30 }),
}, closed);

const ListMessage = Type.Object({
  title: text(1024, 'Text shown with the list'),
  description: optionalText(4096, 'Optional further text'),
  media: Type.Optional(MediaMessage),
  sections: Type.Array(ListSection, { minItems: 1, maxItems: 10 }),
  message_properties: Type.Optional(Type.Object({
    catalog_id: optionalText(128, 'Required for product lists: the catalog the products belong to'),
    menu: optionalText(20, 'Text of the button that opens a choice list'),
    whatsapp_header: optionalText(60, 'Header of the WhatsApp list message'),
  }, closed)),
}, { ...closed, description: 'A WhatsApp list of choices or of catalog products' });

const entryType = optionalText(32, 'e.g. HOME or WORK');

const ContactInfoMessage = Type.Object({
  name: Type.Object({
    full_name: text(256, 'Displayed contact name'),
    first_name: optionalText(256, 'Given name'),
    last_name: optionalText(256, 'Family name'),
    middle_name: optionalText(256, 'Middle name'),
    prefix: optionalText(64, 'e.g. Dr'),
    suffix: optionalText(64, 'e.g. Jr'),
  }, closed),
  phone_numbers: Type.Array(Type.Object({ phone_number: text(32, 'With the country code'), type: entryType }, closed), { maxItems: 20, description: 'At least one' }),
  addresses: Type.Optional(Type.Array(Type.Object({
    city: optionalText(256, 'City'),
    country: optionalText(256, 'Country name'),
    state: optionalText(256, 'State or region'),
    zip: optionalText(32, 'Postal code'),
    type: entryType,
    country_code: optionalText(2, 'Two-letter country code'),
  }, closed), { maxItems: 20 })),
  email_addresses: Type.Optional(Type.Array(Type.Object({ email_address: text(320, 'Email address'), type: entryType }, closed), { maxItems: 20 })),
  organization: Type.Optional(Type.Object({
    company: optionalText(256, 'Company'),
    department: optionalText(256, 'Department'),
    title: optionalText(256, 'Job title'),
  }, closed)),
  urls: Type.Optional(Type.Array(Type.Object({ url: url('Website'), type: entryType }, closed), { maxItems: 20 })),
  birthday: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' })),
}, { ...closed, description: 'A contact card' });

const Agent = Type.Object({
  display_name: text(100, 'Agent name shown where the channel supports it'),
  type: Type.Optional(Type.Enum(['UNKNOWN_AGENT_TYPE', 'HUMAN', 'BOT'])),
  picture_url: Type.Optional(url('Agent picture')),
}, closed);

export const AppMessageSchema = Type.Object({
  text_message: Type.Optional(TextMessage),
  media_message: Type.Optional(MediaMessage),
  template_message: Type.Optional(TemplateMessage),
  card_message: Type.Optional(CardMessage),
  carousel_message: Type.Optional(CarouselMessage),
  choice_message: Type.Optional(ChoiceMessage),
  list_message: Type.Optional(ListMessage),
  location_message: Type.Optional(LocationMessage),
  contact_info_message: Type.Optional(ContactInfoMessage),
  agent: Type.Optional(Agent),
}, {
  ...closed,
  description: `A Sinch AppMessage with exactly one of ${contentKindFields.join(', ')}, plus the optional agent modifier`,
});

export type AppMessage = Static<typeof AppMessageSchema>;
export type Choice = Static<typeof Choice>;
export type CardMessage = Static<typeof CardMessage>;
export type MediaMessage = Static<typeof MediaMessage>;
export type TemplateReference = Static<typeof ChannelTemplateReference>;
