import { open } from 'node:fs/promises';

/**
 * Durable commits without blocking the event loop (ADR 0004). SQLite runs with `synchronous = NORMAL` (a commit
 * appends to the write-ahead log without waiting for the disk) and, before any unit of a commit is answered, the
 * log is fsynced on libuv's thread pool: the same guarantee as `synchronous = FULL` (nothing acknowledged can be
 * lost on power loss), while the next group of units is already being written. Concurrent callers share fsyncs:
 * each call resolves after an fsync that *started after* the call, so everything committed before it is on disk;
 * a call with nothing committed since the last fsync resolves at once.
 */
export function createWalSync(walFile: string, committed: () => number): () => Promise<void> {
  let inFlight: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  /** Commits known to be on disk (those made before the last completed fsync started). */
  let synced = 0;

  async function fsyncOnce(): Promise<void> {
    // Opened each time: the log file is the one SQLite writes now, whatever happened to it before.
    const handle = await open(walFile, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  function start(): Promise<void> {
    const target = committed();
    const run = fsyncOnce().then(() => { synced = Math.max(synced, target); });
    inFlight = run;
    void run.catch(() => undefined).finally(() => { if (inFlight === run) inFlight = undefined; });
    return run;
  }

  return function sync(): Promise<void> {
    if (committed() <= synced) return Promise.resolve();
    if (inFlight === undefined) return start();
    queued ??= inFlight.catch(() => undefined).then(() => {
      queued = undefined;
      return start();
    });
    return queued;
  };
}
