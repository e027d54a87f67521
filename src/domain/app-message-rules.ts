/**
 * Per-channel content rules for an AppMessage, checked before anything is queued. Pure: no I/O, no clock.
 * Every failure names the field (a JSON path from the request body root) and the rule, in plain words.
 *
 * Sources: sinch-conversation-api.md §2.4 (shapes, Sinch's own limits) and §6 (channels); Sinch's "message
 * types" matrix and per-kind pages; Meta's interactive-message limits; Google RBM limits for RCS.
 *
 * Which kinds each channel carries (natively, or transcoded by Sinch into something the channel has):
 *
 *   kind          WhatsApp                                    RCS
 *   text          native, ≤ 4096 characters                   native, ≤ 3072 characters
 *   media         native (image, video, audio, document)      native (image, video, audio, PDF)
 *   template      channel_template.WHATSAPP: a Meta template  omni_template only (with version): RCS has
 *                 by name + en_US-style language; or an omni  no channel templates of its own
 *                 template (Templates v2) whose translation
 *                 carries a WHATSAPP override
 *   card          native (media header + reply buttons)       native rich card (≤ 200/2000 chars, ≤ 4 choices)
 *   carousel      transcoded by Sinch                         native, 1–10 cards (1 card is sent as a card)
 *   choice        ≤ 3 text choices → reply buttons, 1 URL     suggestions (text ≤ 25 characters)
 *                 choice → URL button, otherwise Sinch sends
 *                 the options as text
 *   list          native (choice or product list)             REFUSED: list messages are WhatsApp-only and
 *                                                             Sinch does not transcode them
 *   location      native                                      transcoded (text + a "show location" suggestion)
 *   contact_info  native                                      transcoded to text
 *
 * Decisions:
 * - A carousel needs 1 card, not 2: Sinch sends a single card as a card, so 1 is accepted.
 * - On WhatsApp, choices that qualify for buttons (≤ 3 text choices, or one URL choice) must also meet the
 *   button limits (title ≤ 20 characters, distinct reply texts, postback ≤ 229). Sinch would otherwise quietly
 *   send the message as plain text, which is not what a sender of buttons asked for. More than 3 choices are
 *   sent as text by Sinch; that is accepted up to the 10 Sinch allows.
 * - A choice_message needs a text_message on both channels: WhatsApp buttons and RCS suggestions both hang
 *   off a message body.
 * - Media size and type cannot be known without fetching the URL, so only the URL form is checked here; Sinch
 *   reports MEDIA_TOO_LARGE / MEDIA_TYPE_UNSUPPORTED asynchronously.
 * - Lengths count Unicode code points (what a person counts as characters), not UTF-16 units.
 */
import type { AppMessage, CardMessage, Channel, Choice, ContentKind, ContentKindField, MediaMessage, TemplateReference } from './app-message.ts';
import { choiceKindFields, contentKindFields, contentKinds } from './app-message.ts';

export type ContentCheck = { ok: true; kind: ContentKind } | { ok: false; field: string; message: string };
type Problem = { field: string; message: string } | undefined;

export const channelSupport = {
  whatsapp: { text: 'native', media: 'native', template: 'native', card: 'native', carousel: 'transcoded', choice: 'native', list: 'native', location: 'native', contact_info: 'native' },
  rcs: { text: 'native', media: 'native', template: 'native', card: 'native', carousel: 'native', choice: 'native', list: 'refused', location: 'transcoded', contact_info: 'transcoded' },
} as const satisfies Record<Channel, Record<ContentKind, 'native' | 'transcoded' | 'refused'>>;

export const contentLimits = {
  whatsapp: { text: 4096, choices: 10, buttonTitle: 20, buttonBody: 1024, buttonPostback: 229, listSections: 10, listRows: 10, listProducts: 30, rowTitle: 24, rowDescription: 72, sectionTitle: 24 },
  rcs: { text: 3072, choices: 10, cardChoices: 4, suggestionText: 25, cardTitle: 200, cardDescription: 2000 },
  carouselCards: 10,
  carouselChoices: 3,
} as const;

