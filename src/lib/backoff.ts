export interface BackoffPolicy {
  /** First delay ceiling in ms. */
  baseMs: number;
  /** Largest delay ceiling in ms. */
  capMs: number;
}

/**
 * Exponential backoff with full jitter: a random delay in [0, min(cap, base·2^(attempt-1))], never shorter than
 * what the server asked for with Retry-After.
 */
export function computeBackoff(policy: BackoffPolicy, attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  return retryAfterMs !== undefined ? Math.max(retryAfterMs, jittered) : jittered;
}

/** `Retry-After` as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
