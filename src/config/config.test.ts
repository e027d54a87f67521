import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from './config.ts';

test('defaults give a working SQLite configuration', () => {
  const r = loadConfig({});
  assert.equal(r.ok, true);
  if (!r.ok) return;
  assert.equal(r.config.port, 3000);
  assert.equal(r.config.publicUrl, 'http://localhost:3000');
  assert.equal(r.config.databaseUrl, undefined);
  assert.equal(r.config.sandboxEnabled, true);
  assert.match(r.config.dataDir, /data$/);
});

test('PUBLIC_URL follows PORT and loses its trailing slash', () => {
  const a = loadConfig({ PORT: '8080' });
  assert.ok(a.ok && a.config.publicUrl === 'http://localhost:8080');
  const b = loadConfig({ PUBLIC_URL: 'https://mm.example.com/' });
  assert.ok(b.ok && b.config.publicUrl === 'https://mm.example.com');
});

test('every problem is listed at once, naming the variable and the rule, never the value', () => {
  const r = loadConfig({
    PORT: '70000', PUBLIC_URL: 'ftp://x', ROLE: 'boss', MASTER_KEY: 'short-secret-value', SANDBOX_ENABLED: 'maybe',
  });
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.deepEqual(r.problems.sort(), [
    'MASTER_KEY must be 32 random bytes in base64 or hex (e.g. `openssl rand -base64 32`), comma-separated when rotating',
    'PORT must be an integer from 1 to 65535',
    'PUBLIC_URL must be a http or https URL',
    'ROLE must be one of all, api, worker',
    'SANDBOX_ENABLED must be true or false',
  ]);
  assert.ok(!r.problems.join('\n').includes('short-secret-value'));
});

test('PostgreSQL needs a shared MASTER_KEY', () => {
  const r = loadConfig({ DATABASE_URL: 'postgres://u@127.0.0.1:5432/test' });
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.problems[0] ?? '', /^MASTER_KEY is required when DATABASE_URL is set/);
  const k = Buffer.alloc(32, 7).toString('base64');
  const ok = loadConfig({ DATABASE_URL: 'postgres://u@127.0.0.1:5432/test', MASTER_KEY: `${k},${Buffer.alloc(32, 1).toString('hex')}` });
  assert.ok(ok.ok && ok.config.masterKeys?.length === 2);
});