const channelName = { whatsapp: 'WhatsApp', rcs: 'RCS' } as const satisfies Record<Channel, string>;
const refusals: Partial<Record<ContentKindField, string>> = {
  list_message: 'is not supported on RCS: list messages are WhatsApp-only and Sinch does not transcode them; send a choice_message (RCS suggestions) instead',
};

/** Checks one AppMessage against the rules of the channel it will be sent on. */
export function checkContent(channel: Channel, message: AppMessage): ContentCheck {
  const present = contentKindFields.filter((k) => message[k] !== undefined);
  const [field] = present;
  if (field === undefined || present.length > 1) {
    const found = present.length === 0 ? 'none' : present.join(', ');
    return { ok: false, field: 'message', message: `message must contain exactly one of ${contentKindFields.join(', ')} (found ${found})` };
  }
  const kind = contentKinds[field];
  const refused = channelSupport[channel][kind] === 'refused';
  const problem = (refused ? fail(`message.${field}`, refusals[field] ?? `is not supported on ${channelName[channel]}`) : undefined)
    ?? checkKind(channel, field, message)
    ?? (message.agent && (notBlank('message.agent.display_name', message.agent.display_name) ?? httpUrl('message.agent.picture_url', message.agent.picture_url)));
  return problem === undefined ? { ok: true, kind } : { ok: false, ...problem };
}

function checkKind(channel: Channel, field: ContentKindField, m: AppMessage): Problem {
  const path = `message.${field}`;
  switch (field) {
    case 'text_message': return m.text_message && checkText(channel, m.text_message.text, `${path}.text`);
    case 'media_message': return m.media_message && checkMedia(m.media_message, path);
    case 'template_message': return m.template_message && checkTemplate(channel, m.template_message, path);
    case 'card_message': return m.card_message && checkCard(channel, m.card_message, path);
    case 'carousel_message': return m.carousel_message && checkCarousel(channel, m.carousel_message, path);
    case 'choice_message': return m.choice_message && checkChoiceMessage(channel, m.choice_message, path);
    case 'list_message': return m.list_message && checkList(m.list_message, path);
    case 'location_message': return m.location_message && checkLocation(m.location_message, path);
    case 'contact_info_message': return m.contact_info_message && checkContactInfo(m.contact_info_message, path);
  }
}

// ---- small checks ------------------------------------------------------------------------------------------

const fail = (field: string, rule: string): Problem => ({ field, message: `${field} ${rule}` });
const length = (s: string): number => [...s].length;
const isBlank = (s: string | undefined): boolean => s === undefined || s.trim() === '';

function notBlank(field: string, value: string | undefined): Problem {
  return isBlank(value) ? fail(field, 'must not be blank') : undefined;
}

function atMost(field: string, value: string | undefined, max: number, where: string): Problem {
  if (value === undefined) return undefined;
  const n = length(value);
  return n > max ? fail(field, `must be at most ${max} characters ${where} (found ${n})`) : undefined;
}

function httpUrl(field: string, value: string | undefined): Problem {
  if (value === undefined) return undefined;
  const url = URL.parse(value);
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    return fail(field, 'must be an absolute http(s) URL, e.g. https://example.com/image.jpg');
  }
  return undefined;
}

function eachOf<T>(items: readonly T[] | undefined, path: string, check: (item: T, itemPath: string) => Problem): Problem {
  for (const [i, item] of (items ?? []).entries()) {
    const problem = check(item, `${path}[${i}]`);
    if (problem) return problem;
  }
  return undefined;
}

function checkCoordinates(path: string, c: { latitude: number; longitude: number }): Problem {
  if (!Number.isFinite(c.latitude) || Math.abs(c.latitude) > 90) return fail(`${path}.latitude`, `must be between -90 and 90 (found ${c.latitude})`);
  if (!Number.isFinite(c.longitude) || Math.abs(c.longitude) > 180) return fail(`${path}.longitude`, `must be between -180 and 180 (found ${c.longitude})`);
  return undefined;
}

