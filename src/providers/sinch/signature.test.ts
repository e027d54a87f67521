import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeSignature, verifySignature } from './signature.ts';

// Sinch's published test vector (doc §5), spelled out there; a compact one-line body.
const vector = {
  secret: 'foo_secret1234',
  nonce: '01FJA8B4A7BM43YGWSG9GBV067',
  timestamp: '1634579353',
  body: '{"app_id":"","accepted_time":"2021-10-18T17:49:13.813615Z","project_id":"e2df3a34-a71b-4448-9db5-a8d2baad28e4","contact_create_notification":{"contact":{"id":"01FJA8B466Y0R2GNXD78MD9SM1","channel_identities":[{"channel":"SMS","identity":"48123456789","app_id":""}],"display_name":"New Test Contact","email":"new.contact@email.com","external_id":"","metadata":"","language":"EN_US"}},"message_metadata":""}',
  signature: '6bpJoRmFoXVjfJIVglMoJzYXxnoxRujzR4k2GOXewOE=',
};
const at = Number(vector.timestamp) * 1000;
const headers = { signature: vector.signature, nonce: vector.nonce, timestamp: vector.timestamp };

test('the published vector verifies', () => {
  assert.equal(computeSignature(vector.secret, vector.body, vector.nonce, vector.timestamp), vector.signature);
  assert.deepEqual(verifySignature(vector.body, headers, [vector.secret], at, 300), { ok: true, nonce: vector.nonce, timestamp: 1634579353 });
});

test('a re-serialised body does not verify: the raw bytes are signed', () => {
  const pretty = JSON.stringify(JSON.parse(vector.body), null, 2);
  assert.deepEqual(verifySignature(pretty, headers, [vector.secret], at, 300), { ok: false, reason: 'mismatch' });
});

test('any of several secrets (rotation) verifies; a wrong one does not', () => {
  assert.equal(verifySignature(vector.body, headers, ['new-secret', vector.secret], at, 300).ok, true);
  assert.deepEqual(verifySignature(vector.body, headers, ['other'], at, 300), { ok: false, reason: 'mismatch' });
});

test('missing headers, odd timestamps and stale timestamps are refused', () => {
  assert.deepEqual(verifySignature(vector.body, { ...headers, nonce: undefined }, [vector.secret], at, 300), { ok: false, reason: 'missing_headers' });
  assert.deepEqual(verifySignature(vector.body, { ...headers, timestamp: '16345x' }, [vector.secret], at, 300), { ok: false, reason: 'bad_timestamp' });
  assert.deepEqual(verifySignature(vector.body, headers, [vector.secret], at + 301_000, 300), { ok: false, reason: 'stale' });
  assert.equal(verifySignature(vector.body, headers, [vector.secret], at - 299_000, 300).ok, true);
  assert.deepEqual(verifySignature(vector.body, { ...headers, signature: 'AAAA' }, [vector.secret], at, 300), { ok: false, reason: 'mismatch' });
});

test('only the canonical base64 of the signature verifies (Node\'s decoder skips junk)', () => {
  for (const signature of [`${vector.signature}!`, ` ${vector.signature}`, vector.signature.replace(/=$/, ''), `${vector.signature.slice(0, 5)}\n${vector.signature.slice(5)}`, vector.signature.replaceAll('+', '-').replaceAll('/', '_')]) {
    if (signature === vector.signature) continue;
    assert.deepEqual(verifySignature(vector.body, { ...headers, signature }, [vector.secret], at, 300), { ok: false, reason: 'mismatch' }, JSON.stringify(signature));
  }
});

test('a late retry: an old timestamp is accepted up to maxAgeSeconds, a future one only within the tolerance', () => {
  assert.equal(verifySignature(vector.body, headers, [vector.secret], at + 2 * 3600_000, 300, 86400).ok, true);
  assert.deepEqual(verifySignature(vector.body, headers, [vector.secret], at + 86401_000, 300, 86400), { ok: false, reason: 'stale' });
  assert.deepEqual(verifySignature(vector.body, headers, [vector.secret], at - 301_000, 300, 86400), { ok: false, reason: 'stale' });
});
