import { normalizePhone } from './phone.ts';
import { attributeKeyPattern, tagPattern } from './segment-filter.ts';
import type { ConsentState } from './send-policy.ts';

/** One customer as an import row or a bulk-upsert item gives it: only what is set changes. */
export interface CustomerInput {
  phone: string;
  attributes: Record<string, string | number | boolean | null>;
  /** Replaces the customer's tags when given. */
  tags: string[] | undefined;
  consent: { whatsapp?: ConsentState; rcs?: ConsentState; sms?: ConsentState };
  timeZone: string | undefined;
}

export type InputProblem = { field: string; message: string };
export type InputResult = { ok: true; input: CustomerInput } | { ok: false; problems: InputProblem[] };

/** Attributes of one customer are at most this many bytes of JSON. */
export const maxAttributesBytes = 16_384;

const zones = new Set(Intl.supportedValuesOf('timeZone'));

export function isTimeZone(value: string): boolean {
  if (zones.has(value) || value === 'UTC') return true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

function consentOf(value: unknown, field: string, problems: InputProblem[]): ConsentState | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (value === 'granted' || value === 'revoked' || value === 'unknown') return value;
  problems.push({ field, message: `${field} must be granted, revoked or unknown` });
  return undefined;
}

/**
 * Attributes as documented (docs/campaigns.md): an object of names (letters, digits and `_`, at most 100 characters,
 * not starting with a digit) to JSON scalars (text without NUL, finite numbers, true/false, null), at most
 * `maxAttributesBytes` of JSON in all. Problems are added to `problems`, each naming its field.
 */
export function checkAttributes(raw: unknown, problems: InputProblem[]): Record<string, string | number | boolean | null> {
  // No prototype: an attribute named `__proto__` (a valid name) is kept as one, not taken as the object's prototype.
  const attributes = Object.create(null) as Record<string, string | number | boolean | null>;
  if (raw === undefined || raw === null) return attributes;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push({ field: 'attributes', message: 'attributes must be an object of names to values' });
    return attributes;
  }
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!attributeKeyPattern.test(key)) {
      problems.push({ field: `attributes.${key.slice(0, 100)}`, message: 'attribute names are letters, digits and _, at most 100 characters, not starting with a digit' });
    } else if (value !== null && typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      problems.push({ field: `attributes.${key}`, message: `attributes.${key} must be text, a number, true/false or null` });
    } else if (typeof value === 'number' && !Number.isFinite(value)) {
      problems.push({ field: `attributes.${key}`, message: `attributes.${key} must be a finite number` });
    } else if (typeof value === 'string' && value.includes('\u0000')) {
      problems.push({ field: `attributes.${key}`, message: `attributes.${key} must not contain the NUL character (U+0000)` });
    } else {
      attributes[key] = value;
    }
  }
  checkAttributesSize(attributes, problems);
  return attributes;
}

/** The documented bound on a customer's attributes, checked on what is stored (after a PATCH merged them, too). */
export function checkAttributesSize(attributes: Record<string, unknown>, problems: InputProblem[]): void {
  if (Buffer.byteLength(JSON.stringify(attributes)) > maxAttributesBytes) {
    problems.push({ field: 'attributes', message: `attributes must be at most ${maxAttributesBytes} bytes of JSON` });
  }
}

/**
 * Checks one customer from an import row or the bulk API, naming every field at fault. Phones are normalised to
 * E.164 (the key customers are matched by); tags are lower-cased; attributes keep their type.
 */
export function checkCustomerInput(raw: {
  phone?: unknown;
  attributes?: unknown;
  tags?: unknown;
  consent?: unknown;
  time_zone?: unknown;
}): InputResult {
  const problems: InputProblem[] = [];
  let phone = '';
  if (typeof raw.phone !== 'string' || raw.phone.trim() === '') {
    problems.push({ field: 'phone', message: 'phone is required' });
  } else {
    const normalized = normalizePhone(raw.phone);
    if (normalized.ok) phone = normalized.e164;
    else problems.push({ field: 'phone', message: `phone ${normalized.reason}` });
  }
  const attributes = checkAttributes(raw.attributes, problems);
  let tags: string[] | undefined;
  if (raw.tags !== undefined && raw.tags !== null) {
    const list = typeof raw.tags === 'string' ? raw.tags.split(/[|;,]/).map((t) => t.trim()).filter(Boolean) : raw.tags;
    if (!Array.isArray(list)) {
      problems.push({ field: 'tags', message: 'tags must be a list' });
    } else {
      tags = [];
      for (const tag of list) {
        const t = typeof tag === 'string' ? tag.trim().toLowerCase() : '';
        if (!tagPattern.test(t)) problems.push({ field: 'tags', message: `tag "${String(tag).slice(0, 60)}" must be a-z, 0-9, _ or -, at most 50 characters` });
        else if (!tags.includes(t)) tags.push(t);
      }
      if (tags.length > 100) problems.push({ field: 'tags', message: 'at most 100 tags' });
    }
  }
  const consentRaw = (typeof raw.consent === 'object' && raw.consent !== null ? raw.consent : {}) as Record<string, unknown>;
  const consent: CustomerInput['consent'] = {};
  for (const channel of ['whatsapp', 'rcs', 'sms'] as const) {
    const state = consentOf(consentRaw[channel], `consent.${channel}`, problems);
    if (state !== undefined) consent[channel] = state;
  }
  let timeZone: string | undefined;
  if (raw.time_zone !== undefined && raw.time_zone !== null && raw.time_zone !== '') {
    if (typeof raw.time_zone !== 'string' || !isTimeZone(raw.time_zone)) problems.push({ field: 'time_zone', message: 'time_zone must be an IANA time zone such as Europe/Stockholm' });
    else timeZone = raw.time_zone;
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, input: { phone, attributes, tags, consent, timeZone } };
}

/** Tags as stored (`,a,b,`, so one is found with LIKE) and back. */
export function storeTags(tags: readonly string[]): string {
  return tags.length === 0 ? '' : `,${tags.join(',')},`;
}

export function readTags(stored: string): string[] {
  return stored.split(',').filter(Boolean);
}
