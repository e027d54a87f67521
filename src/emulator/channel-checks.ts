/**
 * Second-stage (asynchronous) checks of one channel leg: channel configuration, identity, SMS sender,
 * channel-specific content rules, templates, media URLs, the WhatsApp 24-hour window. A failure becomes a
 * FAILED (or SWITCHING_CHANNEL) report, never an HTTP error. Pure.
 */
import type { AppMessage } from './schemas/app-message.ts';
import type { SendMessageRequest } from './schemas/send-request.ts';
import { resolveOmniOnWhatsApp, type OmniTemplate } from './omni-templates.ts';
import { checkWhatsAppTemplate, type Template } from './templates.ts';
import { isSimulatedChannel, makeReason, type Reason } from './wire.ts';

export const TEXT_LIMITS = { WHATSAPP: 4096, RCS: 3072, SMS: 1600 } as const;
export const WHATSAPP_LIST_MAX_ROWS = 10;

export type LegContext = {
  request: SendMessageRequest;
  channel: string;
  identity: string;
  appChannels: readonly string[];
  templates: ReadonlyMap<string, Template>;
  /** The app's project's omni-channel template of that id (Templates v2). */
  omniTemplate: (templateId: string) => OmniTemplate | undefined;
  enforceWhatsAppWindow: boolean;
  whatsAppWindowOpen: boolean;
};

function mediaUrls(message: AppMessage): string[] {
  const urls: string[] = [];
  if (message.media_message !== undefined) urls.push(message.media_message.url);
  if (message.card_message?.media_message !== undefined) urls.push(message.card_message.media_message.url);
  for (const card of message.carousel_message?.cards ?? []) if (card.media_message !== undefined) urls.push(card.media_message.url);
  if (message.list_message?.media !== undefined) urls.push(message.list_message.media.url);
  return urls;
}

const UNSUPPORTED_MEDIA_EXTENSIONS = ['.exe', '.bin', '.dmg', '.iso', '.apk'];

/** Media URL rules: `unreachable` in the URL → not reachable; `too-large` → too large; executables → unsupported type. */
export function checkMediaUrl(url: string): Reason | null {
  const lower = url.toLowerCase();
  if (lower.includes('unreachable')) return makeReason('MEDIA_NOT_REACHABLE', `Media ${url} could not be fetched`);
  if (lower.includes('too-large')) return makeReason('MEDIA_TOO_LARGE', `Media ${url} exceeds the channel's size limit`);
  const path = (() => { try { return new URL(url).pathname.toLowerCase(); } catch { return lower; } })();
  if (UNSUPPORTED_MEDIA_EXTENSIONS.some((ext) => path.endsWith(ext))) {
    return makeReason('MEDIA_TYPE_UNSUPPORTED', `Media type of ${url} is not supported by the channel`, 'ATTACHMENT_REJECTED');
  }
  return null;
}

function longestText(message: AppMessage): number {
  const texts = [
    message.text_message?.text,
    message.choice_message?.text_message?.text,
    message.card_message?.description,
  ];
  return Math.max(0, ...texts.map((t) => t?.length ?? 0));
}

export function checkLeg(ctx: LegContext): Reason | null {
  const { request, channel } = ctx;
  const message = request.message;
  if (!isSimulatedChannel(channel) || !ctx.appChannels.includes(channel)) {
    return makeReason('CHANNEL_CONFIGURATION_MISSING', `App ${request.app_id} has no configuration for channel ${channel}`);
  }
  if (!/^\+?[0-9]{6,15}$/.test(ctx.identity.trim())) {
    return makeReason('RECIPIENT_INVALID_CHANNEL_IDENTITY', `Identity ${ctx.identity} is not a valid MSISDN`);
  }
  if (channel === 'SMS' && (request.channel_properties?.SMS_SENDER ?? '') === '') {
    return makeReason('CHANNEL_BAD_CONFIGURATION', 'No SMS sender: set channel_properties.SMS_SENDER');
  }
  if (message.explicit_channel_message?.[channel] !== undefined) return null; // raw channel payload: passed through as is

  const template = message.template_message;
  let whatsAppTemplate = false;
  if (template !== undefined) {
    const channelRef = template.channel_template?.[channel];
    if (channelRef === undefined && template.omni_template === undefined) {
      return makeReason('BAD_REQUEST', `No template given for channel ${channel}`);
    }
    if (channel === 'WHATSAPP' && channelRef !== undefined) {
      const check = checkWhatsAppTemplate(ctx.templates, channelRef);
      if (!check.ok) return check.reason;
      whatsAppTemplate = true;
    } else if (channel === 'WHATSAPP' && template.omni_template !== undefined) {
      // An omni template goes to WhatsApp as its WHATSAPP override (a Meta template); without one it is
      // transcoded like a free-form message, so the 24-hour window applies.
      const omni = resolveOmniOnWhatsApp(ctx.omniTemplate(template.omni_template.template_id), template.omni_template);
      if (!omni.ok) return omni.reason;
      if (omni.whatsApp !== null) {
        const check = checkWhatsAppTemplate(ctx.templates, omni.whatsApp);
        if (!check.ok) return check.reason;
        whatsAppTemplate = true;
      }
    }
  }

  const textLength = longestText(message);
  if (textLength > TEXT_LIMITS[channel]) {
    return makeReason('BAD_REQUEST', `Text of ${textLength} characters exceeds the ${channel} limit of ${TEXT_LIMITS[channel]}`);
  }
  if (channel === 'WHATSAPP' && message.list_message !== undefined) {
    const rows = message.list_message.sections.reduce((n, s) => n + s.items.length, 0);
    if (rows > WHATSAPP_LIST_MAX_ROWS) return makeReason('BAD_REQUEST', `WhatsApp lists allow at most ${WHATSAPP_LIST_MAX_ROWS} rows, got ${rows}`);
  }

  for (const url of mediaUrls(message)) {
    const reason = checkMediaUrl(url);
    if (reason !== null) return reason;
  }

  if (channel === 'WHATSAPP' && !whatsAppTemplate && ctx.enforceWhatsAppWindow && !ctx.whatsAppWindowOpen) {
    return makeReason('OUTSIDE_ALLOWED_SENDING_WINDOW', 'The underlying channel reported: more than 24 hours have passed since the customer last replied; use a template');
  }
  return null;
}
