/** How an AppMessage looks on the customer's phone (phone view) and as SMS text (rich content transcoded). Pure. */
import type { AppMessage, Choice, CardMessage } from './schemas/app-message.ts';
import { renderTemplate, templateKey, type Template } from './templates.ts';

/** A button as the phone shows it; `url` for a link button (`open_url`), which opens it instead of replying. */
export type PreviewButton = { label: string; postback_data: string; action: string; url?: string };
/** One card of a carousel, shown side by side on the phone. */
export type PreviewCard = { title: string | null; text: string; media: string[]; buttons: PreviewButton[] };
export type Preview = {
  kind: string;
  title: string | null;
  text: string;
  media: string[];
  /** For a carousel: the outer choices only (the cards' own are on the cards). */
  buttons: PreviewButton[];
  /** Carousels only. `text` and `media` then summarise the cards (as SMS shows them). */
  cards?: PreviewCard[];
};

function choiceLabel(choice: Choice): { label: string; action: string } {
  if (choice.text_message !== undefined) return { label: choice.text_message.text, action: 'reply' };
  if (choice.url_message !== undefined) return { label: `${choice.url_message.title} (${choice.url_message.url})`, action: 'open_url' };
  if (choice.call_message !== undefined) return { label: `${choice.call_message.title} (${choice.call_message.phone_number})`, action: 'dial' };
  if (choice.location_message !== undefined) return { label: choice.location_message.title, action: 'show_location' };
  if (choice.calendar_message !== undefined) return { label: choice.calendar_message.title, action: 'calendar' };
  if (choice.share_location_message !== undefined) return { label: choice.share_location_message.title, action: 'share_location' };
  return { label: '?', action: 'reply' };
}

function choiceButtons(choices: readonly Choice[] | undefined, messageId: string): PreviewButton[] {
  return (choices ?? []).map((choice) => {
    const { label, action } = choiceLabel(choice);
    const plain = choice.text_message?.text ?? choice.url_message?.title ?? choice.call_message?.title
      ?? choice.location_message?.title ?? choice.calendar_message?.title ?? choice.share_location_message?.title ?? '';
    return {
      label, action, postback_data: choice.postback_data ?? `${messageId}_${plain}`,
      ...(choice.url_message === undefined ? {} : { url: choice.url_message.url }),
    };
  });
}

function cardLines(card: CardMessage): string[] {
  return [card.title, card.description].filter((s): s is string => s !== undefined && s !== '');
}

export function renderAppMessage(
  message: AppMessage,
  channel: string,
  messageId: string,
  templates: ReadonlyMap<string, Template>,
): Preview {
  const base = { title: null, media: [] as string[], buttons: [] as PreviewButton[] };
  if (message.text_message !== undefined) return { ...base, kind: 'text', text: message.text_message.text };
  if (message.media_message !== undefined) {
    return { ...base, kind: 'media', text: message.media_message.filename_override ?? '', media: [message.media_message.url] };
  }
  if (message.template_message !== undefined) {
    const tm = message.template_message;
    const ref = tm.channel_template?.[channel] ?? tm.omni_template;
    if (ref === undefined) return { ...base, kind: 'template', text: '[template]' };
    const params = ref.parameters ?? {};
    const template = channel === 'WHATSAPP' ? templates.get(templateKey(ref.template_id, ref.language_code ?? '')) : undefined;
    if (template === undefined) {
      const shown = Object.entries(params).map(([k, v]) => `${k}=${v}`).join(', ');
      return { ...base, kind: 'template', title: ref.template_id, text: `[template ${ref.template_id}${shown === '' ? '' : `: ${shown}`}]` };
    }
    const rendered = renderTemplate(template, params);
    return {
      ...base,
      kind: 'template',
      title: rendered.header,
      text: [rendered.body, rendered.footer].filter((s): s is string => s !== null).join('\n'),
      buttons: template.buttons.map((b, i) => ({
        label: b.text,
        action: b.type === 'URL' ? 'open_url' : 'reply',
        postback_data: params[`button[${i}]quick_reply[1]payload`] ?? b.text,
      })),
    };
  }
  if (message.card_message !== undefined) {
    const card = message.card_message;
    return {
      ...base,
      kind: 'card',
      title: card.title ?? null,
      text: card.description ?? '',
      media: card.media_message === undefined ? [] : [card.media_message.url],
      buttons: choiceButtons(card.choices, messageId),
    };
  }
  if (message.carousel_message !== undefined) {
    const { cards, choices } = message.carousel_message;
    return {
      ...base,
      kind: 'carousel',
      text: cards.map((c, i) => `${i + 1}. ${cardLines(c).join(' — ')}`).join('\n'),
      media: cards.flatMap((c) => (c.media_message === undefined ? [] : [c.media_message.url])),
      buttons: choiceButtons(choices, messageId),
      cards: cards.map((c) => ({
        title: c.title ?? null,
        text: c.description ?? '',
        media: c.media_message === undefined ? [] : [c.media_message.url],
        buttons: choiceButtons(c.choices, messageId),
      })),
    };
  }
  if (message.choice_message !== undefined) {
    return {
      ...base,
      kind: 'choice',
      text: message.choice_message.text_message?.text ?? '',
      buttons: choiceButtons(message.choice_message.choices, messageId),
    };
  }
  if (message.list_message !== undefined) {
    const list = message.list_message;
    const buttons: PreviewButton[] = [];
    const lines: string[] = [];
    for (const section of list.sections) {
      if (section.title !== undefined) lines.push(`[${section.title}]`);
      for (const item of section.items) {
        if (item.choice !== undefined) {
          buttons.push({ label: item.choice.title, action: 'reply', postback_data: item.choice.postback_data ?? `${messageId}_${item.choice.title}` });
        }
        if (item.product !== undefined) lines.push(`product ${item.product.id}`);
      }
    }
    return { ...base, kind: 'list', title: list.title, text: [list.description ?? '', ...lines].filter((s) => s !== '').join('\n'), media: list.media === undefined ? [] : [list.media.url], buttons };
  }
  if (message.location_message !== undefined) {
    const loc = message.location_message;
    return {
      ...base,
      kind: 'location',
      title: loc.title,
      text: `📍 ${loc.coordinates.latitude}, ${loc.coordinates.longitude}${loc.label === undefined ? '' : ` (${loc.label})`}`,
    };
  }
  if (message.contact_info_message !== undefined) {
    const c = message.contact_info_message;
    return { ...base, kind: 'contact', title: c.name.full_name, text: c.phone_numbers.map((p) => p.phone_number).join(', ') };
  }
  const explicit = message.explicit_channel_message?.[channel];
  if (explicit !== undefined) return { ...base, kind: 'explicit', text: explicit };
  const specific = message.channel_specific_message?.[channel];
  if (specific !== undefined) return { ...base, kind: 'channel_specific', text: `[${specific.message_type}]` };
  return { ...base, kind: 'unknown', text: '[message]' };
}

/** Rich content transcoded to plain SMS text. */
export function transcodeToSmsText(preview: Preview): string {
  const lines = [preview.title, preview.text].filter((s): s is string => s !== null && s !== '');
  lines.push(...preview.media);
  [...(preview.cards ?? []).flatMap((c) => c.buttons), ...preview.buttons].forEach((b, i) => lines.push(`${i + 1}) ${b.label}`));
  return lines.join('\n');
}
