import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderConfigDoc, replaceReadmeTable } from './docs.ts';

test('docs/configuration.md and the README table match the config schema (run `npm run docs:config`)', () => {
  assert.equal(readFileSync('docs/configuration.md', 'utf8'), renderConfigDoc());
  const readme = readFileSync('README.md', 'utf8');
  assert.equal(readme, replaceReadmeTable(readme));
});