// ---- kinds -------------------------------------------------------------------------------------------------

function checkText(channel: Channel, text: string, field: string): Problem {
  return notBlank(field, text) ?? atMost(field, text, contentLimits[channel].text, `on ${channelName[channel]}`);
}

function checkMedia(media: MediaMessage, path: string): Problem {
  return httpUrl(`${path}.url`, media.url) ?? httpUrl(`${path}.thumbnail_url`, media.thumbnail_url);
}

function checkLocation(loc: { coordinates: { latitude: number; longitude: number }; title: string }, path: string): Problem {
  return checkCoordinates(`${path}.coordinates`, loc.coordinates) ?? notBlank(`${path}.title`, loc.title);
}

type TemplateMessage = NonNullable<AppMessage['template_message']>;

function checkTemplate(channel: Channel, t: TemplateMessage, path: string): Problem {
  if (channel === 'whatsapp') {
    const field = `${path}.channel_template.WHATSAPP`;
    const ref = t.channel_template?.WHATSAPP;
    if (ref !== undefined) return checkWhatsAppTemplate(ref, field);
    // Sinch's Templates v2 lets an omni template carry a WHATSAPP override (channel_template_overrides): the
    // omni template alone is accepted; whether it has an override is checked against the template catalogue.
    if (t.omni_template === undefined) {
      return fail(field, 'is required on WhatsApp unless omni_template names an omni-channel template with a WHATSAPP override: name a Meta-approved template there');
    }
    const omni = `${path}.omni_template`;
    return notBlank(`${omni}.template_id`, t.omni_template.template_id) ?? notBlank(`${omni}.version`, t.omni_template.version);
  }
  const field = `${path}.omni_template`;
  if (t.omni_template === undefined) {
    return fail(field, 'is required on RCS: RCS templates are Sinch omni-channel templates (template_id and version); channel_template.WHATSAPP applies to WhatsApp only');
  }
  return notBlank(`${field}.template_id`, t.omni_template.template_id) ?? notBlank(`${field}.version`, t.omni_template.version);
}

const metaTemplateName = /^[a-z0-9_]+$/;
const whatsappLanguage = /^[a-z]{2,3}(?:_[A-Z][a-z]{3})?(?:_[A-Z]{2})?$/;
const INDEX = String.raw`\[(?:0|[1-9]\d*)\]`;
const PARAM = String.raw`\[[1-9]\d*\]`;
const FIELD = String.raw`[a-z][a-z_]*(?:\.[a-z][a-z_]*)?`;
const SIMPLE = String.raw`(?:header|body)${PARAM}${FIELD}`;
const BUTTON = String.raw`button${INDEX}[a-z][a-z_]*${PARAM}${FIELD}`;
/** `<component>[<index>]<subtype>[<paramIndex>]<field>`: e.g. body[1]text, button[0]quick_reply[1]payload, carousel[0]body[1]text. */
export const whatsappParameterKey = new RegExp(String.raw`^(?:${SIMPLE}|${BUTTON}|carousel${INDEX}(?:${SIMPLE}|${BUTTON}))$`);

function suggestLanguage(code: string): string {
  const parts = code.split(/[-_]/).map((p, i) => i === 0 ? p.toLowerCase() : p.length === 4 ? p[0]?.toUpperCase() + p.slice(1).toLowerCase() : p.toUpperCase());
  return parts.join('_');
}

