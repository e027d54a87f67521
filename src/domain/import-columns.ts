import { attributeKeyPattern } from './segment-filter.ts';

/** What a CSV column of a customer import becomes. */
export type ColumnTarget = 'phone' | 'tags' | 'time_zone' | 'consent_whatsapp' | 'consent_rcs' | 'consent_sms' | 'ignore' | `attribute:${string}`;

/** The columns with a meaning of their own; a column named so is that field unless mapped otherwise. */
export const fieldColumns = ['phone', 'tags', 'time_zone', 'consent_whatsapp', 'consent_rcs', 'consent_sms'] as const;
const fieldSet: ReadonlySet<string> = new Set(fieldColumns);

/** An import's column mapping: the file's column name → what it becomes. Columns not named keep their default. */
export type ColumnMapping = Readonly<Record<string, ColumnTarget>>;

export type MappingProblem = { field: string; message: string };

const maxMappedColumns = 500;

function targetProblem(target: unknown): string | undefined {
  if (typeof target !== 'string') return 'must be a string';
  if (target === 'ignore' || fieldSet.has(target)) return undefined;
  if (target.startsWith('attribute:')) {
    return attributeKeyPattern.test(target.slice('attribute:'.length))
      ? undefined : 'attribute names are letters, digits and _, starting with a letter or _, at most 100 characters';
  }
  return `must be one of ${fieldColumns.join(', ')}, ignore, or attribute:<name>`;
}

/** Checks a mapping given with an import (`columns`); problems name the field as `columns.<file column>`. */
export function checkColumnMapping(value: unknown): { ok: true; mapping: ColumnMapping } | { ok: false; problem: MappingProblem } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: { field: 'columns', message: 'must be an object: the file\'s column name → phone, tags, time_zone, consent_whatsapp, consent_rcs, consent_sms, ignore or attribute:<name>' } };
  }
  const entries = Object.entries(value);
  if (entries.length > maxMappedColumns) return { ok: false, problem: { field: 'columns', message: `at most ${maxMappedColumns} columns` } };
  const used = new Map<string, string>();
  for (const [column, target] of entries) {
    const field = `columns.${column}`;
    if (column.trim() === '' || column.length > 200) return { ok: false, problem: { field, message: 'a column name is 1 to 200 characters' } };
    const problem = targetProblem(target);
    if (problem !== undefined) return { ok: false, problem: { field, message: problem } };
    if (target === 'ignore') continue;
    const other = used.get(target as string);
    if (other !== undefined) return { ok: false, problem: { field, message: `${String(target)} is already the column "${other}"` } };
    used.set(target as string, column);
  }
  return { ok: true, mapping: value as ColumnMapping };
}

/** What a column becomes when the mapping does not name it: a field of that name, else an attribute of that name. */
function defaultTarget(column: string): ColumnTarget {
  return fieldSet.has(column) ? (column as ColumnTarget) : `attribute:${column}`;
}

/**
 * The file's header row read with the mapping: what each column becomes, or the first problem (a mapped column the
 * file lacks, two columns for one field, no phone column, a column that needs a mapping).
 */
export function resolveColumns(header: readonly string[], mapping: ColumnMapping | null): { ok: true; targets: ColumnTarget[] } | { ok: false; problem: MappingProblem } {
  const named = new Set(header);
  for (const column of Object.keys(mapping ?? {})) {
    if (!named.has(column)) return { ok: false, problem: { field: `columns.${column}`, message: `the file has no column "${column.slice(0, 100)}" (its columns: ${header.map((h) => `"${h.slice(0, 100)}"`).join(', ')})` } };
  }
  const targets: ColumnTarget[] = [];
  const used = new Map<string, string>();
  for (const column of header) {
    const target = mapping?.[column] ?? defaultTarget(column);
    if (target !== 'ignore') {
      if (target.startsWith('attribute:') && !attributeKeyPattern.test(target.slice('attribute:'.length))) {
        return { ok: false, problem: { field: 'csv', message: `column "${column.slice(0, 100)}" is not a valid attribute name (letters, digits and _, at most 100 characters): map it with columns, e.g. {"${column.slice(0, 100)}": "attribute:${column.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^([0-9])/, '_$1').slice(0, 100)}"} or "ignore"` } };
      }
      const other = used.get(target);
      if (other !== undefined) {
        const what = target.startsWith('attribute:') ? `the attribute ${target.slice('attribute:'.length)}` : target;
        return { ok: false, problem: { field: 'csv', message: `columns "${other.slice(0, 100)}" and "${column.slice(0, 100)}" are both ${what}; map one of them elsewhere or to "ignore"` } };
      }
      used.set(target, column);
    }
    targets.push(target);
  }
  if (!used.has('phone')) {
    return { ok: false, problem: { field: 'csv', message: 'no column is the phone: name one `phone`, or map one with columns, e.g. {"Mobile": "phone"}' } };
  }
  return { ok: true, targets };
}
