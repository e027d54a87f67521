import { open, type FileHandle } from 'node:fs/promises';

/**
 * Durable commits without blocking the event loop (ADR 0004). SQLite runs with `synchronous = NORMAL` (a commit
 * appends to the write-ahead log without waiting for the disk) and, before any unit of a commit is answered, the
 * log is fsynced on libuv's thread pool: the same guarantee as `synchronous = FULL` (nothing acknowledged can be
 * lost on power loss), while the next group of units is already being written. Concurrent callers share fsyncs:
 * each call resolves after an fsync that *started after* the call, so everything committed before it is on disk;
 * a call with nothing committed since the last fsync resolves at once.
 */
export interface WalSync {
  /** Resolves once everything committed before the call is on disk. */
  (): Promise<void>;
  /** Closes the log's file handle (the database is closing). */
  close(): Promise<void>;
}

export function createWalSync(walFile: string, committed: () => number): WalSync {
  let inFlight: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  /** Commits known to be on disk (those made before the last completed fsync started). */
  let synced = 0;
  /**
   * The log, opened once: SQLite keeps the same file while its connection is open (it rewinds the log rather than
   * replacing it; it deletes it only when the last connection closes). Opening and closing it for every fsync cost
   * two more trips to the thread pool per group commit. A handle that fails is dropped and the log opened again.
   */
  let handle: Promise<FileHandle> | undefined;

  async function fsyncOnce(): Promise<void> {
    handle ??= open(walFile, 'r');
    const current = handle;
    try {
      await (await current).sync();
    } catch (error) {
      if (handle === current) handle = undefined;
      void current.then((h) => h.close()).catch(() => undefined);
      throw error;
    }
  }

  function start(): Promise<void> {
    const target = committed();
    const run = fsyncOnce().then(() => { synced = Math.max(synced, target); });
    inFlight = run;
    void run.catch(() => undefined).finally(() => { if (inFlight === run) inFlight = undefined; });
    return run;
  }

  const sync = (): Promise<void> => {
    if (committed() <= synced) return Promise.resolve();
    if (inFlight === undefined) return start();
    queued ??= inFlight.catch(() => undefined).then(() => {
      queued = undefined;
      return start();
    });
    return queued;
  };
  return Object.assign(sync, {
    async close(): Promise<void> {
      await inFlight?.catch(() => undefined);
      const open = handle;
      handle = undefined;
      await open?.then((h) => h.close()).catch(() => undefined);
    },
  });
}
