/**
 * RCS rich cards and carousels as the campaign builder edits them, and the AppMessage the API takes for them
 * (`card_message`, `carousel_message`: src/domain/app-message.ts). The limits restate the service's RCS rules
 * (`contentLimits` in src/domain/app-message-rules.ts; test/console/rcs-card.test.ts checks they agree), so the
 * builder can say what is wrong before saving; the service checks again and has the last word.
 */

export const rcsLimits = {
  text: 3072,
  cardTitle: 200,
  cardDescription: 2000,
  /** Suggestions on one rich card (or one card of a carousel). */
  cardChoices: 4,
  /** Characters of a suggestion's label. */
  suggestionText: 25,
  /** The API takes 1 card (sent as a rich card); the builder's carousel starts at 2 (1 card is the Rich card). */
  carouselCardsMin: 2,
  carouselCards: 10,
  /** Suggestions below the carousel, outside its cards. */
  carouselChoices: 3,
} as const;

export type ChipDraft = { kind: 'reply'; label: string } | { kind: 'url'; label: string; url: string };
export interface CardDraft { title: string; description: string; media: string; chips: ChipDraft[] }

export const emptyCard = (): CardDraft => ({ title: '', description: '', media: '', chips: [] });

/** Characters as the service counts them: Unicode code points. */
export const length = (s: string): number => [...s].length;

type Choice = { text_message: { text: string } } | { url_message: { title: string; url: string } };

export function choiceOf(chip: ChipDraft): Choice {
  return chip.kind === 'url' ? { url_message: { title: chip.label, url: chip.url } } : { text_message: { text: chip.label } };
}

/** One card as the API's CardMessage: empty fields left out. */
export function cardMessage(card: CardDraft): Record<string, unknown> {
  return {
    ...(card.title !== '' ? { title: card.title } : {}),
    ...(card.description !== '' ? { description: card.description } : {}),
    ...(card.media.trim() !== '' ? { media_message: { url: card.media.trim() } } : {}),
    ...(card.chips.length > 0 ? { choices: card.chips.map(choiceOf) } : {}),
  };
}

export function carouselMessage(cards: readonly CardDraft[], chips: readonly ChipDraft[]): Record<string, unknown> {
  return { cards: cards.map(cardMessage), ...(chips.length > 0 ? { choices: chips.map(choiceOf) } : {}) };
}

/** A string field of stored content, or '' (anything else). */
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** A card of the API (CardMessage) as the editor's draft, for showing stored content in the phone frame. */
function draftOf(card: Record<string, unknown> | undefined): CardDraft {
  const chipOf = (c: Record<string, unknown>): ChipDraft | undefined => {
    const url = c.url_message as { title?: unknown; url?: unknown } | undefined;
    if (url !== undefined) return { kind: 'url', label: str(url.title), url: str(url.url) };
    const reply = c.text_message as { text?: unknown } | undefined;
    return reply !== undefined ? { kind: 'reply', label: str(reply.text) } : undefined;
  };
  const choices = Array.isArray(card?.choices) ? (card.choices as Record<string, unknown>[]) : [];
  return {
    title: typeof card?.title === 'string' ? card.title : '',
    description: typeof card?.description === 'string' ? card.description : '',
    media: str((card?.media_message as { url?: unknown } | undefined)?.url),
    chips: choices.flatMap((c) => { const chip = chipOf(c); return chip === undefined ? [] : [chip]; }),
  };
}

/**
 * Stored content (a campaign's, or the API's personalised preview) as the phone frame shows it: text, a card, a
 * carousel; a WhatsApp template as its name, language and parameters (Meta renders its text).
 */
