/** The import screen's reading of a CSV file's first rows, and its guess of what each column is. */

/** The first `maxRows` records of a CSV text (RFC 4180: quoted fields with `""`, commas and line breaks inside). */
export function csvHead(text: string, maxRows: number): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const input = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < input.length && rows.length < maxRows; i++) {
    const c = input[i]!;
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell.trim()); cell = ''; } else if (c === '\n' || c === '\r') {
      if (c === '\r' && input[i + 1] === '\n') i++;
      row.push(cell.trim());
      if (row.some((v) => v !== '')) rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (rows.length < maxRows && (cell !== '' || row.length > 0)) {
    row.push(cell.trim());
    if (row.some((v) => v !== '')) rows.push(row);
  }
  return rows;
}

export const fieldTargets = [
  { value: 'phone', label: 'Phone' },
  { value: 'tags', label: 'Tags (separated by |)' },
  { value: 'time_zone', label: 'Time zone' },
  { value: 'consent_whatsapp', label: 'WhatsApp consent' },
  { value: 'consent_rcs', label: 'RCS consent' },
  { value: 'consent_sms', label: 'SMS consent' },
] as const;

/** What a column becomes: a field, an attribute (with its name) or nothing. */
export type ColumnChoice = { kind: 'field'; field: string } | { kind: 'attribute'; name: string } | { kind: 'ignore' };

/** An attribute name from a column title: letters, digits and `_` ("First name" → first_name). */
export function attributeName(column: string): string {
  const slug = column.trim().toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  return (/^[0-9]/.test(slug) ? `_${slug}` : slug || 'column').slice(0, 100);
}

/** A first guess for each column: the fields by name (and the first phone-like title as the phone), the rest attributes. */
export function guessColumns(header: readonly string[]): ColumnChoice[] {
  const fields = new Set<string>(fieldTargets.map((f) => f.value));
  const named = header.map((h) => h.trim().toLowerCase());
  const phoneLike = named.some((h) => h === 'phone') ? -1 : named.findIndex((h) => /phone|mobile|msisdn|^tel|cell/.test(h));
  return header.map((column, i) => {
    const name = named[i]!;
    if (fields.has(name)) return { kind: 'field', field: name };
    if (i === phoneLike) return { kind: 'field', field: 'phone' };
    return { kind: 'attribute', name: attributeName(column) };
  });
}

/** The mapping the API takes (`columns`), and what is wrong with it, if anything. */
export function mappingOf(header: readonly string[], choices: readonly ColumnChoice[]): { columns: Record<string, string>; problem?: string } {
  const columns: Record<string, string> = {};
  const used = new Map<string, string>();
  let problem: string | undefined;
  header.forEach((column, i) => {
    const choice = choices[i] ?? { kind: 'ignore' };
    const target = choice.kind === 'field' ? choice.field : choice.kind === 'attribute' ? `attribute:${choice.name}` : 'ignore';
    columns[column] = target;
    if (target === 'ignore') return;
    if (choice.kind === 'attribute' && !/^[A-Za-z_][A-Za-z0-9_]{0,99}$/.test(choice.name)) problem ??= `"${column}": attribute names are letters, digits and _ (not starting with a digit).`;
    const other = used.get(target);
    if (other !== undefined) problem ??= `"${other}" and "${column}" are both ${choice.kind === 'attribute' ? `the attribute ${choice.name}` : target}.`;
    used.set(target, column);
  });
  if (!used.has('phone')) problem ??= 'Choose the column that holds the phone number.';
  return { columns, ...(problem !== undefined ? { problem } : {}) };
}
