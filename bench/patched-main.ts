/**
 * EXPERIMENTS ONLY, never the benchmark's headline numbers: starts the service (`src/main.ts`) with runtime
 * patches that try out a suggested optimisation without changing the service's code, so its effect can be
 * measured (`npm run bench -- ingest --experiment stmt-cache,pooled-random`). `BENCH_PATCHES` lists them:
 *
 * - `stmt-cache`: `node:sqlite` prepared statements are cached by SQL text and reused (the service's driver,
 *   src/db/sqlite-driver.ts, prepares every statement anew on each query).
 * - `pooled-random`: `crypto.getRandomValues` serves small requests from a pre-filled 4 KiB pool (ulidx, behind
 *   src/lib/ids.ts `createId`, asks for one random byte at a time, 16 times per id).
 */
import { randomFillSync } from 'node:crypto';
import { DatabaseSync, type StatementSync } from 'node:sqlite';

const patches = new Set((process.env.BENCH_PATCHES ?? '').split(',').map((p) => p.trim()).filter(Boolean));
const known = new Set(['stmt-cache', 'pooled-random']);
for (const p of patches) {
  if (!known.has(p)) {
    console.error(`unknown patch ${p}; known: ${[...known].join(', ')}`);
    process.exit(2);
  }
}

if (patches.has('stmt-cache')) {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the right `this`
  const prepare = DatabaseSync.prototype.prepare as (this: DatabaseSync, sql: string, ...rest: unknown[]) => StatementSync;
  const caches = new WeakMap<DatabaseSync, Map<string, StatementSync>>();
  DatabaseSync.prototype.prepare = function cachedPrepare(this: DatabaseSync, sql: string, ...rest: unknown[]): StatementSync {
    let cache = caches.get(this);
    if (cache === undefined) {
      cache = new Map();
      caches.set(this, cache);
    }
    let statement = cache.get(sql);
    if (statement === undefined) {
      statement = prepare.call(this, sql, ...rest);
      if (cache.size < 1000) cache.set(sql, statement);
    }
    return statement;
  };
}

if (patches.has('pooled-random')) {
  const pool = new Uint8Array(4096);
  let offset = pool.length;
  const original = globalThis.crypto.getRandomValues.bind(globalThis.crypto);
  globalThis.crypto.getRandomValues = function pooledGetRandomValues<T extends ArrayBufferView | null>(array: T): T {
    if (array === null || array.byteLength > 64) return original(array as never);
    const view = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    if (offset + view.length > pool.length) {
      randomFillSync(pool);
      offset = 0;
    }
    view.set(pool.subarray(offset, offset + view.length));
    offset += view.length;
    return array;
  };
}

console.error(`bench/patched-main.ts: EXPERIMENT, service running with patches: ${[...patches].join(', ') || '(none)'}`);
await import('../src/main.ts');
