import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from '../helpers/wait.ts';
import { getToken, send, textTo } from './helpers.ts';

const MAIN = fileURLToPath(new URL('../../src/emulator/main.ts', import.meta.url));

test('standalone runner: flags and env set the account, prints its URLs, stops on SIGTERM', { timeout: 120_000 }, async () => {
  const child = spawn(process.execPath, [MAIN, '--port', '0', '--project', 'p1', '--app', 'a1', '--key', 'k1'], {
    env: { ...process.env, EMULATOR_SECRET: 's1', EMULATOR_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code); }));
  try {
    await until(() => /phone view/.test(out), 'the banner').catch((error: unknown) => { throw new Error(`${(error as Error).message}: ${out}`); });
    const base = /listening on (http:\/\/\S+)/.exec(out)?.[1];
    assert.ok(base, out);
    assert.match(out, /auth \(authHostname\)/);
    assert.match(out, /control API: +http/);
    assert.match(out, new RegExp(`${base}/phone`));
    const token = await getToken(base, 'k1', 's1');
    const r = await send(base, { ...textTo('46700005000'), app_id: 'a1' }, `Bearer ${token}`, 'p1');
    assert.equal(r.status, 200);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
});

/** Starts the runner and waits for its banner; returns its base URL and a stop function (SIGTERM, exit code). */
async function startRunner(args: string[], env: Record<string, string> = {}): Promise<{ base: string; output: () => string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [MAIN, '--port', '0', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code); }));
  const deadline = Date.now() + 15_000;
  while (!/state: /.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) { child.kill('SIGKILL'); throw new Error(`no banner: ${out}`); }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { base: /listening on (http:\/\/\S+)/.exec(out)![1]!, output: () => out, stop: async () => { child.kill('SIGTERM'); return exited; } };
}

test('standalone runner: --data-dir (or EMULATOR_DATA_DIR) keeps windows and inbound history across a restart', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'emu-main-'));
  try {
    let runner = await startRunner(['--data-dir', dir]);
    assert.match(runner.output(), new RegExp(`state: +kept in ${dir}`));
    const injected = await fetch(`${runner.base}/_emulator/apps/sandbox-app/inbound`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity: '46700005001', text: 'remember me' }) });
    assert.equal(injected.status, 200);
    assert.equal(await runner.stop(), 0);

    runner = await startRunner([], { EMULATOR_DATA_DIR: dir });
    try {
      const inbound = await (await fetch(`${runner.base}/_emulator/inbound?identity=46700005001`)).json() as { inbound: { contact_message: { text_message: { text: string } } }[] };
      assert.deepEqual(inbound.inbound.map((i) => i.contact_message.text_message.text), ['remember me']);
      // The window it opened lets a free-form WhatsApp message through.
      const r = await send(runner.base, textTo('46700005001', 'still in the window'));
      assert.equal(r.status, 200);
      let message: { state: string; reason: unknown } | undefined;
      for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
        message = await (await fetch(`${runner.base}/_emulator/messages/${r.body.message_id}`)).json() as { state: string; reason: unknown };
        if (message.state === 'READ' || message.state === 'FAILED') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(message?.state, 'READ', JSON.stringify(message));
    } finally {
      assert.equal(await runner.stop(), 0);
    }
    const plain = await startRunner([]);
    assert.match(plain.output(), /state: +in memory/);
    assert.equal(await plain.stop(), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
