/** The emulated registry of approved WhatsApp templates (Meta template name + language), and the checks on send. */
import type { TemplateReference } from './schemas/app-message.ts';
import type { TemplateUpsert } from './schemas/control.ts';
import { makeReason, type Reason } from './wire.ts';

export type Template = {
  name: string;
  language: string;
  version: string;
  category: 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';
  header: string | null;
  body: string;
  footer: string | null;
  buttons: { type: 'QUICK_REPLY' | 'URL'; text: string }[];
  /** Parameter keys that must be present on send, in the WhatsApp path grammar (`body[1]text`). */
  parameters: string[];
  /** Review state as the Provisioning API reports it; only APPROVED templates can be sent. */
  state: 'APPROVED' | 'PAUSED' | 'DISABLED' | 'REJECTED';
};

export const SEED_TEMPLATES: readonly TemplateUpsertWithKey[] = [
  {
    name: 'welcome', language: 'en_US', category: 'UTILITY',
    body: 'Hi {{1}}, welcome! Reply to this message to chat with us.',
  },
  {
    name: 'welcome', language: 'pt_BR', category: 'UTILITY',
    body: 'Olá {{1}}, bem-vindo! Responda a esta mensagem para falar conosco.',
  },
  {
    name: 'order_update', language: 'en_US', category: 'UTILITY',
    header: 'Order {{1}}',
    body: 'Your order {{1}} is now {{2}}.',
    footer: 'Reply STOP to opt out',
    buttons: [{ type: 'QUICK_REPLY', text: 'Track order' }, { type: 'QUICK_REPLY', text: 'Stop updates' }],
  },
];

export type TemplateUpsertWithKey = TemplateUpsert & { name: string; language: string };

function placeholderIndexes(text: string): number[] {
  const found = new Set<number>();
  for (const match of text.matchAll(/\{\{(\d+)\}\}/g)) found.add(Number(match[1]));
  return [...found].sort((a, b) => a - b);
}

export function buildTemplate(input: TemplateUpsertWithKey): Template {
  const buttons = input.buttons ?? [];
  const derived = [
    ...placeholderIndexes(input.header ?? '').map((n) => `header[${n}]text`),
    ...placeholderIndexes(input.body).map((n) => `body[${n}]text`),
    ...buttons.flatMap((b, i) => (b.type === 'QUICK_REPLY' ? [`button[${i}]quick_reply[1]payload`] : [])),
  ];
  return {
    name: input.name,
    language: input.language,
    version: input.version ?? '1',
    category: input.category ?? 'UTILITY',
    header: input.header ?? null,
    body: input.body,
    footer: input.footer ?? null,
    buttons,
    parameters: input.parameters ?? derived,
    state: input.state ?? 'APPROVED',
  };
}

export function templateKey(name: string, language: string): string {
  return `${name}\u0000${language}`;
}

export function createSeededTemplates(): Map<string, Template> {
  const map = new Map<string, Template>();
  for (const seed of SEED_TEMPLATES) map.set(templateKey(seed.name, seed.language), buildTemplate(seed));
  return map;
}

export type TemplateCheck = { ok: true; template: Template } | { ok: false; reason: Reason };

/** Asynchronous-stage check of a WhatsApp channel template reference against the registry. */
export function checkWhatsAppTemplate(templates: ReadonlyMap<string, Template>, ref: TemplateReference): TemplateCheck {
  const language = ref.language_code ?? '';
  const sameName = [...templates.values()].filter((t) => t.name === ref.template_id);
  if (sameName.length === 0) {
    return { ok: false, reason: makeReason('TEMPLATE_NOT_FOUND', `The underlying channel reported: template ${ref.template_id} does not exist`) };
  }
  const template = templates.get(templateKey(ref.template_id, language));
  if (template === undefined || template.state !== 'APPROVED') {
    return {
      ok: false,
      reason: makeReason('TEMPLATE_NON_EXISTING_LANGUAGE_OR_VERSION', `The underlying channel reported: template ${ref.template_id} does not exist in language ${language}`),
    };
  }
  const version = ref.version ?? '';
  if (version !== '' && version !== 'latest' && version !== template.version) {
    return {
      ok: false,
      reason: makeReason('TEMPLATE_NON_EXISTING_LANGUAGE_OR_VERSION', `The underlying channel reported: template ${ref.template_id} has no version ${version}`),
    };
  }
  const given = ref.parameters ?? {};
  const missing = template.parameters.filter((key) => !(key in given));
  if (missing.length > 0) {
    return {
      ok: false,
      reason: makeReason('TEMPLATE_INSUFFICIENT_PARAMETERS', `The underlying channel reported: missing template parameters ${missing.join(', ')}`),
    };
  }
  return { ok: true, template };
}

function fill(text: string, component: 'header' | 'body', params: Readonly<Record<string, string>>): string {
  return text.replace(/\{\{(\d+)\}\}/g, (whole, n: string) => params[`${component}[${n}]text`] ?? whole);
}

/** The text the customer sees for a template (used by the phone view and SMS transcoding). */
export function renderTemplate(template: Template, params: Readonly<Record<string, string>>): { header: string | null; body: string; footer: string | null } {
  return {
    header: template.header === null ? null : fill(template.header, 'header', params),
    body: fill(template.body, 'body', params),
    footer: template.footer,
  };
}
