/** RFC3339 timestamps with a chosen number of fractional digits (Sinch sends 0, 3, 6 or 9). */
export function formatTimestamp(ms: number, fractionDigits: 3 | 6 | 9 = 3): string {
  const iso = new Date(ms).toISOString(); // …:SS.mmmZ
  return fractionDigits === 3 ? iso : `${iso.slice(0, -1)}${'0'.repeat(fractionDigits - 3)}Z`;
}

/** setTimeout handles that can all be cancelled at once (emulator close). */
export class TimerSet {
  #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  schedule(delayMs: number, run: () => void): void {
    if (this.#closed) return;
    const handle = setTimeout(() => {
      this.#timers.delete(handle);
      run();
    }, Math.max(0, delayMs));
    this.#timers.add(handle);
  }

  clear(): void {
    for (const handle of this.#timers) clearTimeout(handle);
    this.#timers.clear();
  }

  close(): void {
    this.#closed = true;
    this.clear();
  }
}
