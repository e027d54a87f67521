/**
 * Waiting in tests: for a condition, polled, never for a fixed time. The deadline is only there to fail a test that
 * would otherwise hang, so it is far above what anything takes on a busy machine; a passing test never waits it out.
 */
export const waitDeadlineMs = 60_000;

/** Polls `probe` until it returns something other than undefined, and returns that. */
export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = waitDeadlineMs, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Polls `condition` until it holds. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = waitDeadlineMs, intervalMs = 20): Promise<void> {
  await waitFor(async () => ((await condition()) ? true : undefined), what, timeoutMs, intervalMs);
}
