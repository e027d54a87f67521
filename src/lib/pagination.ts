import { invalidField } from './app-error.ts';

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface PageRequest {
  limit: number;
  after: string | undefined;
}

const notOurs = () => invalidField('cursor', 'cursor is not one this API returned');

/** Opaque cursors wrap the last seen sort key, so clients never depend on its form. */
export function encodeCursor(key: string): string {
  return Buffer.from(JSON.stringify({ k: key })).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // A key with NUL was never ours (no stored key holds one) and PostgreSQL cannot even compare it.
    if (typeof parsed === 'object' && parsed !== null && 'k' in parsed && typeof parsed.k === 'string' && !parsed.k.includes('\u0000')) return parsed.k;
  } catch {
    // fall through to the error below
  }
  throw notOurs();
}

/** A cursor key made of two strings (a composite sort key), e.g. (timestamp, id). */
export function pairKey(a: string, b: string): string {
  return JSON.stringify([a, b]);
}

export function parsePairKey(key: string | undefined): [string, string] | undefined {
  if (key === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(key);
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string') return [parsed[0], parsed[1]];
  } catch {
    // fall through to the error below
  }
  throw notOurs();
}

/** A cursor key that is a whole number (e.g. a row number). */
export function parseIntegerKey(key: string | undefined): number | undefined {
  if (key === undefined) return undefined;
  if (!/^(0|[1-9][0-9]{0,14})$/.test(key)) throw notOurs();
  return Number(key);
}

/** A cursor key made of a number and a string, e.g. (a timestamp in seconds, an id). */
export function numberPairKey(n: number, s: string): string {
  return JSON.stringify([n, s]);
}

export function parseNumberPairKey(key: string | undefined): [number, string] | undefined {
  if (key === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(key);
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'number' && Number.isFinite(parsed[0]) && typeof parsed[1] === 'string') return [parsed[0], parsed[1]];
  } catch {
    // fall through to the error below
  }
  throw notOurs();
}

export function toPageRequest(query: { limit?: number; cursor?: string }): PageRequest {
  return { limit: query.limit ?? 100, after: decodeCursor(query.cursor) };
}

/** Builds a page from `limit + 1` fetched rows: the extra row only says that more exist. */
export function buildPage<R, T>(rows: R[], limit: number, keyOf: (row: R) => string, toItem: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  const last = pageRows.at(-1);
  return { data: pageRows.map(toItem), next_cursor: more && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
