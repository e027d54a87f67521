import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { apiDir, generateApiTypes } from '../../scripts/gen-api-types.ts';

test('the console\'s API types are generated from the current OpenAPI document (run `npm run gen:api` after changing a route)', async () => {
  const committed = readFileSync(path.join(apiDir, 'schema.d.ts'), 'utf8');
  const current = await generateApiTypes();
  assert.ok(committed === current, 'console/src/api/schema.d.ts is stale: run `npm run gen:api`');
  assert.match(current, /"\/api\/v1\/projects\/\{project_id\}\/messages": \{/);
});
