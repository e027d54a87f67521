import { AppError } from '../lib/app-error.ts';
import type { IntegrationInfo } from './config-cache.ts';

/** The send lanes, by the order they go out in: replies and keyword confirmations, API sends, bulk. */
export const lanes = { reply: 0, api: 1, bulk: 2 } as const;
export type Lane = keyof typeof lanes;

/**
 * Admission control for API sends: a project's backlog of messages waiting to be handed to Sinch is bounded, so a
 * client that sends faster than its integrations' rates gets 429 with `Retry-After` instead of a queue that grows
 * without limit. Counting is by the database (every instance's sends), at most once per `refreshMs` per project,
 * each count reading at most `limit + 1` index entries per integration; sends accepted here since the count are
 * added. A soft bound: several instances may overshoot it by what each accepts in one `refreshMs`.
 */
export function createAdmission(deps: {
  limit: number;
  refreshMs: number;
  integrations: () => Promise<IntegrationInfo[]>;
  countPending: (integrationId: string, priority: number, upTo: number) => Promise<number>;
  now: () => number;
}) {
  const counted = new Map<string, { pending: number; at: number; rate: number }>();
  const counting = new Map<string, Promise<{ pending: number; at: number; rate: number }>>();

  function recount(projectId: string, now: number) {
    let running = counting.get(projectId);
    if (running === undefined) {
      running = count(projectId, now).finally(() => counting.delete(projectId));
      counting.set(projectId, running);
    }
    return running;
  }

  async function count(projectId: string, now: number) {
    const mine = (await deps.integrations()).filter((i) => i.projectId === projectId);
    let pending = 0;
    let rate = 0;
    for (const integration of mine) {
      pending += await deps.countPending(integration.id, lanes.api, deps.limit + 1);
      rate += integration.sendRatePerSecond;
    }
    const entry = { pending, at: now, rate: Math.max(1, rate) };
    counted.set(projectId, entry);
    return entry;
  }

  return {
    /** Throws 429 `backlog_full` when the project already has `limit` API sends waiting. */
    async admit(projectId: string, messages = 1): Promise<void> {
      const now = deps.now();
      let entry = counted.get(projectId);
      if (entry === undefined || now - entry.at >= deps.refreshMs) entry = await recount(projectId, now);
      if (entry.pending + messages > deps.limit) {
        const seconds = Math.min(3600, Math.max(1, Math.ceil((entry.pending + messages - deps.limit) / entry.rate)));
        throw new AppError(429, 'backlog_full',
          `this project already has ${entry.pending} messages waiting to be handed to Sinch (the limit is ${deps.limit}, SEND_BACKLOG_LIMIT); at the integrations' send rate there is room again in about ${seconds} s`,
          undefined, { 'retry-after': String(seconds) });
      }
      entry.pending += messages;
    },
  };
}

export type Admission = ReturnType<typeof createAdmission>;
