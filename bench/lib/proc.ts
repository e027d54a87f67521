/**
 * Child processes for end-to-end tests and benchmarks: the service (`node src/main.ts`), the standalone Sinch
 * emulator and a bare Fastify server. Everything listens on 127.0.0.1; every wait is bounded; children still
 * running when this process exits are SIGKILLed, so a failed run leaves nothing behind.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

/** The repository root (bench/lib/ is two levels down). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A TCP port that was free a moment ago (the service's PORT setting cannot be 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Child {
  readonly process: ChildProcess;
  readonly baseUrl: string;
  readonly port: number;
  /** Resolves with the exit code or signal once the process has gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines it wrote (stdout and stderr), for error messages. */
  output(): string;
  /** SIGKILL: no shutdown code runs (a crash). */
  kill9(): Promise<void>;
  /** SIGTERM, then SIGKILL if it is still there after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Only what a process needs from ours: no settings of the service (DATABASE_URL, MASTER_KEY, …) that a developer
 * may have exported, no NODE_OPTIONS, no test-runner context.
 */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

function startChild(args: string[], env: Record<string, string>, port: number, name: string, nodeOptions: string[] = []): Child {
  const child = spawn(process.execPath, [...nodeOptions, ...args], {
    cwd: repoRoot,
    env: { ...baseEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    process: child,
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    exited,
    output: () => `--- ${name} output (last lines) ---\n${tail}`,
    async kill9() {
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
    async stop(graceMs = 15_000) {
      if (gone()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `url` until it answers 200, the child exits, or `timeoutMs` passes. */
async function waitUntilUp(child: Child, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => { exited = true; });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`process exited before it answered ${url}\n${child.output()}`);
    try {
      const res = await request(url, { headersTimeout: 1000, bodyTimeout: 1000 });
      await res.body.dump();
      if (res.statusCode === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  await child.kill9();
  throw new Error(`${url} did not answer within ${timeoutMs} ms\n${child.output()}`);
}

export interface ServiceOptions {
  dataDir: string;
  adminToken: string;
  /** Base URL Sinch's region EU (auth and Conversation API) points at: the standalone emulator. */
  sinchUrl: string;
  port?: number;
  env?: Record<string, string>;
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeOptions?: string[];
  startTimeoutMs?: number;
  /**
   * Experiments only: run `bench/patched-main.ts` with these runtime patches instead of `src/main.ts` (see there).
   */
  patches?: string[];
}

/** `node src/main.ts` on SQLite in `dataDir`, quiet, without the built-in sandbox, region EU → `sinchUrl`. */
export async function startService(options: ServiceOptions): Promise<Child> {
  const port = options.port ?? await freePort();
  const patched = options.patches !== undefined && options.patches.length > 0;
  const child = startChild([patched ? 'bench/patched-main.ts' : 'src/main.ts'], {
    ...(patched ? { BENCH_PATCHES: options.patches!.join(',') } : {}),
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: options.dataDir,
    ADMIN_TOKEN: options.adminToken,
    SANDBOX_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    SINCH_AUTH_URL: options.sinchUrl,
    SINCH_CONVERSATION_URL_EU: options.sinchUrl,
    ...options.env,
  }, port, 'service', options.nodeOptions);
  await waitUntilUp(child, `http://127.0.0.1:${port}/readyz`, options.startTimeoutMs ?? 20_000);
  return child;
}

export const emulatorAccount = {
  projectId: 'sandbox-project', appId: 'sandbox-app', accessKey: 'sandbox-key', accessSecret: 'sandbox-secret',
} as const;

/**
 * The standalone emulator (`src/emulator/main.ts`), with the outbound drain rate and the project request limit
 * lifted through its control API (plus any other `knobs`).
 */
export async function startEmulator(options: { port?: number; knobs?: Record<string, unknown>; nodeOptions?: string[] } = {}): Promise<Child> {
  const port = options.port ?? await freePort();
  const child = startChild(['src/emulator/main.ts', '--port', String(port), '--host', '127.0.0.1'], {}, port, 'emulator', options.nodeOptions);
  await waitUntilUp(child, `http://127.0.0.1:${port}/_emulator`, 20_000);
  const res = await request(`${child.baseUrl}/_emulator/apps/${emulatorAccount.appId}/knobs`, {
    method: 'PATCH', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ outbound_rate: null, project_request_limit: null, ...options.knobs }),
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) {
    await child.kill9();
    throw new Error(`emulator knobs: ${res.statusCode} ${text}`);
  }
  return child;
}

/** `bench/bare-server.ts`: Fastify answering 200 to `POST /callbacks/sinch/:token`, nothing else. */
export async function startBareServer(options: { port?: number } = {}): Promise<Child> {
  const port = options.port ?? await freePort();
  const child = startChild(['bench/bare-server.ts', String(port)], {}, port, 'bare server');
  await waitUntilUp(child, `http://127.0.0.1:${port}/healthz`, 20_000);
  return child;
}

let clockTicks: number | undefined;

/**
 * CPU seconds (user + system, all threads) a process has used so far, from /proc (Linux); undefined elsewhere.
 * Unlike wall-clock rates, CPU per unit of work hardly changes when other work shares the machine.
 */
export function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command: state(3) … utime(14) stime(15), so indexes 11 and 12 here.
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return undefined;
  }
}

/** CPU seconds a set of processes use between `start()` and `stop()`. */
export function cpuMeter(pids: Array<number | undefined>): () => number | undefined {
  const before = pids.map(cpuSecondsOf);
  return () => {
    let total = 0;
    for (const [i, pid] of pids.entries()) {
      const a = before[i];
      const b = cpuSecondsOf(pid);
      if (a === undefined || b === undefined) return undefined;
      total += b - a;
    }
    return total;
  };
}