function checkWhatsAppTemplate(ref: TemplateReference, path: string): Problem {
  if (!metaTemplateName.test(ref.template_id)) {
    return fail(`${path}.template_id`, 'must be the name of the Meta-approved template: lowercase letters, digits and underscores, e.g. order_update');
  }
  const lang = `${path}.language_code`;
  if (ref.language_code === undefined || isBlank(ref.language_code)) return fail(lang, 'is required for WhatsApp templates, in underscore form such as en_US');
  if (!whatsappLanguage.test(ref.language_code)) {
    const suggestion = suggestLanguage(ref.language_code);
    const hint = whatsappLanguage.test(suggestion) ? `: use ${suggestion}, not ${ref.language_code}` : '';
    return fail(lang, `must be a WhatsApp language code in underscore form such as en_US or pt_BR${hint}`);
  }
  for (const [key, value] of Object.entries(ref.parameters ?? {})) {
    const field = `${path}.parameters[${JSON.stringify(key)}]`;
    if (!whatsappParameterKey.test(key)) {
      return fail(field, 'has a key WhatsApp does not know: keys are <component>[<index>]<subtype>[<paramIndex>]<field>, e.g. body[1]text, header[1]image.link, button[0]quick_reply[1]payload (paramIndex counts from 1)');
    }
    const problem = key.endsWith('.link') ? httpUrl(field, value) : key.endsWith(']text') && !key.includes('button[') ? checkTemplateText(field, value) : undefined;
    if (problem) return problem;
  }
  return undefined;
}

/** Meta refuses text variables that are empty, hold new lines or tabs, or more than 4 spaces in a row. */
function checkTemplateText(field: string, value: string): Problem {
  if (value === '') return fail(field, 'must not be empty: WhatsApp refuses empty text variables');
  if (/[\n\r\t]/.test(value) || / {5}/.test(value)) return fail(field, 'must not contain new lines, tabs or more than 4 spaces in a row: WhatsApp refuses them in template text variables');
  return undefined;
}

// ---- choices, cards, carousels -----------------------------------------------------------------------------

/** The label a choice shows (button text or suggestion text), with its path below the choice. */
function choiceLabel(c: Choice): [string, string] {
  if (c.text_message) return ['text_message.text', c.text_message.text];
  const kind = choiceKindFields.find((k) => k !== 'text_message' && c[k] !== undefined);
  const titled = kind === undefined || kind === 'text_message' ? undefined : c[kind];
  return [`${kind ?? 'text_message'}.title`, titled?.title ?? ''];
}

function checkChoice(channel: Channel, c: Choice, path: string): Problem {
  const kinds = choiceKindFields.filter((k) => c[k] !== undefined);
  const [kind] = kinds;
  if (kind === undefined || kinds.length > 1) {
    return fail(path, `must contain exactly one of ${choiceKindFields.join(', ')} (found ${kinds.join(', ') || 'none'})`);
  }
  const [labelPath, label] = choiceLabel(c);
  const problem = notBlank(`${path}.${labelPath}`, label) ?? checkChoiceKind(c, kind, `${path}.${kind}`);
  if (problem || channel === 'whatsapp') return problem;
  return atMost(`${path}.${labelPath}`, label, contentLimits.rcs.suggestionText, 'on RCS, where choices are suggestions');
}

const e164 = /^\+[1-9]\d{6,14}$/;
const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i;

function checkChoiceKind(c: Choice, kind: (typeof choiceKindFields)[number], path: string): Problem {
  switch (kind) {
    case 'text_message': return undefined;
    case 'url_message': return c.url_message && httpUrl(`${path}.url`, c.url_message.url);
    case 'call_message': return c.call_message && !e164.test(c.call_message.phone_number)
      ? fail(`${path}.phone_number`, 'must be an E.164 number with a leading +, e.g. +46732000001') : undefined;
    case 'location_message': return c.location_message && checkCoordinates(`${path}.coordinates`, c.location_message.coordinates);
    case 'share_location_message': return c.share_location_message && httpUrl(`${path}.fallback_url`, c.share_location_message.fallback_url);
    case 'calendar_message': {
      const cal = c.calendar_message;
      if (cal === undefined) return undefined;
      for (const key of ['event_start', 'event_end'] as const) {
        if (!rfc3339.test(cal[key]) || Number.isNaN(Date.parse(cal[key]))) return fail(`${path}.${key}`, 'must be an RFC 3339 timestamp, e.g. 2026-05-01T10:00:00Z');
      }
      if (Date.parse(cal.event_end) <= Date.parse(cal.event_start)) return fail(`${path}.event_end`, 'must be after event_start');
      return notBlank(`${path}.event_title`, cal.event_title) ?? httpUrl(`${path}.fallback_url`, cal.fallback_url);
    }
  }
}

