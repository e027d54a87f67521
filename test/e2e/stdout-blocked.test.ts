/**
 * The real process with a stdout pipe that its parent keeps open but does not read (a stalled log shipper, a
 * supervisor that was stopped). Logging must never block and never grow without bound: requests go on being
 * answered, lines that find no room are dropped, counted and reported once stdout is read again, and SIGTERM stops
 * the process while the pipe is full. (Pino's default destination buffered every line in memory and, on exit,
 * flushed them synchronously, waiting in Atomics.wait for a pipe nobody read: the process never exited, and not
 * even the forced-exit timer of the shutdown could fire.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { freePort, repoRoot } from '../../bench/lib/proc.ts';
import { until } from '../helpers/wait.ts';

interface Service {
  child: ChildProcessByStdio<null, Readable, Readable>;
  exited: Promise<{ code: number | null; at: number }>;
  stderr: () => string;
  /** `n` requests, 16 at a time, each logged twice by the service (incoming, completed): their statuses. */
  load(n: number): Promise<number[]>;
  stop(): Promise<void>;
}

/** `node src/main.ts` (what `npm start` execs) on a fresh data dir, its stdout a pipe this process does not read. */
async function startUnread(): Promise<Service> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mm-stdout-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', ADMIN_TOKEN: 'admin-token-for-the-stdout-test-0123456789' };
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) if (process.env[name] !== undefined) env[name] = process.env[name];
  const child = spawn(process.execPath, ['src/main.ts'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  // The pipe stays open and nothing reads it: after Node's own 16 KB here and the pipe's 64 KB, writes find no room.
  child.stdout.pause();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.once('exit', (code) => resolve({ code, at: Date.now() })));
  const agent = new Agent({ connections: 16 });
  const service: Service = {
    child, exited, stderr: () => stderr,
    async load(n) {
      const statuses: number[] = [];
      let next = 0;
      await Promise.all(Array.from({ length: 16 }, async () => {
        while (next < n) {
          next += 1;
          const res = await request(`${base}/healthz`, { dispatcher: agent, headersTimeout: 30_000, bodyTimeout: 30_000 });
          await res.body.dump();
          statuses.push(res.statusCode);
        }
      }));
      return statuses;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      await agent.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await until(() => request(`${base}/healthz`, { dispatcher: agent }).then(async (r) => { await r.body.dump(); return r.statusCode === 200; }, () => false), 'the service to listen');
  } catch (error) {
    await service.stop();
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  return service;
}

test('SIGTERM with stdout full: the process exits at once (it waited for the pipe for ever)', { timeout: 180_000 }, async () => {
  const s = await startUnread();
  try {
    // Thousands of requests while nothing reads stdout (about 2.5 MB of log lines): every one is answered.
    const statuses = await s.load(8000);
    assert.equal(statuses.length, 8000);
    assert.ok(statuses.every((status) => status === 200), `statuses: ${[...new Set(statuses)].join(', ')}`);
    const signalled = Date.now();
    s.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([s.exited, new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), 30_000); })]);
    clearTimeout(timer);
    assert.ok(exit !== undefined, 'the process did not exit within 30 s of SIGTERM with its stdout full');
    assert.equal(exit.code, 0, s.stderr());
    assert.ok(exit.at - signalled < 10_000, `exited ${exit.at - signalled} ms after SIGTERM (SHUTDOWN_GRACE_MS is 10 s)`);
  } finally {
    await s.stop();
  }
});

test('lines that found no room are dropped, not kept; their count is logged once stdout is read again', { timeout: 180_000 }, async () => {
  const s = await startUnread();
  try {
    assert.ok((await s.load(8000)).every((status) => status === 200));
    let out = '';
    s.child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    s.child.stdout.resume();
    await until(() => out.includes('log lines were dropped while stdout was not being read'), 'the report of dropped lines');
    const report = JSON.parse(out.split('\n').find((l) => l.includes('log lines were dropped'))!) as { dropped_lines: number; dropped_lines_total: number; level: number };
    assert.equal(report.level, 40, 'a warning');
    assert.ok(report.dropped_lines > 1000, `dropped ${report.dropped_lines}`);
    assert.equal(report.dropped_lines_total, report.dropped_lines);
    // What was written is what was not dropped: at most about 1 MiB waited in memory (the bound), the rest was counted.
    const requestLines = () => out.split('\n').filter((l) => l.includes('"reqId":')).length;
    const written = requestLines();
    assert.ok(written > 0, 'lines written before the pipe filled, and those that waited, arrive');
    assert.ok(written + report.dropped_lines >= 2 * 8000, `${written} written + ${report.dropped_lines} dropped account for every request line`);
    assert.ok(written < 2 * 8000 - 1000, `${written} of ${2 * 8000} request lines written: the rest were not kept`);
    // Logging goes on normally afterwards.
    assert.ok((await s.load(10)).every((status) => status === 200));
    await until(() => requestLines() >= written + 20, 'the next requests\' lines');
  } finally {
    await s.stop();
  }
});
