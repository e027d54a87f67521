/**
 * Omni-channel templates (Sinch's Template Management API v2, protocol notes §2.4 and §6.1): per project, versioned,
 * one translation per language, each an AppMessage body that may carry `channel_template_overrides.WHATSAPP`
 * pointing at a WhatsApp (Meta) template. On a WhatsApp leg such an override is what is sent; without one the omni
 * template is transcoded like any free-form message (so the 24-hour window applies).
 */
import type { TemplateReference } from './schemas/app-message.ts';
import { makeReason, type Reason } from './wire.ts';

export type ChannelTemplateOverride = {
  template_reference?: TemplateReference;
  /** WhatsApp parameter key (`body[1]text`) → omni variable name whose value fills it. */
  parameter_mappings?: Record<string, string>;
};

export type OmniTranslation = Record<string, unknown> & {
  language_code: string;
  version: string;
  channel_template_overrides?: { WHATSAPP?: ChannelTemplateOverride; KAKAOTALK?: ChannelTemplateOverride };
  variables?: { key?: string; preview_value?: string }[];
  create_time: string;
  update_time: string;
};

export type OmniTemplate = {
  id: string;
  description: string;
  version: number;
  default_translation: string;
  translations: OmniTranslation[];
  create_time: string;
  update_time: string;
};

export function omniKey(projectId: string, templateId: string): string {
  return `${projectId}\u0000${templateId}`;
}

/** What a WhatsApp leg sends for an omni template: its WHATSAPP override as a channel template reference, or free-form. */
export type OmniOnWhatsApp = { ok: true; whatsApp: TemplateReference | null } | { ok: false; reason: Reason };

export function resolveOmniOnWhatsApp(template: OmniTemplate | undefined, ref: TemplateReference): OmniOnWhatsApp {
  if (template === undefined) {
    return { ok: false, reason: makeReason('TEMPLATE_NOT_FOUND', `Omni-channel template ${ref.template_id} does not exist`) };
  }
  const version = ref.version ?? '';
  if (version !== 'latest' && version !== String(template.version)) {
    return { ok: false, reason: makeReason('TEMPLATE_NON_EXISTING_LANGUAGE_OR_VERSION', `Omni-channel template ${ref.template_id} has no version ${version}`) };
  }
  const language = ref.language_code ?? template.default_translation;
  const translation = template.translations.find((t) => t.language_code === language);
  if (translation === undefined) {
    return { ok: false, reason: makeReason('TEMPLATE_NON_EXISTING_LANGUAGE_OR_VERSION', `Omni-channel template ${ref.template_id} has no translation ${language}`) };
  }
  const override = translation.channel_template_overrides?.WHATSAPP?.template_reference;
  if (override === undefined) return { ok: true, whatsApp: null };
  const given = ref.parameters ?? {};
  const parameters: Record<string, string> = { ...override.parameters };
  for (const [whatsAppKey, variable] of Object.entries(translation.channel_template_overrides?.WHATSAPP?.parameter_mappings ?? {})) {
    const value = given[variable];
    if (value !== undefined) parameters[whatsAppKey] = value;
  }
  return { ok: true, whatsApp: { ...override, parameters } };
}