/** How WhatsApp will show these choices: reply buttons, one URL button, or (undefined) as text. */
function whatsappButtons(choices: readonly Choice[]): 'reply' | 'url' | undefined {
  if (choices.length >= 1 && choices.length <= 3 && choices.every((c) => c.text_message !== undefined)) return 'reply';
  if (choices.length === 1 && choices[0]?.url_message !== undefined) return 'url';
  return undefined;
}

function checkWhatsAppButtons(choices: readonly Choice[], path: string): Problem {
  const buttons = whatsappButtons(choices);
  if (buttons === undefined) return undefined;
  const where = buttons === 'reply' ? 'on WhatsApp, where up to 3 text choices are sent as reply buttons' : 'on WhatsApp, where a single URL choice is sent as a URL button';
  const seen = new Set<string>();
  const { buttonTitle, buttonPostback } = contentLimits.whatsapp;
  return eachOf(choices, path, (c, p) => {
    const [labelPath, label] = choiceLabel(c);
    const duplicate = buttons === 'reply' && seen.has(label);
    seen.add(label);
    return atMost(`${p}.${labelPath}`, label, buttonTitle, where)
      ?? (duplicate ? fail(`${p}.${labelPath}`, 'must differ from the other choices\' texts on WhatsApp, where reply buttons must be distinct') : undefined)
      ?? atMost(`${p}.postback_data`, c.postback_data, buttonPostback, where);
  });
}

function checkChoices(channel: Channel, choices: readonly Choice[] | undefined, path: string, max: number, where: string): Problem {
  if (choices === undefined) return undefined;
  if (choices.length > max) return fail(path, `must hold at most ${max} choices ${where} (found ${choices.length})`);
  return eachOf(choices, path, (c, p) => checkChoice(channel, c, p)) ?? (channel === 'whatsapp' ? checkWhatsAppButtons(choices, path) : undefined);
}

type ChoiceMessage = NonNullable<AppMessage['choice_message']>;

function checkChoiceMessage(channel: Channel, m: ChoiceMessage, path: string): Problem {
  const body = `${path}.text_message`;
  if (m.text_message === undefined) return fail(body, `is required: ${channel === 'whatsapp' ? 'WhatsApp buttons' : 'RCS suggestions'} are attached to a message text`);
  if (m.choices.length === 0) return fail(`${path}.choices`, 'must hold at least one choice');
  const buttons = channel === 'whatsapp' ? whatsappButtons(m.choices) : undefined;
  return checkText(channel, m.text_message.text, `${body}.text`)
    ?? (buttons && atMost(`${body}.text`, m.text_message.text, contentLimits.whatsapp.buttonBody, 'on WhatsApp when the choices are sent as buttons'))
    ?? checkChoices(channel, m.choices, `${path}.choices`, contentLimits[channel].choices, `on ${channelName[channel]}`);
}

function checkCard(channel: Channel, card: CardMessage, path: string): Problem {
  if (isBlank(card.title) && isBlank(card.description) && card.media_message === undefined) {
    return fail(path, 'must have a title, a description or a media_message');
  }
  const rcs = contentLimits.rcs;
  return (card.media_message && checkMedia(card.media_message, `${path}.media_message`))
    ?? (channel === 'rcs' ? atMost(`${path}.title`, card.title, rcs.cardTitle, 'on RCS') ?? atMost(`${path}.description`, card.description, rcs.cardDescription, 'on RCS') : undefined)
    ?? (channel === 'rcs'
      ? checkChoices(channel, card.choices, `${path}.choices`, rcs.cardChoices, 'on RCS, where a rich card carries up to 4 suggestions')
      : checkChoices(channel, card.choices, `${path}.choices`, contentLimits.whatsapp.choices, 'on WhatsApp'));
}

