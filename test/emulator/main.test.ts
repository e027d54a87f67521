import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
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
