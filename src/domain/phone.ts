import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

export type PhoneResult = { ok: true; e164: string } | { ok: false; reason: string };

/**
 * Normalises a phone number to E.164. Numbers must be international (leading `+` or `00`), since a
 * messaging service has no home country to guess from.
 */
export function normalizePhone(input: string): PhoneResult {
  const trimmed = input.trim().replace(/^00/, '+');
  if (!trimmed.startsWith('+')) return { ok: false, reason: 'must be an international number starting with + and the country code, e.g. +46732000001' };
  const parsed = parsePhoneNumberFromString(trimmed);
  if (parsed === undefined || !parsed.isPossible()) return { ok: false, reason: 'is not a possible phone number' };
  if (!parsed.isValid()) return { ok: false, reason: 'is not a valid phone number for its country' };
  return { ok: true, e164: parsed.number };
}
