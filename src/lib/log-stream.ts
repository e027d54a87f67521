/**
 * Where the service's log lines go: stdout, written without ever blocking. Pino's default destination writes to fd 1
 * synchronously and, when the pipe is full (a log shipper that stalled, a parent that stopped reading), waits in
 * `Atomics.wait` until it drains: the whole process stops, requests and shutdown included. Here lines go through
 * `process.stdout`, which writes to a pipe asynchronously; while more than `maxBufferedBytes` are waiting, new lines
 * are dropped and counted instead of piling up in memory, and once stdout drains the count is reported (`onResumed`),
 * as a log line of its own.
 */
export interface LogStream {
  /** Pino calls this with one serialised line. */
  write(line: string): boolean;
  /** Lines dropped since the start. */
  droppedLines(): number;
  /** Resolves once everything buffered was handed to the OS, or after `timeoutMs`, whichever is first. */
  flush(timeoutMs: number): Promise<void>;
}

export interface LogOutput {
  write(chunk: string): boolean;
  readonly writableLength: number;
  on(event: 'drain', listener: () => void): unknown;
  once(event: 'drain', listener: () => void): unknown;
  off(event: 'drain', listener: () => void): unknown;
}

export function createLogStream(options: {
  out?: LogOutput;
  /** Bytes waiting for stdout beyond which lines are dropped. */
  maxBufferedBytes: number;
  /** Called (after a drain) with the lines dropped since the last report. */
  onResumed: (dropped: number) => void;
}): LogStream {
  const out = options.out ?? process.stdout;
  let total = 0;
  let unreported = 0;
  out.on('drain', () => {
    if (unreported === 0) return;
    const dropped = unreported;
    unreported = 0;
    options.onResumed(dropped);
  });
  return {
    write(line) {
      if (out.writableLength > options.maxBufferedBytes) {
        total += 1;
        unreported += 1;
        return true;
      }
      out.write(line);
      return true;
    },
    droppedLines: () => total,
    flush(timeoutMs) {
      if (out.writableLength === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          out.off('drain', done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        timer.unref();
        out.once('drain', done);
      });
    },
  };
}
