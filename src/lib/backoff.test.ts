import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeBackoff, parseRetryAfter } from './backoff.ts';

const policy = { baseMs: 100, capMs: 1000 };

test('full jitter stays under the exponential ceiling and the cap', () => {
  assert.equal(computeBackoff(policy, 1, undefined, () => 0.999), 99);
  assert.equal(computeBackoff(policy, 3, undefined, () => 0.999), 399);
  assert.equal(computeBackoff(policy, 10, undefined, () => 0.999), 999);
  assert.equal(computeBackoff(policy, 4, undefined, () => 0), 0);
});

test('Retry-After is a floor', () => {
  assert.equal(computeBackoff(policy, 1, 2000, () => 0.5), 2000);
  assert.equal(computeBackoff(policy, 5, 10, () => 0.5), 500);
});

test('Retry-After parses seconds and HTTP dates', () => {
  assert.equal(parseRetryAfter('2', 0), 2000);
  assert.equal(parseRetryAfter('0.5', 0), 500);
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4000), 6000);
  assert.equal(parseRetryAfter(undefined, 0), undefined);
  assert.equal(parseRetryAfter('soon', 0), undefined);
});
