import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRateLimiter } from './rate-limiter.ts';

test('a burst up to the rate passes at once, the rest is spread over time', async () => {
  const limiter = createRateLimiter(50);
  const start = performance.now();
  const times: number[] = [];
  await Promise.all(Array.from({ length: 75 }, () => limiter.acquire().then(() => times.push(performance.now() - start))));
  times.sort((a, b) => a - b);
  assert.ok(times[49]! < 100, `first 50 immediate (${times[49]})`);
  // the next 25 need half a second at 50/s
  assert.ok(times[74]! >= 450, `last one waited (${times[74]})`);
  assert.ok(times[74]! < 5000, `but not forever (${times[74]})`);
});
