import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

export type PhoneResult = { ok: true; e164: string } | { ok: false; reason: string };

/**
 * What a phone number may be written with: `+` (or `00`) and the country code, then digits, each group optionally
 * separated by a space, `-`, `.` or parentheses, as people write numbers. libphonenumber on its own reads a number
 * out of longer text and drops the rest (`;ext=12`, `x12`, letters, NUL, a trailing `/`), so anything else is refused
 * here rather than silently cut off.
 */
const writtenNumber = /^(\+|00)[0-9]+(?:[ .-]?(?:[0-9]+|\([0-9]+\)))*$/;

/**
 * Normalises a phone number to E.164. Numbers must be international (leading `+` or `00`), since a
 * messaging service has no home country to guess from. Spaces around it are ignored; nothing else is.
 */
export function normalizePhone(input: string): PhoneResult {
  const written = input.trim();
  if (!written.startsWith('+') && !written.startsWith('00')) return { ok: false, reason: 'must be an international number starting with + and the country code, e.g. +46732000001' };
  if (!writtenNumber.test(written)) return { ok: false, reason: 'must be only digits after the + (spaces, -, . and parentheses may separate them), with no extension or other text' };
  const parsed = parsePhoneNumberFromString(written.replace(/^00/, '+'));
  if (parsed === undefined || !parsed.isPossible()) return { ok: false, reason: 'is not a possible phone number' };
  if (!parsed.isValid()) return { ok: false, reason: 'is not a valid phone number for its country' };
  if (parsed.ext !== undefined) return { ok: false, reason: 'must not have an extension' };
  return { ok: true, e164: parsed.number };
}
