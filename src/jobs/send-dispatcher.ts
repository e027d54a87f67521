import { randomUUID } from 'node:crypto';
import type { Transact } from '../db/transact.ts';
import type { Executor } from '../db/repos/executor.ts';
import type { ClaimedMessage, MessagesRepo } from '../db/repos/messages-repo.ts';
import type { RateLimitsRepo } from '../db/repos/rate-limits-repo.ts';
import type { IntegrationInfo } from '../services/config-cache.ts';

export interface SendDispatcherOptions {
  transact: Transact;
  messages: Pick<MessagesRepo, 'claimDue' | 'extendLeases' | 'dueIntegrations'>;
  rateLimits: Pick<RateLimitsRepo, 'reserve' | 'refund'>;
  integrations: () => Promise<IntegrationInfo[]>;
  /** One integration (also one created on another instance moments ago); undefined: it was deleted. */
  integrationInfo: (id: string) => Promise<IntegrationInfo | undefined>;
  /** Hands one message to Sinch and records the outcome (services/deliver-message.ts). */
  deliver: (message: ClaimedMessage, workerId: string) => Promise<void>;
  /** A `deliver` that threw (a bug): the message is retried later or failed, not left held. */
  crashed: (message: ClaimedMessage, workerId: string, error: unknown) => Promise<void>;
  /** Sends in flight at once, all integrations together. */
  concurrency: number;
  /** How often the database is read for due messages (other instances', retries, schedules). */
  pollMs: number;
  leaseMs: number;
  /** Requests per second to one Sinch project, shared by all its apps and every instance. */
  sinchProjectRequestsPerSecond: number;
  now: () => number;
  log: { error(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export interface SendDispatcher {
  start(): void;
  /** A message of this integration was just queued by this process: look at once. */
  notify(integrationId: string): void;
  /** Stops claiming and waits for the sends in flight (their leases run out if this never returns). */
  stop(): Promise<void>;
  readonly workerId: string;
}

/** Sends in flight for one integration at most: enough for its rate at Sinch's usual latency, few enough that a
 *  Sinch that hangs for it holds only its own sends (ADR 0005). */
export function inFlightCap(ratePerSecond: number, concurrency: number): number {
  return Math.max(2, Math.min(concurrency, Math.ceil(ratePerSecond / 2)));
}

/**
 * The send lane (ADR 0005). Messages are their own work items: a message is due when its `next_attempt_at` has
 * come, and a worker takes due messages of one integration at a time, only as many as the integration's shared
 * rate limit (and its Sinch project's, when the project's integrations together could exceed it) grants right
 * now: throttling happens before a message is taken, never while holding a slot, so nothing waits behind a
 * throttled integration. Integrations take turns (round robin), each with a cap on its sends in flight, so one
 * integration's backlog or a Sinch that hangs for it never holds up another's. Callbacks never come here: they
 * are applied when they arrive (services/ingest-callback.ts).
 */
export function createSendDispatcher(options: SendDispatcherOptions): SendDispatcher {
  if (!Number.isInteger(options.leaseMs) || options.leaseMs < 100) throw new Error(`leaseMs must be an integer of at least 100, got ${String(options.leaseMs)}`);
  const workerId = `w_${randomUUID()}`;
  /** Sends in flight by message id, with their integration. */
  const running = new Map<string, string>();
  const runningByIntegration = new Map<string, number>();
  /** When each integration's next message is due, as far as this worker knows. */
  const due = new Map<string, number>();
  /** When this process last queued a message per integration (a scan that started before must not forget it). */
  const notified = new Map<string, number>();
  let nextScan = 0;
  let turn = 0;
  let active = false;
  let loopDone: Promise<void> = Promise.resolve();
  let wake: (() => void) | undefined;
  let pendingWake = false;
  let renewal: NodeJS.Timeout | undefined;
  const finished = new Set<Promise<void>>();

  function poke(): void {
    if (wake) wake(); else pendingWake = true;
  }

  function sleep(ms: number): Promise<void> {
    if (pendingWake) {
      pendingWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => { wake = undefined; resolve(); }, ms);
      wake = () => { clearTimeout(timer); wake = undefined; pendingWake = false; resolve(); };
    });
  }

  async function scan(): Promise<void> {
    const started = options.now();
    const found = new Map((await options.messages.dueIntegrations()).map((d) => [d.integrationId, d.dueAt]));
    for (const id of due.keys()) {
      if (!found.has(id) && (notified.get(id) ?? 0) < started) due.delete(id);
    }
    for (const [id, at] of found) due.set(id, Math.min(at, due.get(id) ?? Number.POSITIVE_INFINITY));
    for (const [id, at] of notified) if (at < started) notified.delete(id);
  }

  /**
   * Takes up to `wanted` due messages of one integration, as many as its rate limit (and, when its Sinch project's
   * integrations together could exceed the project's limit, the project's) grants now; permits not used are given
   * back. One unit of work: on SQLite it commits with whatever else is being written (group commit).
   */
  function take(id: string, info: IntegrationInfo | undefined, all: IntegrationInfo[], wanted: number, now: number): Promise<{ claimed: ClaimedMessage[]; granted: number; nextFreeAt: number }> {
    const claim = (trx: Executor, n: number) => options.messages.claimDue(trx, id, n, workerId, now + options.leaseMs, now);
    // An integration that no longer exists: its messages are taken without a permit and refused by `deliver`.
    if (info === undefined) return options.transact(async (trx) => ({ claimed: await claim(trx, wanted), granted: wanted, nextFreeAt: now }));
    const key = `integration:${info.id}`;
    const rate = info.sendRatePerSecond;
    const projectRate = options.sinchProjectRequestsPerSecond;
    const together = all.filter((i) => i.sinchProjectId === info.sinchProjectId).reduce((sum, i) => sum + i.sendRatePerSecond, 0);
    return options.transact(async (trx) => {
      const own = await options.rateLimits.reserve(trx, key, wanted, rate, now);
      let granted = own.granted;
      let nextFreeAt = own.nextFreeAt;
      if (granted > 0 && together > projectRate) {
        const project = await options.rateLimits.reserve(trx, `sinch-project:${info.sinchProjectId}`, granted, projectRate, now);
        nextFreeAt = Math.max(nextFreeAt, project.nextFreeAt);
        granted = project.granted;
      }
      const claimed = granted === 0 ? [] : await claim(trx, granted);
      await options.rateLimits.refund(trx, key, own, own.granted - claimed.length, rate);
      return { claimed, granted, nextFreeAt };
    });
  }

  function launch(message: ClaimedMessage): void {
    running.set(message.id, message.integration_id);
    runningByIntegration.set(message.integration_id, (runningByIntegration.get(message.integration_id) ?? 0) + 1);
    const done: Promise<void> = options.deliver(message, workerId)
      .catch(async (error: unknown) => {
        options.log.error({ err: error, message_id: message.id }, 'sending a message failed unexpectedly');
        await options.crashed(message, workerId, error).catch((e: unknown) => options.log.error({ err: e, message_id: message.id }, 'could not record a failed send'));
      })
      .finally(() => {
        running.delete(message.id);
        const left = (runningByIntegration.get(message.integration_id) ?? 1) - 1;
        if (left <= 0) runningByIntegration.delete(message.integration_id); else runningByIntegration.set(message.integration_id, left);
        finished.delete(done);
        poke();
      });
    finished.add(done);
  }

  /** One pass over the integrations with due messages; returns when to look again. */
  async function pass(): Promise<number> {
    let now = options.now();
    if (now >= nextScan) {
      await scan();
      nextScan = now + options.pollMs;
    }
    let next = nextScan;
    const ids = [...due.keys()];
    if (ids.length === 0) return next;
    const all = await options.integrations();
    const byId = new Map(all.map((i) => [i.id, i]));
    const first = turn++ % ids.length;
    for (let k = 0; k < ids.length && active; k += 1) {
      const id = ids[(first + k) % ids.length]!;
      const at = due.get(id);
      if (at === undefined) continue;
      now = options.now();
      if (at > now) {
        next = Math.min(next, at);
        continue;
      }
      const globalFree = options.concurrency - running.size;
      if (globalFree <= 0) break; // a finished send wakes the loop
      const info = byId.get(id) ?? await options.integrationInfo(id);
      const ownFree = info === undefined ? globalFree : inFlightCap(info.sendRatePerSecond, options.concurrency) - (runningByIntegration.get(id) ?? 0);
      const wanted = Math.min(globalFree, ownFree);
      if (wanted <= 0) continue; // this integration has its share in flight; a finished send wakes the loop
      const { claimed, granted, nextFreeAt } = await take(id, info, all, wanted, now);
      for (const message of claimed) launch(message);
      if (granted === 0) {
        due.set(id, nextFreeAt);
        next = Math.min(next, nextFreeAt);
      } else if (claimed.length < granted) {
        // Drained for now; the next scan finds what becomes due later, a local send wakes it at once.
        if ((notified.get(id) ?? 0) < now) due.delete(id);
      } else {
        next = Math.min(next, options.now());
      }
    }
    return next;
  }

  async function loop(): Promise<void> {
    while (active) {
      let next: number;
      try {
        next = await pass();
      } catch (error) {
        options.log.error({ err: error }, 'the send loop failed; trying again');
        next = options.now() + options.pollMs;
      }
      if (!active) break;
      const wait = next - options.now();
      if (wait > 0) await sleep(wait);
    }
  }

  // Leases are renewed while the sends run, so a slow Sinch call is never taken over, and a lease can be short
  // enough for a crashed process's messages to go again soon.
  function renewLeases(): void {
    if (running.size === 0) return;
    const ids = [...running.keys()];
    options.messages.extendLeases(workerId, ids, options.now() + options.leaseMs)
      .then((renewed) => {
        if (renewed < ids.length) options.log.warn({ running: ids.length, renewed }, 'some message leases could not be renewed');
      })
      .catch((error: unknown) => { options.log.error({ err: error }, 'could not renew message leases'); });
  }

  return {
    workerId,
    start() {
      if (active) return;
      active = true;
      renewal = setInterval(renewLeases, Math.max(100, Math.floor(options.leaseMs / 3)));
      renewal.unref();
      loopDone = loop();
    },
    notify(integrationId: string) {
      const now = options.now();
      notified.set(integrationId, now);
      due.set(integrationId, Math.min(now, due.get(integrationId) ?? Number.POSITIVE_INFINITY));
      poke();
    },
    async stop() {
      active = false;
      poke();
      await loopDone;
      await Promise.all([...finished]);
      clearInterval(renewal);
    },
  };
}
