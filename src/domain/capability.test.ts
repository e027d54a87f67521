import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capabilityExpiry, capabilityOf, capabilityState } from './capability.ts';

test('Sinch capability statuses in our words; unknown and new values are unknown', () => {
  assert.equal(capabilityOf('CAPABILITY_FULL'), 'capable');
  assert.equal(capabilityOf('CAPABILITY_PARTIAL'), 'capable');
  assert.equal(capabilityOf('NO_CAPABILITY'), 'not_capable');
  assert.equal(capabilityOf('CAPABILITY_UNKNOWN'), 'unknown');
  assert.equal(capabilityOf('SOMETHING_NEW'), 'unknown');
  assert.equal(capabilityOf(undefined), 'unknown');
});

test('an entry: known until it expires, then asked again; a pending one waits, then times out, then is asked again', () => {
  const t0 = Date.parse('2026-12-01T09:00:00Z');
  const at = (ms: number) => new Date(t0 + ms).toISOString();
  assert.deepEqual(capabilityState(undefined, t0, 1000), { kind: 'ask' });
  assert.deepEqual(capabilityState({ status: 'not_capable', queried_at: null, expires_at: at(10) }, t0, 1000), { kind: 'known', capability: 'not_capable' });
  assert.deepEqual(capabilityState({ status: 'capable', queried_at: null, expires_at: at(0) }, t0, 1000), { kind: 'ask' });
  const pending = { status: 'pending' as const, queried_at: at(0), expires_at: at(5000) };
  assert.deepEqual(capabilityState(pending, t0 + 999, 1000), { kind: 'waiting' });
  assert.deepEqual(capabilityState(pending, t0 + 1000, 1000), { kind: 'timed_out' });
  assert.deepEqual(capabilityState(pending, t0 + 5000, 1000), { kind: 'ask' });
});

test('known answers are kept longer than unknown ones', () => {
  const ttl = { knownMs: 7 * 86400_000, unknownMs: 3600_000 };
  assert.equal(capabilityExpiry('capable', 0, ttl), 7 * 86400_000);
  assert.equal(capabilityExpiry('not_capable', 0, ttl), 7 * 86400_000);
  assert.equal(capabilityExpiry('unknown', 0, ttl), 3600_000);
});
