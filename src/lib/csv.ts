/**
 * Cells of every CSV the service writes (event exports, campaign reports and their messages, import error reports):
 * RFC 4180 quoting, and no live formulas. A spreadsheet takes a cell that starts with `=`, `+`, `-`, `@`, a tab or a
 * carriage return as a formula (CSV injection, OWASP): such a cell gets a leading `'`, which spreadsheets show as text.
 *
 * Except plain numbers: a cell that is only an optional sign, digits and an optional decimal part (`+46732000001`,
 * `-3`, `1723484965.92`) is written as it is. It cannot call anything; a spreadsheet reads it as a number (an E.164
 * phone number then shows without its `+`: import that column as text to keep it), and programs reading the export
 * get the number unchanged, which a `'` would break. Anything else starting with those characters is prefixed.
 */

const formulaStart = /^[=+\-@\t\r]/;
const plainNumber = /^[+-]?[0-9]+(?:\.[0-9]+)?$/;

/** One cell: null and undefined are empty; objects are written as JSON. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
  if (formulaStart.test(text) && !plainNumber.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One line, ended by CRLF. */
export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
