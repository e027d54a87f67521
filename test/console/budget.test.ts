import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const root = path.join(import.meta.dirname, '..', '..');
const dist = path.join(root, 'console', 'dist');

test('the first page\'s JavaScript is at most 350 KB gzipped (entry, its preloads and the first screen)', () => {
  const built = spawnSync(process.execPath, ['scripts/build-console.ts', '--if-stale'], { cwd: root, encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
  const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
  const loaded = [...html.matchAll(/(?:src|href)="\/assets\/([^"]+\.js)"/g)].map((m) => m[1]!);
  assert.ok(loaded.length >= 1, 'index.html loads the entry script');
  // After sign-in the first screen is Integrations: its chunk loads with the entry.
  const entry = readFileSync(path.join(dist, 'assets', loaded[0]!), 'utf8');
  const firstScreen = /"\.?\/?(?:assets\/)?(Integrations-[\w-]+\.js)"/.exec(entry)?.[1];
  assert.ok(firstScreen !== undefined, 'the entry names the Integrations chunk');
  const files = [...new Set([...loaded, firstScreen])];
  const gzipped = files.reduce((sum, f) => sum + gzipSync(readFileSync(path.join(dist, 'assets', f))).length, 0);
  assert.ok(gzipped <= 350 * 1024, `first page JavaScript ${(gzipped / 1024).toFixed(0)} KB gzipped (${files.join(', ')})`);
  // The service sends the precompressed copies.
  for (const f of files) assert.ok(readFileSync(path.join(dist, 'assets', `${f}.br`)).length > 0);
});
