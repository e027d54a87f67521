import { randomUUID } from 'node:crypto';
import { computeBackoff, type BackoffPolicy } from '../lib/backoff.ts';
import type { ClaimedJob, JobHandler, JobResult, JobsRepo } from '../db/repos/jobs-repo.ts';

export interface WorkerOptions {
  queue: JobsRepo;
  handlers: Readonly<Record<string, JobHandler>>;
  concurrency: number;
  /** How often an idle worker looks for due jobs (other instances may have added some). */
  pollMs: number;
  leaseMs: number;
  crashBackoff: BackoffPolicy;
  now: () => number;
  log: { error(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export interface Worker {
  start(): void;
  /** Wakes the loop at once: a job was just enqueued by this process. */
  notify(): void;
  /** Stops claiming, waits for running jobs (their leases expire if this never returns). */
  stop(): Promise<void>;
}

export function createWorker(options: WorkerOptions): Worker {
  // A lease that is not a positive number would let every claim take running jobs again.
  if (!Number.isInteger(options.leaseMs) || options.leaseMs < 100) throw new Error(`leaseMs must be an integer of at least 100, got ${String(options.leaseMs)}`);
  const id = `w_${randomUUID()}`;
  const kinds = Object.keys(options.handlers);
  /** The jobs running now, by id: only their leases are renewed. */
  const running = new Map<string, Promise<void>>();
  let active = false;
  let loopDone: Promise<void> = Promise.resolve();
  let wake: (() => void) | undefined;
  let pendingWake = false;

  function sleep(ms: number): Promise<void> {
    if (pendingWake) {
      pendingWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => { wake = undefined; resolve(); }, ms);
      wake = () => { clearTimeout(timer); wake = undefined; resolve(); };
    });
  }

  async function runOne(job: ClaimedJob): Promise<void> {
    const handler = options.handlers[job.kind];
    let result: JobResult;
    try {
      if (handler === undefined) throw new Error(`no handler for job kind ${job.kind}`);
      result = await handler(job);
    } catch (error) {
      options.log.error({ err: error, job_id: job.id, kind: job.kind, attempt: job.attempt }, 'job handler failed');
      const message = error instanceof Error ? error.message : String(error);
      result = job.attempt >= job.maxAttempts
        ? { kind: 'bury', error: message }
        : { kind: 'retry', delayMs: computeBackoff(options.crashBackoff, job.attempt), error: message };
    }
    try {
      let held = true;
      switch (result.kind) {
        case 'done': if (result.completed !== true) held = await options.queue.complete(options.queue.db, job.id, id); break;
        case 'retry': held = await options.queue.retryLater(job.id, id, options.now() + result.delayMs, result.error); break;
        case 'bury':
          options.log.warn({ job_id: job.id, kind: job.kind, error: result.error }, 'job gave up');
          held = await options.queue.bury(job.id, id, result.error);
          break;
      }
      // The lease ran out during the run and another worker has the job: its result counts, not this one.
      if (!held) options.log.warn({ job_id: job.id, kind: job.kind }, 'lost the lease on a job; its result was not recorded');
    } catch (error) {
      // The lease will expire and the job run again; handlers are idempotent.
      options.log.error({ err: error, job_id: job.id }, 'could not record a job result');
    }
  }

  // A claim is a write of its own: under load, wait until a quarter of the slots are free and claim them together
  // rather than one claim per finished job.
  const claimBatch = Math.max(1, Math.floor(options.concurrency / 4));

  // Leases are renewed while the jobs run, so a long job is never taken over, and a lease can be short enough for a
  // crashed process's jobs to run again soon.
  let renewal: NodeJS.Timeout | undefined;
  function renewLeases(): void {
    if (running.size === 0) return;
    const ids = [...running.keys()];
    options.queue.extendLeases(id, ids, options.now() + options.leaseMs)
      .then((renewed) => {
        // Fewer rows than jobs: a lease ran out (a stall longer than the lease) and another worker may have the job.
        if (renewed < ids.length) options.log.warn({ running: ids.length, renewed }, 'some job leases could not be renewed');
      })
      .catch((error: unknown) => { options.log.error({ err: error }, 'could not renew job leases'); });
  }

  async function loop(): Promise<void> {
    while (active) {
      const free = options.concurrency - running.size;
      let claimed = 0;
      if (free >= claimBatch || running.size === 0) {
        try {
          const jobs = await options.queue.claim(id, kinds, free, options.leaseMs, options.now());
          claimed = jobs.length;
          for (const job of jobs) {
            running.set(job.id, runOne(job).finally(() => {
              running.delete(job.id);
              if (wake) wake(); else pendingWake = true;
            }));
          }
        } catch (error) {
          options.log.error({ err: error }, 'could not claim jobs');
        }
      }
      if (claimed > 0 && claimed === free) continue;
      await sleep(options.pollMs);
    }
  }

  return {
    start() {
      if (active) return;
      active = true;
      renewal = setInterval(renewLeases, Math.max(100, Math.floor(options.leaseMs / 3)));
      renewal.unref();
      loopDone = loop();
    },
    notify() {
      if (wake) wake(); else pendingWake = true;
    },
    async stop() {
      active = false;
      wake?.();
      await loopDone;
      await Promise.all([...running.values()]);
      clearInterval(renewal);
    },
  };
}
