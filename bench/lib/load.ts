/**
 * The load generator shared by every benchmark and the kill tests: undici `Pool` with keep-alive connections,
 * a fixed number of requests in flight, a bounded number of requests and a bounded time. Requests are built
 * before the run starts (signing, JSON) so the generator spends its time on HTTP only.
 */
import { Pool } from 'undici';

export interface LoadRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  /** HTTP status; 0 when no answer came (connection refused or reset, timeout). */
  status: number;
  /** From sending the request to the end of the answer's body. */
  ms: number;
  /** The answer's body when `keepBodies` is set, else undefined. */
  body?: string;
  error?: string;
}

export interface LoadOptions {
  origin: string;
  /** Requests in flight at once (= keep-alive connections). */
  concurrency: number;
  /** The requests, in the order they are issued; `undefined` entries are skipped. */
  requests: ReadonlyArray<LoadRequest | undefined>;
  /** Stops issuing new requests after this long (the ones in flight finish or time out). */
  maxMs?: number;
  /** Per-request limit for headers and body. */
  requestTimeoutMs?: number;
  keepBodies?: boolean;
  /** Called after every answer (or failure), in completion order; return true to stop issuing new requests. */
  onResult?: (index: number, result: LoadResult) => boolean | void;
}

export interface LoadRun {
  /** Indexed like `requests`; undefined for requests never issued. */
  results: Array<LoadResult | undefined>;
  /** `Date.now()` when the first request was issued and when the last answer came. */
  startedAt: number;
  endedAt: number;
  issued: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadRun> {
  const timeout = options.requestTimeoutMs ?? 30_000;
  const pool = new Pool(options.origin, {
    connections: options.concurrency, pipelining: 1, keepAliveTimeout: 30_000,
    headersTimeout: timeout, bodyTimeout: timeout, connect: { timeout: 5_000 },
  });
  const results: Array<LoadResult | undefined> = new Array<LoadResult | undefined>(options.requests.length);
  let next = 0;
  let stopped = false;
  let issued = 0;
  const startedAt = Date.now();
  const deadline = options.maxMs !== undefined ? startedAt + options.maxMs : Infinity;

  async function lane(): Promise<void> {
    while (!stopped && next < options.requests.length && Date.now() < deadline) {
      const index = next++;
      const req = options.requests[index];
      if (req === undefined) continue;
      issued += 1;
      const t0 = performance.now();
      let result: LoadResult;
      try {
        const res = await pool.request({ method: req.method, path: req.path, headers: req.headers, body: req.body ?? null });
        if (options.keepBodies === true) {
          const body = await res.body.text();
          result = { status: res.statusCode, ms: performance.now() - t0, body };
        } else {
          await res.body.dump({ limit: 1 << 20 });
          result = { status: res.statusCode, ms: performance.now() - t0 };
        }
      } catch (error) {
        result = { status: 0, ms: performance.now() - t0, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
      }
      results[index] = result;
      if (options.onResult?.(index, result) === true) stopped = true;
    }
  }

  try {
    await Promise.all(Array.from({ length: options.concurrency }, () => lane()));
  } finally {
    await pool.destroy().catch(() => undefined);
  }
  return { results, startedAt, endedAt: Date.now(), issued };
}

/** Percentile (nearest rank) of a list of numbers; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Median (the mean of the two middle values for an even count); NaN for an empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Counts of results by status (0 = no answer). */
export function statusCounts(results: ReadonlyArray<LoadResult | undefined>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) {
    if (r === undefined) continue;
    counts[r.status] = (counts[r.status] ?? 0) + 1;
  }
  return counts;
}

/** Fisher–Yates with a seeded generator (mulberry32): the same order on every run. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Runs `once` (which returns a rate) until the rate stops improving by more than 10% (JIT tiers of server and
 * load generator), at least twice and at most `max` times. Returns the rates seen.
 */
export async function warmUntilSteady(once: () => Promise<number>, max = 8): Promise<number[]> {
  const rates: number[] = [];
  while (rates.length < max) {
    rates.push(await once());
    const n = rates.length;
    if (n >= 2 && rates[n - 1]! <= rates[n - 2]! * 1.1) break;
  }
  return rates;
}
