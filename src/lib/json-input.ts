/**
 * Checks on parsed JSON (and other plain values) that no schema expresses: text without NUL characters (PostgreSQL
 * cannot store U+0000 in text, SQLite can: refusing it everywhere keeps the two alike), finite numbers (`1e999` parses
 * as Infinity; so does a query's `?limit=Infinity` once coerced), and a bounded nesting depth (a deep value
 * overflows the stack of whatever walks it recursively later, `JSON.stringify` included). Iterative, so any
 * depth is safe to check.
 */

export type JsonProblem =
  | { kind: 'nul'; path: Array<string | number> }
  | { kind: 'nul_key'; path: Array<string | number> }
  | { kind: 'not_finite'; path: Array<string | number> }
  | { kind: 'too_deep'; path: Array<string | number> };

/**
 * The first problem found in `value`, depth first, or undefined. `maxDepth` counts containers: `{"a": 1}` has
 * depth 1, `{"a": {"b": [1]}}` depth 3.
 */
export function findJsonProblem(value: unknown, maxDepth: number): JsonProblem | undefined {
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (typeof current === 'string') {
      if (current.includes('\u0000')) return { kind: 'nul', path };
    } else if (typeof current === 'number') {
      if (!Number.isFinite(current)) return { kind: 'not_finite', path };
    } else if (current !== null && typeof current === 'object') {
      // Containers only: a stream or a buffer (a CSV upload, a raw body) is not JSON and not ours to walk.
      const array = Array.isArray(current);
      if (ArrayBuffer.isView(current) || typeof (current as { pipe?: unknown }).pipe === 'function') continue;
      const depth = path.length + 1;
      if (depth > maxDepth) return { kind: 'too_deep', path };
      if (array) {
        for (let i = current.length - 1; i >= 0; i -= 1) stack.push({ value: current[i], path: [...path, i] });
      } else {
        const keys = Object.keys(current);
        for (const key of keys) if (key.includes('\u0000')) return { kind: 'nul_key', path };
        for (let i = keys.length - 1; i >= 0; i -= 1) {
          const key = keys[i]!;
          stack.push({ value: (current as Record<string, unknown>)[key], path: [...path, key] });
        }
      }
    }
  }
  return undefined;
}

/** The deepest nesting of containers in `value` is more than `maxDepth` (iterative; stops at the first). */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth + 1 > maxDepth) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current as Record<string, unknown>)) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}

/** A copy with every U+0000 in strings and keys replaced by U+FFFD (call on values of bounded depth only). */
export function replaceNul<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('\u0000', '\uFFFD') as T;
  if (Array.isArray(value)) return value.map((v: unknown) => replaceNul(v)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      Object.defineProperty(out, k.replaceAll('\u0000', '\uFFFD'), { value: replaceNul(v), enumerable: true, writable: true, configurable: true });
    }
    return out as T;
  }
  return value;
}

/** `["messages", 0, "to"]` → `messages.0.to`, the form validation errors name fields in. */
export function fieldPath(path: ReadonlyArray<string | number>): string {
  return path.map(String).join('.');
}
