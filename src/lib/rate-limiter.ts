/**
 * A token bucket that hands out permits in arrival order: `acquire()` resolves when the caller may go.
 * Capacity equals one second of rate, so short bursts are smoothed rather than refused.
 */
export interface RateLimiter {
  acquire(): Promise<void>;
  readonly ratePerSecond: number;
}

export function createRateLimiter(ratePerSecond: number, now: () => number = () => performance.now()): RateLimiter {
  const capacity = Math.max(1, ratePerSecond);
  let tokens = capacity;
  let last = now();
  let tail: Promise<void> = Promise.resolve();

  function refill(): void {
    const t = now();
    tokens = Math.min(capacity, tokens + ((t - last) / 1000) * ratePerSecond);
    last = t;
  }

  async function takeOne(): Promise<void> {
    refill();
    while (tokens < 1) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.ceil(((1 - tokens) / ratePerSecond) * 1000))));
      refill();
    }
    tokens -= 1;
  }

  return {
    ratePerSecond,
    acquire() {
      const next = tail.then(takeOne);
      tail = next;
      return next;
    },
  };
}

/** One limiter per key (an integration, a Sinch project), created on first use; a changed rate replaces it. */
export function createLimiterPool() {
  const limiters = new Map<string, RateLimiter>();
  return {
    get(key: string, ratePerSecond: number): RateLimiter {
      const existing = limiters.get(key);
      if (existing !== undefined && existing.ratePerSecond === ratePerSecond) return existing;
      const created = createRateLimiter(ratePerSecond);
      limiters.set(key, created);
      return created;
    },
  };
}
export type LimiterPool = ReturnType<typeof createLimiterPool>;
