/**
 * First-stage ("pre-queue") validation of a `messages:send` body beyond its JSON schema: the rules a schema
 * cannot say (exactly one kind, cross-field rules). A failure here is HTTP 400 with BadRequest field
 * violations. Channel-specific checks happen later and end as an asynchronous FAILED report (channel-checks.ts).
 */
import { APP_MESSAGE_KINDS, CHOICE_KINDS, type AppMessage, type Choice, type CardMessage } from './schemas/app-message.ts';
import type { SendMessageRequest } from './schemas/send-request.ts';
import { CHANNELS } from './wire.ts';

export type FieldViolation = { field: string; description: string };

const TTL_MIN_SECONDS = 3;
const TTL_MAX_SECONDS = 315_576_000_000;

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Seconds of a `"<n>s"` duration (already pattern-checked by the schema). */
export function parseTtlSeconds(ttl: string): number {
  return Number(ttl.slice(0, -1));
}

export function validateSendRequest(body: SendMessageRequest, appChannels: readonly string[]): FieldViolation[] {
  const out: FieldViolation[] = [];
  const add = (field: string, description: string): void => { out.push({ field, description }); };

  const { recipient } = body;
  if (recipient.contact_id !== undefined && recipient.identified_by !== undefined) {
    add('recipient', 'exactly one of contact_id or identified_by must be set');
  } else if (recipient.contact_id !== undefined) {
    add('recipient.contact_id', 'contact_id is not allowed in DISPATCH processing mode; use identified_by');
  } else if (recipient.identified_by === undefined) {
    add('recipient', 'exactly one of contact_id or identified_by must be set');
  } else {
    recipient.identified_by.channel_identities.forEach((ci, i) => {
      if (ci.identity.trim() === '') add(`recipient.identified_by.channel_identities[${i}].identity`, 'must not be blank');
    });
  }

  validateAppMessage(body.message, 'message', add);

  if (body.callback_url !== undefined && !isHttpUrl(body.callback_url)) add('callback_url', 'must be an absolute http(s) URL');

  if (body.channel_priority_order !== undefined) {
    const seen = new Set<string>();
    body.channel_priority_order.forEach((channel, i) => {
      if (seen.has(channel)) add(`channel_priority_order[${i}]`, `channel ${channel} listed twice`);
      seen.add(channel);
      if (!appChannels.includes(channel)) add(`channel_priority_order[${i}]`, `channel ${channel} is not configured on app ${body.app_id}`);
    });
    const identityChannels = new Set(recipient.identified_by?.channel_identities.map((ci) => ci.channel) ?? []);
    if (recipient.identified_by !== undefined && !body.channel_priority_order.some((c) => identityChannels.has(c)) && body.channel_priority_order.length > 0) {
      add('channel_priority_order', 'none of the listed channels has a recipient channel identity');
    }
  }

  for (const [key] of Object.entries(body.channel_properties ?? {})) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(key)) add(`channel_properties.${key}`, 'unknown channel property key');
  }

  if (body.ttl !== undefined) {
    const seconds = parseTtlSeconds(body.ttl);
    if (seconds < TTL_MIN_SECONDS || seconds > TTL_MAX_SECONDS) add('ttl', `must be between ${TTL_MIN_SECONDS}s and ${TTL_MAX_SECONDS}s`);
  }

  if (body.conversation_metadata !== undefined && JSON.stringify(body.conversation_metadata).length > 2048) {
    add('conversation_metadata', 'must not exceed 2048 characters when serialised');
  }
  return out;
}

type Add = (field: string, description: string) => void;

