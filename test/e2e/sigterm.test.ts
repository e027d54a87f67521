/**
 * The real process: `node src/main.ts` as a user starts it. SIGTERM drains and exits 0; a request accepted just
 * before the signal is answered and its message is on disk after the restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestApp } from '../helpers/app.ts';
import { freePort } from '../../bench/lib/proc.ts';

/** When the test fails, the orphaned service must not outlive it: processes whose environment names the data dir. */
function killOrphans(dataDir: string): void {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`DATA_DIR=${dataDir}`)) process.kill(Number(pid), 'SIGKILL');
    } catch { /* gone, or not ours */ }
  }
}


async function start(dataDir: string, port: number, command: readonly string[] = [process.execPath, 'src/main.ts']): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(command[0]!, command.slice(1), {
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', ADMIN_TOKEN: 'admin-token-for-the-sigterm-test-0123456789' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    if (ok) return { child, output: () => out };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`the service did not start:\n${out}`);
}

test('SIGTERM: in-flight requests finish, the process exits 0, and what was accepted is there after restart', { timeout: 90_000 }, async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mm-sigterm-'));
  const port = await freePort();
  const auth = { authorization: 'Bearer admin-token-for-the-sigterm-test-0123456789', 'content-type': 'application/json' };
  try {
    const first = await start(dataDir, port);
    assert.match(first.output(), /mobile-messaging is running on/);
    assert.match(first.output(), /Admin token: the ADMIN_TOKEN you configured/);
    const project = await (await fetch(`http://127.0.0.1:${port}/api/v1/projects`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Drain' }) })).json() as { id: string };
    const pending = fetch(`http://127.0.0.1:${port}/api/v1/projects/${project.id}/customers`, {
      method: 'POST', headers: auth, body: JSON.stringify({ phone: '+46732001122' }),
    });
    await new Promise((r) => setTimeout(r, 5));
    const exited = new Promise<number | null>((resolve) => first.child.on('exit', (code) => resolve(code)));
    first.child.kill('SIGTERM');
    const answer = await pending;
    assert.ok(answer.status === 201 || answer.status === 503, `answered ${answer.status}`);
    assert.equal(await exited, 0, first.output());
    assert.match(first.output(), /shutting down/);
    assert.match(first.output(), /"msg":"stopped"/);

    const second = await start(dataDir, port);
    const listed = await (await fetch(`http://127.0.0.1:${port}/api/v1/projects/${project.id}/customers`, { headers: auth })).json() as { data: unknown[] };
    assert.equal(listed.data.length, answer.status === 201 ? 1 : 0, 'a 201 answered before exit is on disk');
    const stopped = new Promise<number | null>((resolve) => second.child.on('exit', (code) => resolve(code)));
    second.child.kill('SIGTERM');
    assert.equal(await stopped, 0);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('`npm start` under a supervisor: SIGTERM to npm stops the service (the script execs node, nothing is orphaned)', { timeout: 60_000 }, async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mm-sigterm-npm-'));
  const port = await freePort();
  try {
    const npm = await start(dataDir, port, ['npm', 'start', '--silent']);
    const exited = new Promise<void>((resolve) => npm.child.on('exit', () => resolve()));
    npm.child.kill('SIGTERM');
    await exited;
    const deadline = Date.now() + 15_000;
    let up = true;
    while (up && Date.now() < deadline) {
      up = await fetch(`http://127.0.0.1:${port}/healthz`).then(() => true, () => false);
      if (up) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(up, false, `the service still answers after npm got SIGTERM:\n${npm.output()}`);
    assert.match(npm.output(), /shutting down/);
  } finally {
    killOrphans(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('closing does not wait for connections that never sent a request (clients open spares; Node would hold them a minute)', { timeout: 30_000 }, async () => {
  const t = await startTestApp({ listen: true });
  const port = Number(new URL(t.baseUrl!).port);
  const spares = await Promise.all(Array.from({ length: 3 }, () => new Promise<Socket>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', () => undefined);
  })));
  const closedByServer = Promise.all(spares.map((s) => new Promise<void>((resolve) => s.once('close', () => resolve()))));
  assert.equal((await fetch(`${t.baseUrl!}/healthz`)).status, 200); // and a kept-alive connection between requests
  const started = Date.now();
  await t.close();
  const tookMs = Date.now() - started;
  assert.ok(tookMs < 10_000, `close took ${tookMs} ms`);
  await closedByServer; // (the test's timeout fails it if the server left them open)
});
