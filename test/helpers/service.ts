import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..', '..');

export interface RunningService {
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then its exit code once it exited. */
  stop(): Promise<number | null>;
}

/**
 * The real service as a user starts it (`node src/main.ts`), on 127.0.0.1:`port` with `PUBLIC_URL` to match and the
 * sandbox on; resolves once `/healthz` answers, or fails with what it printed.
 */
export async function startService(options: { dataDir: string; port: number; env?: Record<string, string> }): Promise<RunningService> {
  const base = `http://127.0.0.1:${options.port}`;
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env, DATA_DIR: options.dataDir, PORT: String(options.port), HOST: '127.0.0.1', PUBLIC_URL: base,
      LOG_LEVEL: 'warn', SANDBOX_ENABLED: 'true', ...options.env,
    },
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code); }));
  const service: RunningService = {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) return service;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`the service did not start:\n${out}`);
}
