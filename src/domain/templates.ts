/**
 * The templates an integration can send, as read from Sinch (protocol notes §6.1): the approved WhatsApp (Meta)
 * templates from the Provisioning API and the omni-channel templates from the Template Management API v2; and the
 * check of a WhatsApp template send against them, before anything goes to Sinch. Pure.
 */
import type { AppMessage, TemplateReference } from './app-message.ts';

export interface WhatsAppTemplate {
  name: string;
  /** Conversation API form: `en_US`. */
  language: string;
  category: string;
  /** Parameter keys a send must give, in the WhatsApp path grammar (`body[1]text`), in component order. */
  parameters: string[];
  /** The template's texts, for showing it (`{{n}}` placeholders kept). */
  header: string | null;
  body: string;
  footer: string | null;
  buttons: Array<{ type: string; text: string }>;
}

export interface OmniTranslation {
  /** BCP-47 form as Sinch stores it: `en-US`. */
  language_code: string;
  /** Omni variables a send names in `omni_template.parameters`. */
  variables: string[];
  /** The WhatsApp template this translation sends on WhatsApp (`channel_template_overrides.WHATSAPP`), or null. */
  whatsapp: { name: string; language: string; parameter_mappings: Record<string, string>; fixed_parameters: string[] } | null;
}

export interface OmniTemplate {
  id: string;
  description: string;
  version: number;
  default_translation: string;
  translations: OmniTranslation[];
}

export interface TemplateCatalogue {
  whatsapp: WhatsAppTemplate[];
  omni: OmniTemplate[];
}

const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/** `EN_US`, `en-us`, `en_US` → `en_US`; `zh-hant-tw` → `zh_Hant_TW` (the form the Conversation API wants for WhatsApp). */
export function whatsAppLanguage(code: string): string {
  return code.split(/[-_]/).map((p, i) => (i === 0 ? p.toLowerCase() : p.length === 4 ? `${p.charAt(0).toUpperCase()}${p.slice(1).toLowerCase()}` : p.toUpperCase())).join('_');
}

function placeholders(text: string): number[] {
  const found = new Set<number>();
  for (const match of text.matchAll(/\{\{\s*(\d+)\s*\}\}/g)) found.add(Number(match[1]));
  return [...found].sort((a, b) => a - b);
}

/**
 * One template of the Provisioning API's list. Its `details.components` follow Meta's component names (HEADER with a
 * format, BODY, FOOTER, BUTTONS); the parameter keys are derived from them: `{{n}}` in a text header or the body, a
 * media header's link, a quick reply's payload, a URL button with a variable, a copy-code button's code.
 */
export function parseWhatsAppTemplate(raw: unknown): WhatsAppTemplate | undefined {
  const t = obj(raw);
  const name = str(t.name);
  if (name === '') return undefined;
  const components = arr(obj(t.details).components).map(obj);
  const parameters: string[] = [];
  let header: string | null = null;
  let body = '';
  let footer: string | null = null;
  const buttons: Array<{ type: string; text: string }> = [];
  for (const c of components) {
    const type = str(c.type).toUpperCase();
    if (type === 'HEADER') {
      const format = str(c.format).toUpperCase() || 'TEXT';
      if (format === 'TEXT') {
        header = str(c.text);
        parameters.push(...placeholders(header).map((n) => `header[${n}]text`));
      } else if (['IMAGE', 'VIDEO', 'DOCUMENT'].includes(format)) {
        header = `[${format.toLowerCase()}]`;
        parameters.push(`header[1]${format.toLowerCase()}.link`);
      }
    } else if (type === 'BODY') {
      body = str(c.text);
      parameters.push(...placeholders(body).map((n) => `body[${n}]text`));
    } else if (type === 'FOOTER') {
      footer = str(c.text);
    } else if (type === 'BUTTONS') {
      for (const [i, b] of arr(c.buttons).map(obj).entries()) {
        const kind = str(b.type).toUpperCase();
        buttons.push({ type: kind, text: str(b.text) });
        if (kind === 'QUICK_REPLY') parameters.push(`button[${i}]quick_reply[1]payload`);
        else if (kind === 'URL' && placeholders(str(b.url)).length > 0) parameters.push(`button[${i}]url[1]text`);
        else if (kind === 'COPY_CODE') parameters.push(`button[${i}]copy_code[1]coupon_code`);
      }
    }
  }
  return { name, language: whatsAppLanguage(str(t.language)), category: str(t.category).toUpperCase(), parameters, header, body, footer, buttons };
}

/** One template of the Template Management API v2 list. */
export function parseOmniTemplate(raw: unknown): OmniTemplate | undefined {
  const t = obj(raw);
  const id = str(t.id);
  if (id === '') return undefined;
  const translations = arr(t.translations).map(obj).map((tr): OmniTranslation => {
    const override = obj(obj(tr.channel_template_overrides).WHATSAPP);
    const ref = obj(override.template_reference);
    const mappings = Object.fromEntries(Object.entries(obj(override.parameter_mappings)).map(([k, v]) => [k, str(v)]));
    return {
      language_code: str(tr.language_code),
      variables: arr(tr.variables).map((v) => str(obj(v).key)).filter((k) => k !== ''),
      whatsapp: str(ref.template_id) === '' ? null : {
        name: str(ref.template_id), language: whatsAppLanguage(str(ref.language_code)), parameter_mappings: mappings, fixed_parameters: Object.keys(obj(ref.parameters)),
      },
    };
  });
  return { id, description: str(t.description), version: Number(t.version) || 1, default_translation: str(t.default_translation), translations };
}

