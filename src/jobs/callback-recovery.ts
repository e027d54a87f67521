import { randomUUID } from 'node:crypto';
import type { CallbackRow } from '../db/repos/callbacks-repo.ts';

export interface CallbackRecoveryOptions {
  claimDue: (workerId: string, leaseUntil: number, now: number, limit: number) => Promise<CallbackRow[]>;
  applyStored: (callback: CallbackRow, workerId: string) => Promise<void>;
  pollMs: number;
  leaseMs: number;
  now: () => number;
  log: { error(obj: object, msg: string): void };
}

/**
 * Applies the rare callbacks that were stored but could not be applied when they arrived (ADR 0005): every
 * `pollMs` it takes the due ones with a lease (a crashed worker's come back when it runs out) and applies them one
 * by one. Its own loop, so it never waits behind sends.
 */
export function createCallbackRecovery(options: CallbackRecoveryOptions) {
  const workerId = `r_${randomUUID()}`;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  async function once(): Promise<void> {
    for (;;) {
      const now = options.now();
      const due = await options.claimDue(workerId, now + options.leaseMs, now, 16);
      for (const callback of due) await options.applyStored(callback, workerId);
      if (due.length < 16) return;
    }
  }

  function tick(): void {
    if (running !== undefined) return;
    running = once()
      .catch((error: unknown) => options.log.error({ err: error }, 'could not apply stored callbacks'))
      .finally(() => { running = undefined; });
  }

  return {
    start(): void {
      timer ??= setInterval(tick, options.pollMs);
      timer.unref();
      tick();
    },
    async stop(): Promise<void> {
      clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
