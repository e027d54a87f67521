/**
 * EXPERIMENTS ONLY, never the benchmark's headline numbers: starts the service (`src/main.ts`) with runtime
 * patches, so that what a change would bring can be measured without changing the service's code
 * (`npm run bench -- ingest --experiment sql-census`). `BENCH_PATCHES` lists them:
 *
 * - `sql-census`: no optimisation; counts and times every statement execution by SQL text (and every
 *   `node:sqlite` prepare, i.e. the driver's cache misses). SIGUSR2 writes the counts since the previous SIGUSR2
 *   to `BENCH_CENSUS_FILE` and starts counting afresh.
 * - `sync-normal`: SQLite with `synchronous = NORMAL` instead of FULL, to measure what durable commits cost.
 *
 * Earlier patches (`stmt-cache`, `pooled-random`, `claim-index`) measured the statement cache, pooled id
 * randomness and the job-claim index that the service has since adopted (commit 4c3a82d); see BENCHMARKS.md.
 */
import { writeFileSync } from 'node:fs';
import { DatabaseSync, type StatementSync } from 'node:sqlite';

const patches = new Set((process.env.BENCH_PATCHES ?? '').split(',').map((p) => p.trim()).filter(Boolean));
const known = new Set(['sql-census', 'sync-normal']);
for (const p of patches) {
  if (!known.has(p)) {
    console.error(`unknown patch ${p}; known: ${[...known].join(', ')}`);
    process.exit(2);
  }
}

type PrepareFn = (this: DatabaseSync, sql: string, ...rest: unknown[]) => StatementSync;

if (patches.has('sql-census')) {
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

if (patches.has('sync-normal')) {
  // What synchronous=FULL costs: the service as it is, but SQLite syncing the WAL only at checkpoints (NORMAL).
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the right `this`
  const exec = DatabaseSync.prototype.exec;
  DatabaseSync.prototype.exec = function normalSync(this: DatabaseSync, sql: string): void {
    exec.call(this, /^PRAGMA synchronous = FULL$/i.test(sql.trim()) ? 'PRAGMA synchronous = NORMAL' : sql);
  };
}

console.error(`bench/patched-main.ts: EXPERIMENT, service running with patches: ${[...patches].join(', ') || '(none)'}`);
await import('../src/main.ts');