function validateAppMessage(message: AppMessage, path: string, add: Add): void {
  const kinds = APP_MESSAGE_KINDS.filter((k) => message[k] !== undefined);
  const hasChannelOverride = message.explicit_channel_message !== undefined || message.channel_specific_message !== undefined
    || message.explicit_channel_omni_message !== undefined;
  if (kinds.length > 1) add(path, `exactly one message kind must be set, got ${kinds.join(', ')}`);
  if (kinds.length === 0 && !hasChannelOverride) add(path, `one of ${APP_MESSAGE_KINDS.join(', ')} must be set`);

  for (const key of Object.keys(message.explicit_channel_message ?? {})) {
    if (!(CHANNELS as readonly string[]).includes(key)) add(`${path}.explicit_channel_message.${key}`, 'unknown channel');
  }
  for (const key of Object.keys(message.channel_specific_message ?? {})) {
    if (!(CHANNELS as readonly string[]).includes(key)) add(`${path}.channel_specific_message.${key}`, 'unknown channel');
  }
  for (const key of Object.keys(message.explicit_channel_omni_message ?? {})) {
    if (!['WHATSAPP', 'KAKAOTALK', 'WECHAT'].includes(key)) add(`${path}.explicit_channel_omni_message.${key}`, 'only WHATSAPP, KAKAOTALK and WECHAT are allowed');
  }

  if (message.media_message !== undefined) validateMedia(message.media_message, `${path}.media_message`, add);

  const template = message.template_message;
  if (template !== undefined) {
    const tpath = `${path}.template_message`;
    if (template.channel_template === undefined && template.omni_template === undefined) {
      add(tpath, 'one of channel_template or omni_template must be set');
    }
    if (template.omni_template !== undefined && (template.omni_template.version ?? '') === '') {
      add(`${tpath}.omni_template.version`, 'version is required for omni templates ("latest" is allowed)');
    }
    for (const [channel, ref] of Object.entries(template.channel_template ?? {})) {
      if (!(CHANNELS as readonly string[]).includes(channel)) add(`${tpath}.channel_template.${channel}`, 'unknown channel');
      if (channel === 'WHATSAPP') {
        if ((ref.language_code ?? '') === '') add(`${tpath}.channel_template.WHATSAPP.language_code`, 'language_code is required for WhatsApp templates');
        else if (!/^[a-z]{2,3}(_[A-Z]{2,4})?$/.test(ref.language_code ?? '')) {
          add(`${tpath}.channel_template.WHATSAPP.language_code`, 'must use the underscore form, e.g. en_US');
        }
      }
    }
  }

  if (message.card_message !== undefined) validateCard(message.card_message, `${path}.card_message`, add);
  if (message.carousel_message !== undefined) {
    message.carousel_message.cards.forEach((card, i) => { validateCard(card, `${path}.carousel_message.cards[${i}]`, add); });
    validateChoices(message.carousel_message.choices ?? [], `${path}.carousel_message.choices`, add);
  }
  if (message.choice_message !== undefined) validateChoices(message.choice_message.choices, `${path}.choice_message.choices`, add);

  const list = message.list_message;
  if (list !== undefined) {
    const lpath = `${path}.list_message`;
    if (list.media !== undefined) validateMedia(list.media, `${lpath}.media`, add);
    let choiceItems = 0;
    let productItems = 0;
    list.sections.forEach((section, s) => {
      section.items.forEach((item, i) => {
        const ipath = `${lpath}.sections[${s}].items[${i}]`;
        const n = (item.choice !== undefined ? 1 : 0) + (item.product !== undefined ? 1 : 0);
        if (n !== 1) add(ipath, 'exactly one of choice or product must be set');
        if (item.choice !== undefined) choiceItems += 1;
        if (item.product !== undefined) productItems += 1;
        if (item.choice?.media !== undefined) validateMedia(item.choice.media, `${ipath}.choice.media`, add);
      });
    });
    if (choiceItems > 0 && productItems > 0) add(`${lpath}.sections`, 'all items of a list must be of one kind (choice or product)');
    if (productItems > 0 && (list.message_properties?.catalog_id ?? '') === '') {
      add(`${lpath}.message_properties.catalog_id`, 'catalog_id is required for product lists');
    }
  }
}

function validateCard(card: CardMessage, path: string, add: Add): void {
  if (card.title === undefined && card.description === undefined && card.media_message === undefined) {
    add(path, 'a card needs at least one of title, description or media_message');
  }
  if (card.media_message !== undefined) validateMedia(card.media_message, `${path}.media_message`, add);
  validateChoices(card.choices ?? [], `${path}.choices`, add);
}

function validateChoices(choices: readonly Choice[], path: string, add: Add): void {
  choices.forEach((choice, i) => {
    const kinds = CHOICE_KINDS.filter((k) => choice[k] !== undefined);
    if (kinds.length !== 1) add(`${path}[${i}]`, `exactly one of ${CHOICE_KINDS.join(', ')} must be set`);
    if (choice.url_message !== undefined && !isHttpUrl(choice.url_message.url)) add(`${path}[${i}].url_message.url`, 'must be an absolute http(s) URL');
  });
}

function validateMedia(media: { url: string; thumbnail_url?: string | undefined }, path: string, add: Add): void {
  if (!isHttpUrl(media.url)) add(`${path}.url`, 'must be an absolute http(s) URL');
  if (media.thumbnail_url !== undefined && !isHttpUrl(media.thumbnail_url)) add(`${path}.thumbnail_url`, 'must be an absolute http(s) URL');
}
