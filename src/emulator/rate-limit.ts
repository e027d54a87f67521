/** A token bucket: `capacity` tokens, refilled continuously at `ratePerSecond`. */
export class TokenBucket {
  #tokens: number;
  #last: number;
  readonly #now: () => number;
  capacity: number;
  ratePerSecond: number;

  constructor(capacity: number, ratePerSecond: number, now: () => number) {
    this.capacity = capacity;
    this.ratePerSecond = ratePerSecond;
    this.#tokens = capacity;
    this.#now = now;
    this.#last = now();
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = Math.max(0, now - this.#last) / 1000;
    this.#last = now;
    this.#tokens = Math.min(this.capacity, this.#tokens + elapsed * this.ratePerSecond);
  }

  /** Takes one token if available. */
  tryTake(): boolean {
    this.#refill();
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    return false;
  }

  /** Milliseconds until one token is available (0 if one is). */
  msUntilToken(): number {
    this.#refill();
    if (this.#tokens >= 1) return 0;
    return Math.ceil(((1 - this.#tokens) / this.ratePerSecond) * 1000);
  }

  /** Changes the rate, keeping the current fill (capped to the new capacity). */
  reconfigure(capacity: number, ratePerSecond: number): void {
    this.#refill();
    this.capacity = capacity;
    this.ratePerSecond = ratePerSecond;
    this.#tokens = Math.min(this.#tokens, capacity);
  }
}
