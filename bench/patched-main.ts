/**
 * EXPERIMENTS ONLY, never the benchmark's headline numbers: starts the service (`src/main.ts`) with runtime
 * patches that try out a suggested optimisation without changing the service's code, so its effect can be
 * measured (`npm run bench -- ingest --experiment stmt-cache,pooled-random`). `BENCH_PATCHES` lists them:
 *
 * - `stmt-cache`: `node:sqlite` prepared statements are cached by SQL text and reused (the service's driver,
 *   src/db/sqlite-driver.ts, prepares every statement anew on each query).
 * - `pooled-random`: `crypto.getRandomValues` serves small requests from a pre-filled 4 KiB pool (ulidx, behind
 *   src/lib/ids.ts `createId`, asks for one random byte at a time, 16 times per id).
 * - `claim-index`: adds an index `jobs (dead, run_at, id)` (before the first job claim), so the claim in
 *   src/jobs/queue.ts, whose `kind in (…)` over several kinds defeats `jobs_ready (dead, kind, run_at)`, reads jobs
 *   in order instead of sorting every ready job in a temp B-tree on each claim.
 * - `sql-census`: no optimisation; counts and times every statement (prepare, run/all) by SQL text. SIGUSR2
 *   writes the counts since the previous SIGUSR2 to `BENCH_CENSUS_FILE` and starts counting afresh.
 */
import { randomFillSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { DatabaseSync, type StatementSync } from 'node:sqlite';

const patches = new Set((process.env.BENCH_PATCHES ?? '').split(',').map((p) => p.trim()).filter(Boolean));
const known = new Set(['stmt-cache', 'pooled-random', 'claim-index', 'sql-census']);
for (const p of patches) {
  if (!known.has(p)) {
    console.error(`unknown patch ${p}; known: ${[...known].join(', ')}`);
    process.exit(2);
  }
}

type PrepareFn = (this: DatabaseSync, sql: string, ...rest: unknown[]) => StatementSync;

if (patches.has('sql-census')) {
  // Installed first: with `stmt-cache` too, `prepares` counts the cache misses (real prepares), `runs` every execution.
  const file = process.env.BENCH_CENSUS_FILE ?? 'sql-census.json';
  interface Entry { prepares: number; prepareUs: number; runs: number; runUs: number }
  let census = new Map<string, Entry>();
  const entry = (sql: string): Entry => {
    let e = census.get(sql);
    if (e === undefined) {
      e = { prepares: 0, prepareUs: 0, runs: 0, runUs: 0 };
      census.set(sql, e);
    }
    return e;
  };
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the right `this`
  const prepare = DatabaseSync.prototype.prepare as PrepareFn;
  DatabaseSync.prototype.prepare = function countedPrepare(this: DatabaseSync, sql: string, ...rest: unknown[]): StatementSync {
    const t0 = performance.now();
    const statement = prepare.call(this, sql, ...rest);
    const e = entry(sql);
    e.prepares += 1;
    e.prepareUs += (performance.now() - t0) * 1000;
    const timed = <A extends unknown[], R>(fn: (...args: A) => R) => (...args: A): R => {
      const t1 = performance.now();
      try {
        return fn(...args);
      } finally {
        const x = entry(sql);
        x.runs += 1;
        x.runUs += (performance.now() - t1) * 1000;
      }
    };
    return new Proxy(statement, {
      get(target, key) {
        const value = Reflect.get(target, key, target) as unknown;
        if (key === 'run' || key === 'all' || key === 'get') return timed((value as (...a: unknown[]) => unknown).bind(target));
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
  process.on('SIGUSR2', () => {
    writeFileSync(file, JSON.stringify(Object.fromEntries(census)));
    census = new Map();
  });
}

if (patches.has('stmt-cache')) {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the right `this`
  const prepare = DatabaseSync.prototype.prepare as PrepareFn;
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

if (patches.has('claim-index')) {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the right `this`
  const prepare = DatabaseSync.prototype.prepare as PrepareFn;
  const indexed = new WeakSet<DatabaseSync>();
  DatabaseSync.prototype.prepare = function prepareAfterIndex(this: DatabaseSync, sql: string, ...rest: unknown[]): StatementSync {
    if (!indexed.has(this) && /^\s*update jobs set locked_by/.test(sql)) {
      this.exec('create index if not exists bench_jobs_ready_any_kind on jobs (dead, run_at, id)');
      indexed.add(this);
    }
    return prepare.call(this, sql, ...rest);
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