export type TemplateProblem = { field: string; message: string } | undefined;

function listNames(templates: readonly WhatsAppTemplate[]): string {
  const byName = new Map<string, string[]>();
  for (const t of templates) byName.set(t.name, [...(byName.get(t.name) ?? []), t.language]);
  return [...byName].map(([name, langs]) => `${name} (${langs.join(', ')})`).join(', ') || 'none';
}

function checkWhatsAppRef(catalogue: TemplateCatalogue, ref: { name: string; language: string; given: ReadonlySet<string> }, fields: { name: string; language: string; parameters: string }): TemplateProblem {
  const sameName = catalogue.whatsapp.filter((t) => t.name === ref.name);
  if (sameName.length === 0) {
    return { field: fields.name, message: `${fields.name} ${ref.name} is not an approved WhatsApp template of this integration's Sinch project; approved templates: ${listNames(catalogue.whatsapp)}` };
  }
  const template = sameName.find((t) => t.language === ref.language);
  if (template === undefined) {
    return { field: fields.language, message: `${fields.language} ${ref.language} is not a language of the WhatsApp template ${ref.name}; its languages: ${sameName.map((t) => t.language).join(', ')}` };
  }
  const missing = template.parameters.filter((p) => !ref.given.has(p));
  if (missing.length > 0) {
    return {
      field: fields.parameters,
      message: `${fields.parameters} lacks ${missing.join(', ')}; the WhatsApp template ${ref.name} (${ref.language}) takes the parameters ${template.parameters.join(', ')}`,
    };
  }
  return undefined;
}

/**
 * Checks a WhatsApp template send (a channel template, or an omni template through its WHATSAPP override) against
 * the catalogue: unknown template or language, or a missing parameter, named by field with what exists. Other
 * messages pass.
 */
export function checkWhatsAppTemplateSend(catalogue: TemplateCatalogue, message: AppMessage, path = 'message'): TemplateProblem {
  const tm = message.template_message;
  if (tm === undefined) return undefined;
  const channelRef: TemplateReference | undefined = tm.channel_template?.WHATSAPP;
  if (channelRef !== undefined) {
    const p = `${path}.template_message.channel_template.WHATSAPP`;
    return checkWhatsAppRef(catalogue, { name: channelRef.template_id, language: channelRef.language_code ?? '', given: new Set(Object.keys(channelRef.parameters ?? {})) },
      { name: `${p}.template_id`, language: `${p}.language_code`, parameters: `${p}.parameters` });
  }
  const omni = tm.omni_template;
  if (omni === undefined) return undefined;
  const p = `${path}.template_message.omni_template`;
  const template = catalogue.omni.find((t) => t.id === omni.template_id);
  if (template === undefined) {
    return { field: `${p}.template_id`, message: `${p}.template_id ${omni.template_id} is not an omni-channel template of this integration's Sinch project; its templates: ${catalogue.omni.map((t) => t.id).join(', ') || 'none'}` };
  }
  if (omni.version !== 'latest' && omni.version !== String(template.version)) {
    return { field: `${p}.version`, message: `${p}.version must be latest or ${template.version}, the omni-channel template's version` };
  }
  const language = omni.language_code ?? template.default_translation;
  const translation = template.translations.find((t) => t.language_code === language);
  if (translation === undefined) {
    return { field: `${p}.language_code`, message: `${p}.language_code ${language} is not a translation of the omni-channel template ${template.id}; its translations: ${template.translations.map((t) => t.language_code).join(', ')}` };
  }
  if (translation.whatsapp === null) {
    return {
      field: `${p}.template_id`,
      message: `${p}.template_id ${template.id} has no WHATSAPP override in ${language}: on WhatsApp Sinch would send it as a free-form message, which only reaches customers inside the 24-hour window; add a WhatsApp template override to the translation or send channel_template.WHATSAPP`,
    };
  }
  const given = new Set(Object.keys(omni.parameters ?? {}));
  const missingVariables = Object.values(translation.whatsapp.parameter_mappings).filter((v) => !given.has(v));
  if (missingVariables.length > 0) {
    const all = [...new Set(Object.values(translation.whatsapp.parameter_mappings))];
    return { field: `${p}.parameters`, message: `${p}.parameters lacks ${[...new Set(missingVariables)].join(', ')}; the omni-channel template ${template.id} (${language}) takes the parameters ${all.join(', ')}` };
  }
  const filled = new Set([...translation.whatsapp.fixed_parameters, ...Object.keys(translation.whatsapp.parameter_mappings)]);
  return checkWhatsAppRef(catalogue, { name: translation.whatsapp.name, language: translation.whatsapp.language, given: filled },
    { name: `${p}.template_id`, language: `${p}.language_code`, parameters: `${p}.parameters` });
}