type CarouselMessage = NonNullable<AppMessage['carousel_message']>;

function checkCarousel(channel: Channel, c: CarouselMessage, path: string): Problem {
  const { carouselCards, carouselChoices } = contentLimits;
  if (c.cards.length === 0 || c.cards.length > carouselCards) return fail(`${path}.cards`, `must hold 1 to ${carouselCards} cards (found ${c.cards.length})`);
  return eachOf(c.cards, `${path}.cards`, (card, p) => checkCard(channel, card, p))
    ?? checkChoices(channel, c.choices, `${path}.choices`, carouselChoices, 'outside the cards of a carousel');
}

// ---- list and contact info ---------------------------------------------------------------------------------

type ListMessage = NonNullable<AppMessage['list_message']>;

function checkList(l: ListMessage, path: string): Problem {
  const wa = contentLimits.whatsapp;
  const sections = `${path}.sections`;
  if (l.sections.length === 0 || l.sections.length > wa.listSections) return fail(sections, `must hold 1 to ${wa.listSections} sections on WhatsApp (found ${l.sections.length})`);
  let listKind: 'choice' | 'product' | undefined;
  let rows = 0;
  const problem = notBlank(`${path}.title`, l.title) ?? (l.media && checkMedia(l.media, `${path}.media`)) ?? eachOf(l.sections, sections, (s, sp) => {
    if (l.sections.length > 1 && isBlank(s.title)) return fail(`${sp}.title`, 'is required on WhatsApp when a list has more than one section');
    if (s.items.length === 0) return fail(`${sp}.items`, 'must hold at least one item');
    return atMost(`${sp}.title`, s.title, wa.sectionTitle, 'on WhatsApp') ?? eachOf(s.items, `${sp}.items`, (item, ip) => {
      const itemKind = item.choice !== undefined && item.product === undefined ? 'choice' : item.product !== undefined && item.choice === undefined ? 'product' : undefined;
      if (itemKind === undefined) return fail(ip, 'must contain exactly one of choice, product');
      listKind ??= itemKind;
      if (itemKind !== listKind) return fail(ip, `must be a ${listKind} like the first item: all items of a list are of one kind`);
      rows += 1;
      return item.choice && (notBlank(`${ip}.choice.title`, item.choice.title)
        ?? atMost(`${ip}.choice.title`, item.choice.title, wa.rowTitle, 'on WhatsApp')
        ?? atMost(`${ip}.choice.description`, item.choice.description, wa.rowDescription, 'on WhatsApp')
        ?? (item.choice.media && checkMedia(item.choice.media, `${ip}.choice.media`)));
    });
  });
  if (problem) return problem;
  if (listKind === 'product') {
    if (isBlank(l.message_properties?.catalog_id)) return fail(`${path}.message_properties.catalog_id`, 'is required for a product list: the catalog the products belong to');
    return rows > wa.listProducts ? fail(sections, `must hold at most ${wa.listProducts} products in total on WhatsApp (found ${rows})`) : undefined;
  }
  return rows > wa.listRows ? fail(sections, `must hold at most ${wa.listRows} rows in total on WhatsApp (found ${rows})`) : undefined;
}

type ContactInfo = NonNullable<AppMessage['contact_info_message']>;

function checkContactInfo(c: ContactInfo, path: string): Problem {
  return notBlank(`${path}.name.full_name`, c.name.full_name)
    ?? (c.phone_numbers.length === 0 ? fail(`${path}.phone_numbers`, 'must hold at least one phone number') : undefined)
    ?? eachOf(c.phone_numbers, `${path}.phone_numbers`, (p, pp) => notBlank(`${pp}.phone_number`, p.phone_number))
    ?? eachOf(c.urls, `${path}.urls`, (u, up) => httpUrl(`${up}.url`, u.url))
    ?? (c.birthday !== undefined && !isRealDate(c.birthday) ? fail(`${path}.birthday`, 'must be a real date in YYYY-MM-DD form') : undefined);
}

function isRealDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}
