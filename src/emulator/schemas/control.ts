/** Schemas of the emulator's own control API (`/_emulator/...`): app upsert, knobs, inbound injection, templates. */
import { Type, type Static } from 'typebox';
import { OUTCOMES } from '../outcomes.ts';
import { CHANNELS, SIMULATED_CHANNELS } from '../wire.ts';
import { Coordinates, MediaMessage } from './app-message.ts';

const closed = { additionalProperties: false } as const;
const NullableRate = Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.Null()]);
const OutcomeEnum = Type.Enum(OUTCOMES);

export const FAULT_KINDS = ['rate_limited', 'internal_error', 'unavailable', 'timeout'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const Fault = Type.Object({
  kind: Type.Enum(FAULT_KINDS),
  count: Type.Integer({ minimum: 1 }),
  /** Seconds in `Retry-After`; null sends none (a 429 without Retry-After, as Sinch's token endpoint answers). */
  retry_after_seconds: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
}, closed);
export type Fault = Static<typeof Fault>;

const KnobProperties = {
  outbound_rate: NullableRate,
  outbound_queue_limit: Type.Integer({ minimum: 1 }),
  project_request_limit: NullableRate,
  response_delay_ms: Type.Integer({ minimum: 0 }),
  faults: Type.Array(Fault),
  queued_delay_ms: Type.Integer({ minimum: 0 }),
  delivered_delay_ms: Type.Integer({ minimum: 0 }),
  read_delay_ms: Type.Integer({ minimum: 0 }),
  number_rules: Type.Boolean(),
  outcomes: Type.Record(Type.String({ pattern: '^\\*?[0-9]+$' }), OutcomeEnum),
  default_outcome: OutcomeEnum,
  enforce_whatsapp_window: Type.Boolean(),
  whatsapp_window_seconds: Type.Integer({ minimum: 1 }),
  callback_delay_ms: Type.Integer({ minimum: 0 }),
  duplicate_callbacks: Type.Integer({ minimum: 0, maximum: 10 }),
  out_of_order_callbacks: Type.Boolean(),
  /** The next N token requests with this app's credentials answer 429 without Retry-After. */
  token_faults: Type.Integer({ minimum: 0 }),
  /** Consent management on (secondary mode): opt-out / opt-in keywords change the lists and are reported as OPT_OUT / OPT_IN. */
  consent_management: Type.Boolean(),
};

export const Knobs = Type.Object(KnobProperties, closed);
export type Knobs = Static<typeof Knobs>;
export const KnobsPatch = Type.Partial(Knobs, closed);
export type KnobsPatch = Static<typeof KnobsPatch>;

export const DEFAULT_KNOBS: Knobs = {
  outbound_rate: 20,
  outbound_queue_limit: 500_000,
  project_request_limit: 800,
  response_delay_ms: 0,
  faults: [],
  queued_delay_ms: 500,
  delivered_delay_ms: 1000,
  read_delay_ms: 2000,
  number_rules: true,
  outcomes: {},
  default_outcome: 'delivered-read',
  enforce_whatsapp_window: true,
  whatsapp_window_seconds: 24 * 60 * 60,
  callback_delay_ms: 0,
  duplicate_callbacks: 0,
  out_of_order_callbacks: false,
  token_faults: 0,
  consent_management: false,
};

export const SimulatedChannelEnum = Type.Enum(SIMULATED_CHANNELS);

export const AppUpsert = Type.Object({
  project_id: Type.String({ minLength: 1 }),
  access_key: Type.String({ minLength: 1 }),
  access_secret: Type.String({ minLength: 1 }),
  secret_for_overridden_callback_urls: Type.Optional(Type.String()),
  display_name: Type.Optional(Type.String()),
  channels: Type.Optional(Type.Array(Type.Enum(CHANNELS), { minItems: 1 })),
  knobs: Type.Optional(KnobsPatch),
}, closed);
export type AppUpsert = Static<typeof AppUpsert>;

export const ContactMessage = Type.Object({
  text_message: Type.Optional(Type.Object({ text: Type.String({ minLength: 1 }) }, closed)),
  media_message: Type.Optional(MediaMessage),
  media_card_message: Type.Optional(Type.Object({ url: Type.String({ minLength: 1 }), caption: Type.Optional(Type.String()) }, closed)),
  location_message: Type.Optional(Type.Object({ coordinates: Coordinates, title: Type.Optional(Type.String()), label: Type.Optional(Type.String()) }, closed)),
  choice_response_message: Type.Optional(Type.Object({ message_id: Type.String({ minLength: 1 }), postback_data: Type.String() }, closed)),
  product_response_message: Type.Optional(Type.Object({
    products: Type.Array(Type.Object({
      id: Type.String({ minLength: 1 }),
      marketplace: Type.String(),
      quantity: Type.Integer({ minimum: 1 }),
      item_price: Type.Number(),
      currency: Type.String(),
    }, closed), { minItems: 1 }),
    text: Type.Optional(Type.String()),
    catalog_id: Type.Optional(Type.String()),
  }, closed)),
  fallback_message: Type.Optional(Type.Object({
    raw_message: Type.Optional(Type.String()),
    reason: Type.Optional(Type.Object({ code: Type.String(), description: Type.String(), sub_code: Type.Optional(Type.String()) }, closed)),
  }, closed)),
  reply_to: Type.Optional(Type.Object({ message_id: Type.String({ minLength: 1 }) }, closed)),
}, closed);
export type ContactMessage = Static<typeof ContactMessage>;
export const CONTACT_MESSAGE_KINDS = [
  'text_message', 'media_message', 'media_card_message', 'location_message', 'choice_response_message',
  'product_response_message', 'fallback_message',
] as const;

export const InboundInjection = Type.Object({
  identity: Type.String({ pattern: '^\\+?[0-9]{6,15}$' }),
  channel: Type.Optional(SimulatedChannelEnum),
  /** Shortcut for `contact_message.text_message.text`. */
  text: Type.Optional(Type.String({ minLength: 1 })),
  contact_message: Type.Optional(ContactMessage),
  /** Shortcut for `contact_message.reply_to.message_id`. */
  reply_to: Type.Optional(Type.String({ minLength: 1 })),
  sender_id: Type.Optional(Type.String()),
}, closed);
export type InboundInjection = Static<typeof InboundInjection>;

export const TemplateUpsert = Type.Object({
  version: Type.Optional(Type.String({ minLength: 1 })),
  category: Type.Optional(Type.Union([Type.Literal('MARKETING'), Type.Literal('UTILITY'), Type.Literal('AUTHENTICATION')])),
  header: Type.Optional(Type.String()),
  body: Type.String({ minLength: 1 }),
  footer: Type.Optional(Type.String()),
  buttons: Type.Optional(Type.Array(Type.Object({
    type: Type.Union([Type.Literal('QUICK_REPLY'), Type.Literal('URL')]),
    text: Type.String({ minLength: 1 }),
  }, closed), { maxItems: 10 })),
  /** Required parameter keys; derived from `{{n}}` placeholders in header/body and the quick replies when omitted. */
  parameters: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  /** Review state (default APPROVED); a template in any other state cannot be sent. */
  state: Type.Optional(Type.Union([Type.Literal('APPROVED'), Type.Literal('PAUSED'), Type.Literal('DISABLED'), Type.Literal('REJECTED')])),
}, closed);
export type TemplateUpsert = Static<typeof TemplateUpsert>;