export function previewOf(content: Record<string, unknown>): { kind: 'text'; text: string } | { kind: 'card'; card: CardDraft } | { kind: 'carousel'; cards: CardDraft[]; chips: ChipDraft[] } {
  const text = content.text_message as { text?: unknown } | undefined;
  if (typeof text?.text === 'string') return { kind: 'text', text: text.text };
  if (content.card_message !== undefined) return { kind: 'card', card: draftOf(content.card_message as Record<string, unknown>) };
  const carousel = content.carousel_message as { cards?: unknown; choices?: unknown } | undefined;
  if (carousel !== undefined) {
    const cards = Array.isArray(carousel.cards) ? (carousel.cards as Record<string, unknown>[]).map(draftOf) : [];
    return { kind: 'carousel', cards, chips: draftOf({ choices: carousel.choices }).chips };
  }
  const template = (content.template_message as { channel_template?: Record<string, { template_id?: unknown; language_code?: unknown; parameters?: unknown }> } | undefined)?.channel_template;
  const wa = template?.WHATSAPP;
  if (wa !== undefined) {
    const parameters = Object.entries((wa.parameters ?? {}) as Record<string, unknown>).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
    return { kind: 'text', text: [`Template ${str(wa.template_id)} (${str(wa.language_code)})`, ...parameters].join('\n') };
  }
  return { kind: 'text', text: JSON.stringify(content) };
}

/** A problem that keeps the content from being saved: the API field it is about and what to do, in words. */
export interface Problem { field: string; message: string }

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function over(what: string, value: string, max: number): string | undefined {
  const n = length(value);
  return n > max ? `${what} is ${n - max} character${n - max === 1 ? '' : 's'} over the RCS limit of ${max}` : undefined;
}

function chipProblems(chips: readonly ChipDraft[], path: string, where: string, max: number): Problem[] {
  const problems: Problem[] = [];
  if (chips.length > max) problems.push({ field: path, message: `${where} has ${chips.length} suggestions: at most ${max}` });
  chips.forEach((chip, j) => {
    const p = `${path}[${j}]`;
    const label = chip.kind === 'url' ? `${p}.url_message.title` : `${p}.text_message.text`;
    const name = `${where}, suggestion ${j + 1}`;
    if (chip.label.trim() === '') problems.push({ field: label, message: `${name} needs a label` });
    const long = over(`${name}'s label`, chip.label, rcsLimits.suggestionText);
    if (long !== undefined) problems.push({ field: label, message: long });
    if (chip.kind === 'url' && !isHttpUrl(chip.url.trim())) problems.push({ field: `${p}.url_message.url`, message: `${name} needs an absolute http(s) URL` });
  });
  return problems;
}

/** What keeps one card from being saved, with the API's field paths under `path`. */
export function cardProblems(card: CardDraft, path: string, name: string): Problem[] {
  const problems: Problem[] = [];
  if (card.title.trim() === '' && card.description.trim() === '' && card.media.trim() === '') {
    problems.push({ field: path, message: `${name} needs a title, a description or a media URL` });
  }
  const title = over(`${name}'s title`, card.title, rcsLimits.cardTitle);
  if (title !== undefined) problems.push({ field: `${path}.title`, message: title });
  const description = over(`${name}'s description`, card.description, rcsLimits.cardDescription);
  if (description !== undefined) problems.push({ field: `${path}.description`, message: description });
  if (card.media.trim() !== '' && !isHttpUrl(card.media.trim())) problems.push({ field: `${path}.media_message.url`, message: `${name}'s media URL must be an absolute http(s) URL` });
  return [...problems, ...chipProblems(card.chips, `${path}.choices`, name, rcsLimits.cardChoices)];
}

export function carouselProblems(cards: readonly CardDraft[], chips: readonly ChipDraft[], path: string): Problem[] {
  const problems: Problem[] = [];
  if (cards.length < rcsLimits.carouselCardsMin || cards.length > rcsLimits.carouselCards) {
    problems.push({ field: `${path}.cards`, message: `A carousel holds ${rcsLimits.carouselCardsMin} to ${rcsLimits.carouselCards} cards (it has ${cards.length})` });
  }
  cards.forEach((card, i) => problems.push(...cardProblems(card, `${path}.cards[${i}]`, `Card ${i + 1}`)));
  return [...problems, ...chipProblems(chips, `${path}.choices`, 'The carousel', rcsLimits.carouselChoices)];
}

/** `a.cards.1.title` (how schema errors name a field) and `a.cards[1].title` (how the content rules do) alike. */
export function samePath(field: string): string {
  return field.replace(/\.(\d+)(?=\.|$)/g, '[$1]');
}
